# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Frame semantics: converted MuJoCo poses equal poses computed independently from the SDF."""

import glob
import math
import os
import xml.etree.ElementTree as ET

from conftest import FIXTURE_MODELS, FIXTURE_WORLD, REAL_MODELS
import mujoco
import numpy as np
from perseverance_nodes.domain import sdf
from perseverance_nodes.domain.sdf.transforms import Transform
from perseverance_nodes.world import mjcf, plugins
import pytest


# ---- an independent, deliberately plain SDF pose resolver (4x4 matrices, no shared code) ----
def _mat(text, degrees=False):
    v = [float(x) for x in (text or '0 0 0 0 0 0').split()]
    x, y, z, r, p, yw = v
    if degrees:
        r, p, yw = (math.radians(a) for a in (r, p, yw))
    rx = np.array([[1, 0, 0], [0, math.cos(r), -math.sin(r)], [0, math.sin(r), math.cos(r)]])
    ry = np.array([[math.cos(p), 0, math.sin(p)], [0, 1, 0], [-math.sin(p), 0, math.cos(p)]])
    rz = np.array([[math.cos(yw), -math.sin(yw), 0], [math.sin(yw), math.cos(yw), 0],
                   [0, 0, 1]])
    m = np.eye(4)
    m[:3, :3] = rz @ ry @ rx
    m[:3, 3] = [x, y, z]
    return m


def expected_model_poses(model_elem, model_in_world):
    """World 4x4 of every link/joint/frame of a flat model, from raw SDF text."""
    elems = {}
    for tag in ('link', 'joint', 'frame'):
        for e in model_elem.findall(tag):
            elems[e.get('name')] = (tag, e)
    cache = {}

    def world_of(name):
        if name in ('', '__model__'):
            return model_in_world
        if name in cache:
            return cache[name]
        tag, e = elems[name]
        pose = e.find('pose')
        rel = pose.get('relative_to', '') if pose is not None else ''
        if not rel:
            if tag == 'joint':
                rel = e.findtext('child').strip()
            elif tag == 'frame':
                rel = e.get('attached_to', '')
        text = pose.text if pose is not None else None
        deg = pose is not None and pose.get('degrees', 'false') == 'true'
        cache[name] = world_of(rel) @ _mat(text, deg)
        return cache[name]
    return {name: world_of(name) for name in elems}


def _body_mat(data, bid):
    m = np.eye(4)
    m[:3, :3] = data.xmat[bid].reshape(3, 3)
    m[:3, 3] = data.xpos[bid]
    return m


def _check_model(path, name, placement):
    """Convert model file ``path`` placed at ``placement`` and compare every pose."""
    root = ET.parse(path).getroot()
    model_elem = root.find('model')
    # Nested models are covered by the fixture tests; no shipped model nests another.
    assert model_elem.find('model') is None and model_elem.find('include') is None, path
    raw_pose = model_elem.find('pose')
    model_world = placement @ _mat(raw_pose.text if raw_pose is not None else None)
    expected = expected_model_poses(model_elem, model_world)
    pose = Transform.from_mat(placement[:3, 3], placement[:3, :3])
    world = sdf.load_model(path, [str(REAL_MODELS), str(FIXTURE_MODELS)], pose=None)
    world.models[name].pose = pose * world.models[name].pose
    sdf.resolve_frames(world)
    emulations = plugins.create_emulations(world)
    conv = mjcf.convert(world, plugins.plan_actuators(emulations))
    model = mjcf.compile_model(conv)
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    checked = 0
    for elem_name, mat in expected.items():
        scoped = name + '::' + elem_name
        if scoped in conv.link_body:
            got = _body_mat(data, mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, scoped))
        else:
            body, offset = conv.frame_offsets[scoped]
            bid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, body)
            off = np.eye(4)
            off[:3, :3] = offset.rot
            off[:3, 3] = offset.pos
            got = _body_mat(data, bid) @ off
        np.testing.assert_allclose(got, mat, atol=1e-6, err_msg=scoped)
        checked += 1
    # Joint axes: SDF axis (in the joint frame unless expressed_in) -> MuJoCo world axis.
    for j in model_elem.findall('joint'):
        axis = j.find('axis')
        if axis is None:
            continue
        xyz = axis.find('xyz')
        vec = np.array([float(v) for v in xyz.text.split()])
        frame = xyz.get('expressed_in', '')
        rot = (model_world if frame == '__model__' else expected[frame] if frame
               else expected[j.get('name')])[:3, :3]
        jid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name + '::' + j.get('name'))
        np.testing.assert_allclose(data.xaxis[jid], rot @ vec / np.linalg.norm(vec),
                                   atol=1e-6, err_msg=j.get('name'))
    return checked


PLACEMENT = _mat('1.5 -2.0 0.3 0.1 -0.2 0.7')


def test_fixture_rover_frames_match_sdf_semantics():
    """Fixture rover frames match sdf semantics."""
    path = str(FIXTURE_MODELS / 'test_rover' / 'model.sdf')
    assert _check_model(path, 'test_rover', PLACEMENT) > 15


def test_fixture_helicopter_frames_match_sdf_semantics():
    """Fixture helicopter frames match sdf semantics."""
    path = str(FIXTURE_MODELS / 'test_heli' / 'model.sdf')
    assert _check_model(path, 'test_heli', PLACEMENT) >= 6


REAL = sorted(glob.glob(str(REAL_MODELS / '*' / 'model.sdf')))


@pytest.mark.skipif(not REAL, reason='no models/*/model.sdf yet')
@pytest.mark.parametrize('path', REAL, ids=[os.path.basename(os.path.dirname(p)) for p in REAL])
def test_real_model_frames_match_sdf_semantics(path):
    """Real model frames match sdf semantics."""
    name = ET.parse(path).getroot().find('model').get('name')
    assert _check_model(path, name, PLACEMENT) >= 1


def test_world_include_relative_to_and_placement():
    """World include relative to and placement."""
    world = sdf.load_world(str(FIXTURE_WORLD), [str(FIXTURE_MODELS)])
    depot = _mat('5 -3 0 0 0 0.3')
    heli = depot @ _mat('1 0 0 0 0 0')
    got = world.models['heli_1'].world_pose
    np.testing.assert_allclose(got.pos, heli[:3, 3], atol=1e-9)
    np.testing.assert_allclose(got.rot, heli[:3, :3], atol=1e-9)
    # Joint frame default (child link) and a frame relative to another frame.
    rover = world.models['rover']
    tip = rover.frames['drill_tip'].world_pose
    off = rover.frames['drill_tip_offset'].world_pose
    np.testing.assert_allclose((tip.inverse() * off).pos, [0.01, 0, 0], atol=1e-9)
    assert rover.frames['drill_tip'].link == 'rover::turret'
    assert rover.frames['belly_drop'].link == 'rover::chassis'
    assert world.frames['depot'].link == 'world'


def test_nested_model_and_placement_frame(tmp_path):
    """Nested model and placement frame."""
    text = """<?xml version="1.0"?>
<sdf version="1.9"><world name="w">
  <model name="outer">
    <pose>1 0 0 0 0 1.5707963267948966</pose>
    <link name="base"><pose>0 0 1 0 0 0</pose></link>
    <model name="inner" placement_frame="tip">
      <pose relative_to="base">0 0 0.5 0 0 0</pose>
      <link name="body"><pose>0.2 0 0 0 0 0</pose></link>
      <frame name="tip" attached_to="body"><pose relative_to="body">0.1 0 0 0 0 0</pose></frame>
    </model>
    <joint name="j" type="fixed"><parent>base</parent><child>inner::body</child></joint>
    <frame name="probe" attached_to="inner::tip"/>
  </model>
</world></sdf>"""
    path = tmp_path / 'nested.sdf'
    path.write_text(text)
    world = sdf.load_world(str(path), [])
    outer = world.models['outer']
    # The placement frame 'tip' lands where the inner model pose says: (1, 0, 1.5).
    tip = outer.models['inner'].frames['tip'].world_pose
    np.testing.assert_allclose(tip.pos, [1, 0, 1.5], atol=1e-9)
    body = outer.models['inner'].links['body'].world_pose
    np.testing.assert_allclose(body.pos, [1, -0.1, 1.5], atol=1e-9)
    assert outer.frames['probe'].link == 'outer::inner::body'
    np.testing.assert_allclose(outer.frames['probe'].world_pose.pos, tip.pos, atol=1e-9)
    conv = mjcf.convert(world)
    model = mjcf.compile_model(conv)
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    bid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, 'outer::inner::body')
    np.testing.assert_allclose(data.xpos[bid], body.pos, atol=1e-9)


def test_cycle_in_relative_to_is_an_error(tmp_path):
    """Cycle in relative to is an error."""
    text = """<?xml version="1.0"?>
<sdf version="1.9"><world name="w"><model name="m">
  <link name="a"><pose relative_to="f">0 0 0 0 0 0</pose></link>
  <frame name="f" attached_to="a"><pose relative_to="a">1 0 0 0 0 0</pose></frame>
</model></world></sdf>"""
    path = tmp_path / 'cycle.sdf'
    path.write_text(text)
    with pytest.raises(sdf.SdfError, match='cycle'):
        sdf.load_world(str(path), [])
