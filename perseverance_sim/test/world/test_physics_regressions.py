# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Regressions of reported physics problems on the real world (pure WorldEngine, no ROS)."""

import math

from conftest import REAL_WORLD
import numpy as np
from perseverance_nodes.world.plugins import TrajectoryPoint
from perseverance_nodes.world.transforms import Transform
import pytest

pytestmark = pytest.mark.skipif(not REAL_WORLD.is_file(), reason='no worlds/jezero.sdf yet')

GRID = 240.0 / 256  # m: jezero heightmap cell (257 x 257 pixels over 240 m)
ARM = ['arm_shoulder_azimuth', 'arm_shoulder_elevation', 'arm_elbow', 'arm_wrist',
       'arm_turret']


@pytest.fixture(scope='module')
def real_engine():
    """Load the real world once for this module."""
    from perseverance_nodes.world.engine import WorldEngine
    return WorldEngine(str(REAL_WORLD))


def _snap(v):
    return -120.0 + round((v + 120.0) / GRID) * GRID


def _drops():
    """Flat-ground drop points (x, y, tube yaw): reported case, depot slots, prism edges."""
    cases = [(30.0, 17.91, 0.0)]  # reported: 2.6 m throw; x = 30.0 is a heightmap grid line
    slots = [(-72.0, -36.0), (-78.0, -28.0), (-72.0, -20.0), (-78.0, -12.0), (-72.0, -4.0),
             (-78.0, 4.0), (-72.0, 12.0), (-78.0, 20.0), (-72.0, 28.0), (-78.0, 36.0)]
    for i, (x, y) in enumerate(slots):
        cases.append((x, y, 0.6 * i))
        # Worst cases of MuJoCo's per-prism heightmap contacts: lying along a grid line,
        # a few mm beside one, or across a cell diagonal.
        offset = (0.0, 0.004, 0.0085)[i % 3]
        cases.append((_snap(x) + offset, y, 0.0))
        cases.append((x, _snap(y) + offset, math.pi / 2))
        cases.append((_snap(x) + 0.3 + offset, _snap(y) + 0.3, -math.pi / 4))
    return cases


def test_dropped_tube_stays_near_release_point(real_engine):
    """A tube released lying flat 0.89 m above flat ground rests within 0.3 m of the drop."""
    eng = real_engine
    eng.reset()
    assert eng.detach('tube_01').success
    lying = Transform(np.zeros(3), np.array([math.cos(math.pi / 4), math.sin(math.pi / 4),
                                             0.0, 0.0]))
    worst = 0.0
    for x, y, yaw in _drops():
        heading = Transform(np.array([x, y, 0.89]),
                            np.array([math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)]))
        eng.set_model_pose('tube_01', heading * lying)
        eng.run_for(2.5)
        pose = eng.tube_poses()['tube_01']
        moved = float(np.linalg.norm(pose.pos[:2] - [x, y]))
        worst = max(worst, moved)
        assert moved < 0.3, 'drop at ({:.4f}, {:.4f}) yaw {:.2f} moved {:.2f} m'.format(
            x, y, yaw, moved)
        assert pose.pos[2] == pytest.approx(0.0085, abs=0.003)
        assert np.linalg.norm(eng.body_linear_velocity('tube_01::tube')) < 0.05
    assert worst < 0.1  # measured 0.03 m with the ellipsoid tube contact


def test_arm_settles_after_trajectory(real_engine):
    """Every arm joint is within 0.02 rad of its target 3 s after the trajectory ends."""
    eng = real_engine
    for target in ([0.3, -0.5, 1.5, -1.0, 0.4], [0.0, 0.0, 0.1, 0.0, 1.5]):
        eng.reset()
        eng.run_for(0.5)
        eng.set_joint_trajectory('perseverance', ARM, [TrajectoryPoint(4.0, target)])
        while not eng.trajectory_done('perseverance'):
            eng.step(5)
        eng.run_for(3.0)
        for _ in range(3):
            states = eng.joint_states('perseverance')
            position = [states.position[states.names.index(j)] for j in ARM]
            np.testing.assert_allclose(position, target, atol=0.02)
            eng.run_for(0.5)


@pytest.mark.xfail(strict=True, reason='unresolved: MuJoCo friction keeps the six-wheel '
                   'skid-steer laterally stuck (about 0.03 of 0.3 rad/s); see the report')
def test_rover_turns_in_place(real_engine):
    """0.3 rad/s commanded in place gives a yaw rate within 20 %."""
    eng = real_engine
    eng.reset()
    eng.run_for(1.0)
    eng.set_cmd_vel('perseverance', 0.0, 0.3)
    eng.run_for(2.0)

    def yaw():
        rot = eng.model_pose('perseverance').rot
        return math.atan2(rot[1, 0], rot[0, 0])
    yaw0 = yaw()
    eng.run_for(4.0)
    rate = ((yaw() - yaw0 + math.pi) % (2 * math.pi) - math.pi) / 4.0
    eng.set_cmd_vel('perseverance', 0.0, 0.0)
    assert rate == pytest.approx(0.3, rel=0.2)
