# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Heightmap -> hfield: Gazebo's pixel/max x size.z + pos.z, image top row at +y."""

import mujoco
import numpy as np
from perseverance_nodes.world.engine import WorldEngine
import pytest

PIL = pytest.importorskip('PIL.Image')

SIZE = (40.0, 40.0, 3.0)
POS = (0.0, 0.0, -1.0)


def _terrain(tmp_path):
    n = 33
    img = np.zeros((n, n), dtype=np.uint16)
    img[:, :] = 20000
    img[0:8, :] = 65535          # top rows (north, +y) high
    img[:, 0:8] = 0              # left columns (west, -x) low; corner takes this value
    PIL.fromarray(img).save(tmp_path / 'hm.png')
    text = """<?xml version="1.0"?>
<sdf version="1.9"><world name="w"><gravity>0 0 -3.721</gravity>
  <model name="terrain"><static>true</static><link name="link">
    <collision name="c"><geometry><heightmap><uri>hm.png</uri><size>{} {} {}</size>
      <pos>{} {} {}</pos></heightmap></geometry></collision></link></model>
  <include><uri>model://test_tube</uri><name>tube_01</name>
    <pose>0 0 1.0 0 1.5707963267948966 0</pose></include>
</world></sdf>""".format(*SIZE, *POS)
    (tmp_path / 'w.sdf').write_text(text)
    return str(tmp_path / 'w.sdf')


def _height(engine, x, y):
    geomid = np.zeros(1, dtype=np.int32)
    dist = mujoco.mj_ray(engine.model, engine.data, np.array([x, y, 50.0]),
                         np.array([0.0, 0.0, -1.0]), None, 1, -1, geomid)
    return 50.0 - dist


def test_heightmap_elevation_and_orientation(tmp_path):
    """Heightmap elevation and orientation."""
    from conftest import FIXTURE_MODELS
    engine = WorldEngine(_terrain(tmp_path), [str(FIXTURE_MODELS)])
    mujoco.mj_forward(engine.model, engine.data)
    base = POS[2]
    mid = base + SIZE[2] * 20000 / 65535
    assert _height(engine, 5.0, -5.0) == pytest.approx(mid, abs=1e-3)
    assert _height(engine, 5.0, 18.0) == pytest.approx(base + SIZE[2], abs=1e-3)   # +y high
    assert _height(engine, -18.0, 0.0) == pytest.approx(base, abs=1e-3)            # -x low


def test_tube_comes_to_rest_on_heightmap(tmp_path):
    """Tube comes to rest on heightmap."""
    from conftest import FIXTURE_MODELS
    engine = WorldEngine(_terrain(tmp_path), [str(FIXTURE_MODELS)])
    engine.run_for(3.0)
    pose = engine.tube_poses()['tube_01']
    ground = POS[2] + SIZE[2] * 20000 / 65535
    assert pose.pos[2] == pytest.approx(ground + 0.0085, abs=0.003)
    assert abs(engine.body_linear_velocity('tube_01::tube')[2]) < 0.01
