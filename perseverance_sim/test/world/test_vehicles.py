# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Emulated plugins on the fixture world: DiffDrive, joint controllers, multicopter control."""

import math

import numpy as np
from perseverance_nodes.world.plugins import TrajectoryPoint
import pytest


def test_rover_drives_commanded_distance(fixture_engine):
    """Rover drives commanded distance."""
    engine = fixture_engine()
    engine.run_for(0.5)
    start = engine.model_pose('rover').pos
    engine.set_cmd_vel('rover', 0.3, 0.0)
    target = 2.0
    braking = 0.3 ** 2 / (2 * 0.5)  # fixture max_linear_acceleration 0.5 m/s^2
    while engine.odometry('rover').position[0] < target - braking and engine.sim_time < 20:
        engine.step(5)
    engine.set_cmd_vel('rover', 0.0, 0.0)
    engine.run_for(2.0)
    odom = engine.odometry('rover').position[0]
    truth = float(np.linalg.norm(engine.model_pose('rover').pos[:2] - start[:2]))
    assert truth == pytest.approx(target, rel=0.05)
    assert odom == pytest.approx(truth, rel=0.05)
    gt = engine.model_odometry('rover')
    assert abs(gt.linear[0]) < 0.01


def test_rover_turns_while_driving(fixture_engine):
    """Rover turns while driving."""
    engine = fixture_engine()
    yaw0 = math.atan2(*engine.model_pose('rover').rot[[1, 0], 0])
    engine.set_cmd_vel('rover', 0.3, 0.2)
    engine.run_for(4.0)
    yaw = math.atan2(*engine.model_pose('rover').rot[[1, 0], 0])
    assert yaw - yaw0 > 0.05
    assert engine.odometry('rover').orientation_xyzw[2] > 0


def test_arm_reaches_trajectory_targets(fixture_engine):
    """Arm reaches trajectory targets."""
    engine = fixture_engine()
    points = [TrajectoryPoint(1.0, [0.4, -0.3]), TrajectoryPoint(2.5, [0.8, 0.5])]
    engine.set_joint_trajectory('rover', ['arm_shoulder_azimuth', 'arm_shoulder_elevation'],
                                points)
    engine.set_joint_position('rover', 'arm_turret', 1.2)
    engine.run_for(1.0)
    mid = engine.joint_states('rover')
    assert mid.position[0] == pytest.approx(0.4, abs=0.1)
    while not engine.trajectory_done('rover'):
        engine.step(25)
    engine.run_for(1.5)
    states = engine.joint_states('rover')
    assert states.names == ['arm_shoulder_azimuth', 'arm_shoulder_elevation', 'arm_turret']
    np.testing.assert_allclose(states.position, [0.8, 0.5, 1.2], atol=0.02)


def test_helicopter_takes_off_holds_and_lands(fixture_engine):
    """Helicopter takes off holds and lands."""
    engine = fixture_engine()
    heli = 'heli_1'
    ground = engine.model_pose(heli).pos[2]
    engine.set_helicopter_velocity(heli, [0, 0, 0], 0.0)
    engine.run_for(0.5)
    assert engine.model_pose(heli).pos[2] == pytest.approx(ground, abs=0.02)
    hold = []
    while engine.sim_time < 20.0:
        z = engine.model_pose(heli).pos[2]
        engine.set_helicopter_velocity(heli, [0, 0, float(np.clip(0.8 * (20 - z), -3, 3))], 0)
        engine.step(25)
        if engine.sim_time > 12.0:
            hold.append(engine.model_pose(heli).pos[2])
    assert max(abs(z - 20) for z in hold) < 1.0
    while engine.model_pose(heli).pos[2] > ground + 0.05 and engine.sim_time < 40:
        z = engine.model_pose(heli).pos[2]
        engine.set_helicopter_velocity(heli, [0, 0, -min(3.0, max(0.3, 0.3 * z))], 0)
        engine.step(25)
    engine.set_helicopter_enabled(heli, False)
    engine.run_for(1.0)
    pose = engine.model_pose(heli)
    assert pose.pos[2] == pytest.approx(ground, abs=0.03)
    assert abs(engine.model_odometry(heli).linear[2]) < 0.05


def test_disabled_helicopter_falls(fixture_engine):
    """Disabled helicopter falls."""
    engine = fixture_engine()
    heli = 'heli_1'
    engine.set_helicopter_velocity(heli, [0, 0, 2.0], 0.0)
    engine.run_for(3.0)
    high = engine.model_pose(heli).pos[2]
    assert high > 3.0
    engine.set_helicopter_enabled(heli, False)
    engine.run_for(1.5)  # from +2 m/s, Mars gravity: about -3.6 m/s
    assert engine.model_odometry(heli).linear[2] < -3.0
    assert engine.helicopter_state(heli).thrust == 0.0
