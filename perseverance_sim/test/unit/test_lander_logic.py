# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the lander: transfer arm kinematics, container, loading plan, MAV launch."""

import math

import numpy as np
from perseverance_nodes.domain.facts import load_mission_facts
from perseverance_nodes.domain.geometry import Pose2D
from perseverance_nodes.domain.site_layout import HANDOVER_PARKING_TOLERANCE, LanderSite
from perseverance_nodes.domain.site_layout import RACK_AHEAD, RACK_HEIGHT, ROVER_HANDOVER
from perseverance_nodes.domain.validation import ConfigError, Refusal
from perseverance_nodes.lander.logic import CONTAINER_PORT, forward_kinematics, LaunchStage
from perseverance_nodes.lander.logic import LoadStage, MarsAscentVehicle, plan_load
from perseverance_nodes.lander.logic import SampleContainer, solve_ik, TRANSFER_ARM_JOINTS
from perseverance_nodes.lander.logic import transfer_arm_pose, TRANSFER_ARM_POSES
from perseverance_nodes.lander.logic import validate_transfer_arm_joints
import pytest

FACTS = load_mission_facts()
SITE = LanderSite(Pose2D(60.0, -40.0, math.pi / 2))


def test_joint_names_and_named_poses():
    """Check the joint names and that named poses are valid."""
    assert TRANSFER_ARM_JOINTS == tuple(f'sta_joint_{i}' for i in range(1, 8))
    for name in ('stow', 'pick_ground', 'pick_rover', 'insert_container'):
        assert len(transfer_arm_pose(name)) == 7
        validate_transfer_arm_joints(TRANSFER_ARM_POSES[name])
    with pytest.raises(ConfigError, match='transfer arm pose'):
        transfer_arm_pose('wave')
    with pytest.raises(ConfigError, match='sta_joint_2'):
        validate_transfer_arm_joints((0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0))


@pytest.mark.parametrize('target, yaw', [
    ((-2.4, 1.0, 0.02), 0.0), ((-2.6, 0.8, 0.02), 0.7), ((-2.5, -1.0, 0.3), -1.2),
    ((-3.25, 0.0, 0.89), 1.57), ((-1.0, 2.0, 0.5), 0.3),
])
def test_ik_round_trips_through_forward_kinematics(target, yaw):
    """Check that the IK round-trips through forward kinematics."""
    joints = solve_ik(target, grasp_yaw=yaw)
    position, rotation = forward_kinematics(joints)
    assert position == pytest.approx(target, abs=1e-9)
    assert -rotation[:, 0] == pytest.approx((0.0, 0.0, -1.0), abs=1e-9)  # gripper points down
    fingers = rotation[:, 1]
    tube_axis = np.array([math.cos(yaw), math.sin(yaw), 0.0])
    assert abs(fingers @ tube_axis) == pytest.approx(0.0, abs=1e-9)  # they close across it


def test_ik_rejects_unreachable_targets_with_a_reason():
    """Check that the IK rejects unreachable targets with a reason."""
    with pytest.raises(Refusal) as error:
        solve_ik((8.0, 0.0, 0.0))
    assert error.value.code == 'OUT_OF_REACH' and 'reaches' in error.value.message
    with pytest.raises(Refusal, match='too close'):
        solve_ik((-1.0, 0.0, 1.27))  # the wrist would sit on the shoulder
    with pytest.raises(Refusal, match='sta_joint_1'):
        solve_ik((0.415, 0.0, 3.0))  # straight behind: the slew stops at 3.1 rad
    with pytest.raises(Refusal) as error:
        solve_ik((math.nan, 0.0, 0.0))
    assert error.value.code == 'INVALID_GOAL'


def test_container_capacity_and_policies():
    """Check the container capacity and policies."""
    container = SampleContainer(capacity=2)
    assert container.load('tube_01', sealed=True) == 0
    assert container.load('tube_02', sealed=True) == 1
    with pytest.raises(Refusal) as error:
        container.load('tube_03', sealed=True)
    assert error.value.code == 'CONTAINER_FULL'
    container = SampleContainer(capacity=30)
    with pytest.raises(Refusal) as error:
        container.load('tube_04', sealed=False)
    assert error.value.code == 'TUBE_UNSEALED'
    assert SampleContainer(allow_unsealed=True).load('tube_04', sealed=False) == 0
    container.load('tube_05', sealed=True)
    with pytest.raises(Refusal, match='already in slot 0'):
        container.load('tube_05', sealed=True)
    container.close_lid()
    with pytest.raises(Refusal) as error:
        container.load('tube_06', sealed=True)
    assert error.value.code == 'CONTAINER_CLOSED'


def test_full_container_holds_thirty():
    """Check that full container holds thirty."""
    container = SampleContainer(FACTS.lander.container_capacity)
    for index in range(30):
        container.load(f'tube_{index + 1:02d}', sealed=True)
    assert len(container.tubes) == 30
    with pytest.raises(Refusal, match='30 slots'):
        container.check_load('tube_31', True)


def test_plan_load_from_a_drop_point():
    """Check plan_load from a drop point: stages and transfers."""
    container = SampleContainer()
    point = SITE.drop_points(2)[0]
    timeline = plan_load('tube_02', point, 0.0, SITE, container, True, FACTS)
    assert [s.stage for s in timeline] == list(LoadStage)
    transfers = [s.details['transfer'] for s in timeline if 'transfer' in s.details]
    assert transfers == [('ground', 'lander/transfer_arm', 'grasp'),
                         ('lander/transfer_arm', 'lander/container', 'load')]
    assert container.tubes == ()  # planning does not load


def test_plan_load_refuses_far_tubes_and_a_full_container():
    """Check that plan_load refuses far tubes and a full container."""
    far = SITE.to_world(7.0, 0.0, 0.0)
    with pytest.raises(Refusal) as error:
        plan_load('tube_02', far, 0.0, SITE, SampleContainer(), True, FACTS)
    assert error.value.code == 'OUT_OF_REACH'
    full = SampleContainer(capacity=1)
    full.load('tube_01', True)
    with pytest.raises(Refusal) as error:
        plan_load('tube_02', SITE.drop_points(1)[0], 0.0, SITE, full, True, FACTS)
    assert error.value.code == 'CONTAINER_FULL'


def test_model_geometry_and_contract_places():
    """Check the FK against the model's ready pose and the contract's places."""
    ready, _ = forward_kinematics(TRANSFER_ARM_POSES['stow'])
    assert ready == pytest.approx((-2.47, 0.0, 1.58), abs=0.01)  # docs/world_contract.md
    port, _ = forward_kinematics(TRANSFER_ARM_POSES['insert_container'])
    assert np.linalg.norm(port - np.array(CONTAINER_PORT)) < 0.14  # inside the container
    site = LanderSite(Pose2D(70.0, 0.0, 0.0))
    park = site.rover_handover_pose()
    assert (park.x, park.y, park.yaw) == pytest.approx((66.7, 0.0, 0.0))
    assert site.rover_handover_pose(backoff=10.0).x == pytest.approx(56.7)
    dropzones = [(67.6, 1.0), (67.6, -1.0)]  # helicopter_dropzone, helicopter_dropzone_2
    assert [c for p in site.drop_points(2) for c in p[:2]] == pytest.approx(
        [c for p in dropzones for c in p])


def test_site_frames_and_drop_points():
    """Check the site frames and drop points."""
    world = SITE.to_world(3.2, 0.0, 0.0)
    assert world == pytest.approx((60.0, -36.8, 0.0))
    assert SITE.to_lander(*world) == pytest.approx((3.2, 0.0, 0.0))
    assert len(SITE.drop_points(1)) == 1
    points = SITE.drop_points(4)  # more helicopters share the two points
    assert len(points) == 2 and math.dist(points[0], points[1]) == pytest.approx(2.0)


def test_every_drop_point_is_loadable_and_clear_of_the_legs():
    """Two helicopters side by side: each point in the arm's reach, 0.85 m from leg pads."""
    legs = [(x, y) for x in (-1.5, 1.5) for y in (-1.5, 1.5)]  # models/sample_retrieval_lander
    for point in SITE.drop_points(2):
        lander_xy = SITE.to_lander(*point)[:2]
        # rotor radius 0.6 m + leg pad radius 0.25 m
        assert min(math.dist(lander_xy, leg) for leg in legs) > 0.85
        plan_load('tube_02', point, 0.0, SITE, SampleContainer(), True, FACTS)


def test_launch_preconditions_and_sequence():
    """Check the launch preconditions and sequence."""
    container = SampleContainer()
    mav = MarsAscentVehicle(container)
    with pytest.raises(Refusal) as error:
        mav.check_ready(min_tubes=1)
    assert error.value.code == 'TOO_FEW_TUBES'
    container.load('tube_01', True)
    with pytest.raises(Refusal, match='stowed'):
        mav.check_ready(arm_stowed=False)
    mav.check_ready(min_tubes=0)  # 0 means 1
    assert [s.stage for s in mav.plan(FACTS)] == list(LaunchStage)
    with pytest.raises(Refusal, match='lid'):
        mav.liftoff(100.0)
    container.close_lid()
    assert mav.liftoff(100.0) == ('tube_01',)
    with pytest.raises(Refusal) as error:
        mav.check_ready()
    assert error.value.code == 'ALREADY_LAUNCHED'


@pytest.mark.parametrize('parking_error', [-HANDOVER_PARKING_TOLERANCE, 0.0,
                                           HANDOVER_PARKING_TOLERANCE])
def test_every_rack_tube_is_in_reach_of_a_rover_parked_within_tolerance(parking_error):
    """The transfer arm reaches both rows of the rack, end to end (docs/world_contract.md)."""
    rover_x = ROVER_HANDOVER[0] + parking_error
    for slot_x in np.linspace(-0.26, 0.273, 12):   # rack slots along the rover, m
        for slot_y in (-0.09, 0.09):
            grasp = (rover_x + RACK_AHEAD + slot_x, slot_y, RACK_HEIGHT + 0.02)
            joints = solve_ik(grasp, tool_pitch=None, grasp_yaw=math.pi / 2)
            reached, _ = forward_kinematics(joints)
            assert reached == pytest.approx(grasp, abs=1e-6)
