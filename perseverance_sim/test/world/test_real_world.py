# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""The real worlds/jezero.sdf through the embedded backend (skipped until it exists)."""

from conftest import REAL_WORLD
import mujoco
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(not REAL_WORLD.is_file(), reason='no worlds/jezero.sdf yet')


@pytest.fixture(scope='module')
def real_engine():
    """Load the real world once for this module."""
    from perseverance_nodes.world.engine import WorldEngine
    return WorldEngine(str(REAL_WORLD))


def _terrain_height(engine, x, y, below, exclude=-1):
    """Height of the first collision surface under (x, y), looking down from ``below``."""
    geomid = np.zeros(1, dtype=np.int32)
    start = np.array([x, y, below])
    dist = mujoco.mj_ray(engine.model, engine.data, start, np.array([0.0, 0.0, -1.0]),
                         np.array([0, 0, 0, 1, 0, 0], np.uint8), 1, exclude, geomid)
    assert dist >= 0
    return below - dist


def test_contract_names_exist(real_engine):
    """Models, joints, frames and camera named in the world contract exist."""
    eng = real_engine
    assert eng.world.name == 'jezero'
    np.testing.assert_allclose(eng.model.opt.gravity, [0, 0, -3.721])
    for name in ('jezero_terrain', 'perseverance', 'lander', 'helicopter_1', 'helicopter_2'):
        assert name in eng.model_names
    assert eng.tube_names == ['tube_{:02d}'.format(i) for i in range(1, 44)]
    rover = eng.joint_states('perseverance').names
    for row in ('front', 'middle', 'rear'):
        for side in ('left', 'right'):
            assert 'wheel_{}_{}_joint'.format(row, side) in rover
    for joint in ('arm_shoulder_azimuth', 'arm_shoulder_elevation', 'arm_elbow', 'arm_wrist',
                  'arm_turret'):
        assert joint in rover
    for frame in ('perseverance::drill_tip', 'perseverance::belly_drop',
                  'perseverance::caching_assembly', 'lander::grasp_point',
                  'lander::container_port', 'helicopter_1::grasp_point',
                  'helicopter_2::grasp_point'):
        eng.frame_pose(frame)
    assert any(c.endswith('::mast_camera') for c in eng.camera_names)


def test_rover_drives_on_terrain(real_engine):
    """Odometry and ground truth agree within 5 % over a metre on the heightmap."""
    eng = real_engine
    eng.reset()
    eng.run_for(1.0)
    start = eng.model_pose('perseverance').pos
    odom0 = eng.odometry('perseverance').position[0]
    eng.set_cmd_vel('perseverance', 0.04, 0.0)
    eng.run_for(25.0)
    eng.set_cmd_vel('perseverance', 0.0, 0.0)
    eng.run_for(1.0)
    odom = eng.odometry('perseverance').position[0] - odom0
    truth = float(np.linalg.norm(eng.model_pose('perseverance').pos[:2] - start[:2]))
    assert truth > 0.8
    assert odom == pytest.approx(truth, rel=0.05)


def test_belly_drop_rests_on_terrain(real_engine):
    """A tube released at the belly drop frame falls and lies on the terrain."""
    eng = real_engine
    eng.reset()
    eng.run_for(0.5)
    result = eng.attach('tube_01', 'perseverance::belly_drop', snap=True, tolerance=5.0)
    assert result.success, result.error_msg
    drop = eng.frame_pose('perseverance::belly_drop').pos
    ground = _terrain_height(eng, drop[0], drop[1], drop[2] - 0.01)
    assert drop[2] - ground == pytest.approx(0.89, abs=0.1)
    assert eng.detach('tube_01').success
    eng.run_for(3.0)
    pose = eng.tube_poses()['tube_01']
    ground = _terrain_height(eng, pose.pos[0], pose.pos[1], pose.pos[2] + 0.05,
                             eng.body_id('tube_01::tube'))
    assert pose.pos[2] - ground == pytest.approx(0.0085, abs=0.01)
    assert abs(eng.body_linear_velocity('tube_01::tube')[2]) < 0.01
