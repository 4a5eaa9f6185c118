# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the rover: drive safety filter, waypoint follower, arm, sampling, depot drops."""

from dataclasses import replace
import math

from perseverance_nodes.domain.facts import load_mission_facts
from perseverance_nodes.domain.geometry import approach_pose, Pose2D, yaw_to_quaternion
from perseverance_nodes.domain.tubes import Content, FaultKind
from perseverance_nodes.domain.validation import ConfigError, Refusal
from perseverance_nodes.rover import arm
from perseverance_nodes.rover.logic import corner_steering, CORNER_WHEELS, DriveLimits
from perseverance_nodes.rover.logic import DriveSafetyFilter, STEER_LIMIT
from perseverance_nodes.rover.logic import navigation_progress, NavStage, WaypointFollower
from perseverance_nodes.rover.sampling import classify_drop, CollectStage, fall_time
from perseverance_nodes.rover.sampling import forced_drop_pose, plan_collection, plan_deposit
from perseverance_nodes.rover.sampling import RECOVERY_KNOCK_OVER, RECOVERY_NUDGE
from perseverance_nodes.rover.sampling import recovery_steps
import pytest

FACTS = load_mission_facts()
LIMITS = DriveLimits(max_linear_speed=0.1, max_angular_speed=0.2, max_linear_accel=0.1,
                     max_angular_accel=0.4)
TUBES = ['tube_01', 'tube_02']


def test_safety_filter_clamps_speed_and_acceleration():
    """Check that safety filter clamps speed and acceleration."""
    safety = DriveSafetyFilter(LIMITS)
    first = safety.apply(1.0, 0.0, now=0.0)
    # Speed clamped to 0.1, then acceleration limits the first step to 0.1 m/s2 * 0.5 s.
    assert first.linear == pytest.approx(0.05)
    assert any('exceeds the limit' in v for v in first.violations)
    assert any('acceleration' in v for v in first.violations)
    second = safety.apply(0.1, 0.0, now=0.1)
    assert second.linear == pytest.approx(0.06)
    steady = safety.apply(0.06, 0.0, now=0.2)
    assert steady.linear == pytest.approx(0.06) and not steady.modified


@pytest.mark.parametrize('bad', [math.nan, math.inf, -math.inf, 'fast'])
def test_safety_filter_rejects_non_finite_commands_with_a_stop(bad):
    """Check that the safety filter answers non-finite commands with a stop."""
    safety = DriveSafetyFilter(LIMITS)
    safety.apply(0.05, 0.0, now=0.0)
    command = safety.apply(bad, 0.1, now=0.1)
    assert (command.linear, command.angular) == (0.0, 0.0)
    assert 'not finite' in command.violations[0]


def test_safety_filter_holds_when_time_goes_back():
    """Check that safety filter holds when time goes back."""
    safety = DriveSafetyFilter(LIMITS)
    safety.apply(0.05, 0.0, now=10.0)
    command = safety.apply(0.1, 0.0, now=5.0)
    assert command.linear == pytest.approx(0.05)
    assert any('backwards' in v for v in command.violations)


def test_drive_limits_validation_names_the_field():
    """Check that drive limits validation names the field."""
    with pytest.raises(ConfigError, match='max_linear_speed'):
        DriveLimits(-1.0, 0.1, 0.1, 0.1)
    assert DriveLimits.from_facts(FACTS.rover).max_linear_speed == pytest.approx(0.042)


def test_waypoint_follower_turns_then_drives_and_arrives():
    """Check that waypoint follower turns then drives and arrives."""
    follower = WaypointFollower(LIMITS, tolerance=0.3)
    pose, dt, stages = Pose2D(0.0, 0.0, math.pi), 0.5, []
    start = (pose.x, pose.y)
    for _ in range(2000):
        command = follower.command(pose, 5.0, 2.0)
        stages.append(command.stage)
        if command.stage == NavStage.ARRIVED:
            break
        yaw = pose.yaw + command.angular * dt
        pose = Pose2D(pose.x + command.linear * math.cos(yaw) * dt,
                      pose.y + command.linear * math.sin(yaw) * dt, yaw)
        assert abs(command.linear) <= LIMITS.max_linear_speed + 1e-12
        assert abs(command.angular) <= LIMITS.max_angular_speed + 1e-12
    assert stages[0] == NavStage.TURNING and NavStage.DRIVING in stages
    assert stages[-1] == NavStage.ARRIVED
    assert pose.distance_to(5.0, 2.0) <= 0.3
    assert navigation_progress(start, pose, 5.0, 2.0) > 0.9


def test_waypoint_follower_respects_max_speed_and_validates():
    """Check that waypoint follower respects max speed and validates."""
    follower = WaypointFollower(LIMITS)
    command = follower.command(Pose2D(0.0, 0.0, 0.0), 10.0, 0.0, max_speed=0.02)
    assert command.stage == NavStage.DRIVING and command.linear <= 0.02
    with pytest.raises(ConfigError, match='tolerance'):
        WaypointFollower(LIMITS, tolerance=0.0)


def test_approach_pose_faces_the_target_at_standoff():
    """Check that approach pose faces the target at standoff."""
    pose = approach_pose(10.0, 0.0, 0.0, 0.0, 1.6)
    assert (pose.x, pose.y, pose.yaw) == pytest.approx((8.4, 0.0, 0.0))


def test_arm_poses_are_within_limits_and_validation_names_joint():
    """Check that arm poses are within limits and validation names joint."""
    for name in ('stow', 'ready', 'core_at_rock', 'drop', 'bit_carousel'):
        assert len(arm.arm_pose(name)) == 5
    with pytest.raises(ConfigError, match='arm_elbow'):
        arm.validate_arm_joints((0.0, 0.0, -1.0, 0.0, 0.0))
    with pytest.raises(ConfigError, match='5 values'):
        arm.validate_arm_joints((0.0, 0.0))
    with pytest.raises(ConfigError, match='arm pose'):
        arm.arm_pose('wave')
    start, goal = arm.arm_pose('stow'), arm.arm_pose('ready')
    slowest = max(abs(b - a) for a, b in zip(start, goal))
    assert arm.arm_move_duration(start, goal, 0.1) == pytest.approx(slowest / 0.1)
    assert arm.interpolate_arm(start, goal, 1.0) == pytest.approx(goal)


def test_drill_tip_kinematics_match_the_model():
    """Check the drill tip FK against the model's stowed pose, and the IK round trip."""
    # models/perseverance: stowed, the tip is 0.4 m up, about 0.6 m ahead of the front wheels.
    assert arm.drill_tip(arm.arm_pose('stow')) == pytest.approx((2.07, 0.0, 0.40), abs=0.01)
    # Coring: the drill reaches the top face (0.6 m) of a rock 3.0 m ahead.
    x, _, z = arm.drill_tip(arm.arm_pose('core_at_rock'))
    assert z == pytest.approx(0.6) and FACTS.rover.coring_standoff - 0.7 < x
    for target in ((2.5, 0.3), (2.8, 0.6), (2.6, 0.9)):
        assert arm.drill_tip(arm.solve_drill_ik(*target))[::2] == pytest.approx(target)
    turned = arm.drill_tip((0.5,) + arm.arm_pose('core_at_rock')[1:])
    assert turned[1] > 0.0  # positive azimuth swings the arm to the left
    with pytest.raises(Refusal) as error:
        arm.solve_drill_ik(5.0, 0.0)
    assert error.value.code == 'ROCK_OUT_OF_REACH'


def test_collection_nominal_two_cores():
    """Check a nominal collection of two cores."""
    plan = plan_collection('montdenier', TUBES, 3, 190, FACTS, seed=1)
    assert plan.success
    assert [c.designation for c in plan.cores] == ['M2020-00190-03', 'M2020-00190-04']
    assert all(c.content == Content.ROCK_CORE for c in plan.cores)
    assert all(FACTS.tubes.core_length_min <= c.core_length <= FACTS.tubes.core_length_max
               for c in plan.cores)
    stages = [s.stage for s in plan.timeline]
    assert stages[0] == CollectStage.ARM_DEPLOY and CollectStage.ABRADING in stages
    assert stages.count(CollectStage.CORING) == 2
    assert stages.count(CollectStage.HANDOFF_TO_CACHE) == 2
    assert stages[-1] == CollectStage.ARM_STOW
    transfers = [s.details['transfer'] for s in plan.timeline if 'transfer' in s.details]
    assert transfers[0] == ('rover/caching_assembly', 'rover/arm', 'core')
    assert transfers[1] == ('rover/arm', 'rover/caching_assembly', 'cache')


def test_collection_is_deterministic_for_a_seed():
    """Check that collection is deterministic for a seed."""
    first = plan_collection('malay', TUBES, 1, 337, FACTS, seed=42)
    again = plan_collection('malay', TUBES, 1, 337, FACTS, seed=42)
    other = plan_collection('malay', TUBES, 1, 337, FACTS, seed=43)
    assert first.cores == again.cores
    assert first.cores != other.cores


def test_empty_core_fault_gives_an_atmospheric_tube_like_roubion():
    """Check that EMPTY_CORE gives an atmospheric tube, like Roubion."""
    plan = plan_collection('roubion', TUBES, 1, 164, FACTS, 1, faults=[FaultKind.EMPTY_CORE])
    assert plan.success and plan.faults_seen == (FaultKind.EMPTY_CORE,)
    empty, twin = plan.cores
    assert (empty.content, empty.core_length, empty.volume) == (Content.ATMOSPHERIC, 0.0, 0.0)
    assert twin.content == Content.ROCK_CORE and twin.core_length > 0.0


def test_carousel_debris_recovers_by_rotating_the_carousel():
    """Check that carousel debris recovers by rotating the carousel."""
    plan = plan_collection('coulettes', TUBES, 1, 271, FACTS, 1,
                           faults=[FaultKind.CAROUSEL_DEBRIS])
    assert plan.success and len(plan.cores) == 2
    names = plan.timeline.names()
    assert 'handoff_blocked' in names and 'carousel_rotation_1' in names
    assert names.index('carousel_rotation_1') < names.index('handoff_1')


def test_carousel_debris_without_rotations_fails_with_the_tube_in_the_arm():
    """Check that carousel debris without rotations fails with the tube in the arm."""
    facts = replace(FACTS, rover=replace(FACTS.rover, max_carousel_rotations=0))
    plan = plan_collection('coulettes', TUBES, 1, 271, facts, 1,
                           faults=[FaultKind.CAROUSEL_DEBRIS])
    assert not plan.success and plan.error.code == 'CAROUSEL_BLOCKED'
    assert plan.cores == ()
    assert 'handoff_1' not in plan.timeline.names()


def test_regolith_site_is_scooped_not_abraded():
    """Check that regolith site is scooped not abraded."""
    plan = plan_collection('crosswind_lake', TUBES, 1, 639, FACTS, 1)
    assert 'abrade' not in plan.timeline.names()
    assert plan.cores[0].content == Content.REGOLITH
    assert plan.cores[0].volume == pytest.approx(FACTS.tubes.regolith_volume)


@pytest.mark.parametrize('rock, tubes, code', [
    ('olympus', TUBES, 'UNKNOWN_ROCK'),
    ('malay', ['tube_01'], 'NO_EMPTY_TUBES'),
])
def test_collection_refusals(rock, tubes, code):
    """Check the collection refusals and their codes."""
    with pytest.raises(Refusal) as error:
        plan_collection(rock, tubes, 1, 337, FACTS, 1)
    assert error.value.code == code


def test_collection_rejects_bad_core_count():
    """Check that collection rejects bad core count."""
    with pytest.raises(Refusal, match='cores'):
        plan_collection('malay', TUBES, 1, 337, FACTS, 1, cores=3)


def test_deposit_timeline_falls_for_the_mars_drop_time():
    """Check that the deposit timeline falls for the Mars drop time."""
    timeline = plan_deposit('tube_02', 'depot/slot_01', FACTS)
    falling = [s for s in timeline if s.name == 'falling'][0]
    assert falling.duration == pytest.approx(math.sqrt(2 * 0.89 / 3.721))
    assert fall_time(0.89, 3.721) == pytest.approx(0.6916, abs=1e-3)


def test_drop_check_flat_and_clear():
    """Check that a flat tube clear of the wheels needs no recovery."""
    rover = Pose2D(0.0, 0.0, 0.0)
    lying = (math.sqrt(0.5), 0.0, 0.0, math.sqrt(0.5))  # z axis rotated onto the horizontal
    check = classify_drop((0.0, 0.0, 0.01), lying, rover, FACTS)
    assert check.clear and not check.on_end and check.tilt == pytest.approx(math.pi / 2)
    # A yaw-only rotation leaves the tube upright, whatever the yaw.
    upright = classify_drop((5.0, 5.0, 0.09), yaw_to_quaternion(1.0), rover, FACTS)
    assert upright.on_end and upright.tilt == pytest.approx(0.0)


def test_drop_check_on_end_and_in_wheel_path():
    """Check the on-end and wheel-path drop checks and recoveries."""
    rover = Pose2D(0.0, 0.0, 0.0)
    position, quaternion = forced_drop_pose(FaultKind.TUBE_ON_END, rover, FACTS)
    check = classify_drop(position, quaternion, rover, FACTS)
    assert check.on_end and check.recoveries == (RECOVERY_KNOCK_OVER,)
    position, quaternion = forced_drop_pose(FaultKind.TUBE_IN_WHEEL_PATH, rover, FACTS)
    check = classify_drop(position, quaternion, rover, FACTS)
    assert check.in_wheel_path and not check.on_end
    assert check.recoveries == (RECOVERY_NUDGE,)
    # Pushed outward, clear of the left track.
    assert check.nudge_target[1] > FACTS.rover.wheel_track / 2 + FACTS.rover.wheel_width / 2
    steps = recovery_steps(check, 'tube_02', FACTS)
    assert [s.name for s in steps] == [RECOVERY_NUDGE]


def test_drop_check_ignores_tubes_behind_or_between_the_wheels():
    """Check that drop check ignores tubes behind or between the wheels."""
    rover = Pose2D(0.0, 0.0, 0.0)
    lying = (math.sqrt(0.5), 0.0, 0.0, math.sqrt(0.5))
    behind = classify_drop((-1.0, FACTS.rover.wheel_track / 2, 0.01), lying, rover, FACTS)
    between = classify_drop((1.0, 0.0, 0.01), lying, rover, FACTS)
    assert not behind.in_wheel_path and not between.in_wheel_path
    with pytest.raises(ValueError):
        forced_drop_pose(FaultKind.SEAL_STUCK, rover, FACTS)


def test_corner_steering_turn_in_place_is_tangent_to_the_circle():
    """In place every corner wheel is perpendicular to its radius from the rover centre."""
    angles = corner_steering(0.0, 0.3)
    for corner, (x, y) in CORNER_WHEELS.items():
        heading = (math.cos(angles[corner]), math.sin(angles[corner]))
        assert heading[0] * x + heading[1] * y == pytest.approx(0.0, abs=1e-9)
    assert angles['front_left'] == pytest.approx(-math.atan2(1.2, 1.15))
    assert angles['front_right'] == pytest.approx(math.atan2(1.2, 1.15))
    assert corner_steering(0.0, -0.3) == pytest.approx(angles)


def test_corner_steering_straight_arc_and_reverse():
    """Straight is zero; an arc steers front and rear opposite; reversing keeps the geometry."""
    assert corner_steering(0.5, 0.0) == dict.fromkeys(CORNER_WHEELS, 0.0)
    left_arc = corner_steering(0.5, 0.2)   # turn centre 2.5 m to the left
    assert left_arc['front_left'] == pytest.approx(math.atan2(0.2 * 1.2, 0.5 - 0.2 * 1.15))
    assert left_arc['front_left'] > 0 and left_arc['rear_left'] < 0
    assert corner_steering(-0.5, -0.2) == pytest.approx(left_arc)
    assert all(abs(a) <= STEER_LIMIT for a in corner_steering(0.01, 0.5).values())


def test_corner_steering_holds_the_wheels_at_rest():
    """Stopping keeps the last angles instead of swinging the wheels back."""
    turning = corner_steering(0.0, 0.3)
    assert corner_steering(0.0, 0.0, turning) == turning
    assert corner_steering(0.0, 0.0) == dict.fromkeys(CORNER_WHEELS, 0.0)
