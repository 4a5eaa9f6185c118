# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Tube hand-offs: tolerance, carried pose, depot drop from 0.89 m."""

import numpy as np
from perseverance_nodes.world import handoff
import pytest


def test_attach_beyond_tolerance_is_refused(fixture_engine):
    """Attach beyond tolerance is refused."""
    engine = fixture_engine()
    result = engine.attach('tube_01', 'heli_1::grasp_point')
    assert not result.success
    assert result.error_code == handoff.OUT_OF_TOLERANCE
    assert 'tube_01 is' in result.error_msg and 'heli_1::grasp_point' in result.error_msg
    assert 'tolerance 0.05 m' in result.error_msg
    assert engine.carrier_of('tube_01') == ''
    assert engine.attach('tube_99', 'heli_1::grasp_point').error_code == \
        handoff.UNKNOWN_PAYLOAD
    assert engine.attach('tube_01', 'heli_1::nowhere').error_code == handoff.UNKNOWN_CARRIER


def test_attached_tube_moves_with_carrier(fixture_engine):
    """Attached tube moves with carrier."""
    engine = fixture_engine(attachments={'tube_02': 'rover::caching_assembly'})
    carrier0 = engine.frame_pose('rover::caching_assembly')
    rel0 = carrier0.inverse() * engine.tube_poses()['tube_02']
    engine.set_cmd_vel('rover', 0.4, 0.2)
    engine.run_for(4.0)
    carrier = engine.frame_pose('rover::caching_assembly')
    assert np.linalg.norm(carrier.pos - carrier0.pos) > 1.0
    rel = carrier.inverse() * engine.tube_poses()['tube_02']
    assert rel.almost_equal(rel0, 1e-9)
    assert engine.carrier_of('tube_02') == 'rover::caching_assembly'


def test_pose_arrays_match_single_poses_carried_or_free(fixture_engine):
    """The world's batched tube poses equal payload_pose, for carried and free tubes."""
    engine = fixture_engine(attachments={'tube_02': 'rover::caching_assembly'})
    engine.set_cmd_vel('rover', 0.4, 0.3)
    engine.run_for(2.0)  # the carrier has moved and turned
    names = engine.tube_names
    positions, quaternions = engine.tube_pose_arrays(names)
    singles = engine.tube_poses()
    carried = [n for n in names if engine.carrier_of(n)]
    assert 'tube_02' in carried and len(carried) < len(names)  # both kinds are compared
    for name, pos, quat in zip(names, positions, quaternions):
        assert np.allclose(pos, singles[name].pos, atol=1e-12), name
        assert np.allclose(quat, singles[name].quat, atol=1e-12), name


def test_grasp_within_tolerance_then_hand_over(fixture_engine):
    """Grasp within tolerance then hand over."""
    engine = fixture_engine()
    grasp = engine.frame_pose('heli_1::grasp_point')
    # Put the tube 3 cm from the grasp point, then grasp it.
    pose = engine.tube_poses()['tube_01']
    engine.set_model_pose('tube_01', type(pose)(grasp.pos + [0.03, 0, 0], pose.quat))
    result = engine.attach('tube_01', 'heli_1::grasp_point')
    assert result.success and result.distance == pytest.approx(0.03, abs=1e-6)
    engine.set_helicopter_velocity('heli_1', [0, 0, 1.0], 0.0)
    engine.run_for(2.0)
    assert engine.tube_poses()['tube_01'].pos[2] > 1.5
    # Hand over to a frame that is close enough: the static rig, moved next to the tube.
    engine.set_helicopter_velocity('heli_1', [0, 0, 0], 0.0)
    result = engine.attach('tube_01', 'drop_rig::release')
    assert not result.success  # the rig is metres away


def test_tube_dropped_from_089_m_comes_to_rest(fixture_engine):
    """Tube dropped from 089 m comes to rest."""
    engine = fixture_engine()
    release = engine.frame_pose('drop_rig::release')
    assert release.pos[2] == pytest.approx(0.89)
    pose = engine.tube_poses()['tube_02']
    engine.set_model_pose('tube_02', type(pose)(release.pos + [0.2, 0, 0], pose.quat))
    assert not engine.attach('tube_02', 'drop_rig::release').success
    result = engine.attach('tube_02', 'drop_rig::release', snap=True, tolerance=0.25)
    assert result.success
    engine.run_for(0.5)
    held = engine.tube_poses()['tube_02']
    np.testing.assert_allclose(held.pos, release.pos, atol=1e-9)
    assert engine.detach('tube_02').success
    assert engine.detach('tube_02').error_code == handoff.NOT_ATTACHED
    engine.run_for(0.3)
    assert engine.tube_poses()['tube_02'].pos[2] < 0.8
    engine.run_for(2.7)
    rest = engine.tube_poses()['tube_02']
    assert rest.pos[2] == pytest.approx(0.0085, abs=0.002)
    assert abs(engine.body_linear_velocity('tube_02::tube')[2]) < 0.005
