# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""The rover's action executors against a fake world (no ROS): records, results, refusals."""

from dataclasses import replace
import math

from perseverance_nodes.domain.facts import load_mission_facts
from perseverance_nodes.domain.geometry import Pose2D
from perseverance_nodes.domain.site_layout import LANDER_SITE, LanderSite
from perseverance_nodes.domain.tubes import FaultKind, ROVER_CACHING_ASSEMBLY
from perseverance_nodes.domain.validation import Refusal
from perseverance_nodes.rover.arm import arm_pose
from perseverance_nodes.rover.executors import (CollectExecutor, DepositExecutor,
                                                HandOverExecutor, HandOverStage,
                                                NavigateExecutor, PartialCollection, RoverPort,
                                                TUBE_FALL_TIMEOUT)
from perseverance_nodes.rover.logic import DriveLimits, DriveSafetyFilter
from perseverance_nodes.rover.sampling import DepositStage
import pytest

FACTS = load_mission_facts()
SCALE = 0.01
LIMITS = DriveLimits(0.5, 0.3, 0.25, 0.3)
SLOT = 'depot/slot_01'
FLAT = (math.sqrt(0.5), 0.0, 0.0, math.sqrt(0.5))  # the tube's axis along -y: lying flat


class FakeWorld(RoverPort):
    """A flat world: a rover that follows its commands exactly, tubes that fall as scripted."""

    def __init__(self, pose=Pose2D(0.0, 0.0, 0.0), faults=(), fall=None, cancel_after=None):
        self.rover, self.time, self.faults_armed = pose, 0.0, list(faults)
        self.speed = (0.0, 0.0)
        self.filter = DriveSafetyFilter(LIMITS)
        self.fall = fall or (lambda t: ((0.35, 0.0, max(0.89 - t, 0.0085)), FLAT))
        self.released_at = None
        self.cancel_after = cancel_after  # sim time after which the goal is cancelled
        self.records, self.feedbacks, self.arm, self.waits, self.logs = [], [], [], [], []

    def now(self):
        return self.time

    def wait(self, seconds, cancellable=True):
        if cancellable and self.cancel_requested():
            return False
        self.waits.append(seconds)
        x, y, yaw = self.rover.x, self.rover.y, self.rover.yaw
        yaw += self.speed[1] * seconds
        self.rover = Pose2D(x + self.speed[0] * seconds * math.cos(yaw),
                            y + self.speed[0] * seconds * math.sin(yaw), yaw)
        self.time += seconds
        return True

    def cancel_requested(self):
        return self.cancel_after is not None and self.time >= self.cancel_after

    def pose(self):
        return self.rover, 0.0

    def at_rest(self):
        return self.speed == (0.0, 0.0)

    def drive(self, linear, angular):
        command = self.filter.apply(linear, angular, self.time)
        self.speed = (command.linear, command.angular)
        return command

    def send_arm(self, positions, seconds=None):
        self.arm.append(tuple(positions))
        return seconds or 1.0

    def tube_pose(self, tube_id):
        if self.released_at is None:
            return (0.35, 0.0, 0.89), (0, 0, 0, 1)
        return self.fall(self.time - self.released_at)

    def release(self, tube_id):
        self.released_at = self.time
        return 'perseverance::caching_assembly'

    def record(self, tube_id, from_holder, to_holder, action, position, changes=None):
        self.records.append((tube_id, from_holder, to_holder, action, tuple(position),
                             dict(changes or {})))

    def feedback(self, stage, progress, **fields):
        self.feedbacks.append((int(stage), progress, fields))

    def faults(self, kinds, targets, trigger):
        return [kind for kind in self.faults_armed if kind in kinds]

    def log(self, text, warning=False):
        self.logs.append(text)


def _deposit(world, slot_xy=(0.35, 0.0)):
    executor = DepositExecutor(FACTS, SCALE, 1.0)
    return executor.run(world, 'tube_05', SLOT, 1, slot_xy, world.rover)


def test_a_drop_records_where_the_tube_came_to_rest():
    """Release, fall, rest: one drop event at the resting point; the stages in order."""
    world = FakeWorld()
    outcome = _deposit(world)
    assert [r[:4] for r in world.records] == [('tube_05', ROVER_CACHING_ASSEMBLY, SLOT, 'drop')]
    assert world.records[0][4] == pytest.approx((0.35, 0.0, 0.0085))
    assert outcome.rest_position == pytest.approx((0.35, 0.0, 0.0085))
    assert outcome.roll_distance == pytest.approx(0.0)
    assert not outcome.was_on_end and not outcome.was_in_wheel_path
    stages = [stage for stage, _, _ in world.feedbacks]
    assert stages == [DepositStage.ALIGN, DepositStage.RELEASE, DepositStage.FALLING,
                      DepositStage.INSPECT, DepositStage.INSPECT]
    assert world.feedbacks[-1][1] == 1.0
    assert world.arm == [arm_pose('stow')]


def test_a_tube_that_rolls_reports_its_roll_distance():
    """The roll distance is measured on the ground from the release point to the rest point."""
    world = FakeWorld(fall=lambda t: ((0.35 + min(t, 0.5), 0.0, max(0.89 - t, 0.0085)), FLAT))
    outcome = _deposit(world)
    assert outcome.roll_distance == pytest.approx(0.5)
    assert world.records[0][4][0] == pytest.approx(0.85)


def test_a_forced_on_end_drop_is_knocked_over_and_recorded():
    """TUBE_ON_END: a recovery with the arm and a knock_over event after the drop."""
    world = FakeWorld(faults=[FaultKind.TUBE_ON_END])
    outcome = _deposit(world)
    assert outcome.was_on_end and not outcome.was_in_wheel_path
    assert [r[3] for r in world.records] == ['drop', 'knock_over']
    assert world.records[1][1:3] == (SLOT, SLOT)
    assert DepositStage.RECOVER in [stage for stage, _, _ in world.feedbacks]
    assert world.arm == [arm_pose('stow'), arm_pose('drop'), arm_pose('stow')]


def test_a_drop_away_from_the_slot_is_refused_before_release():
    """NOT_AT_SLOT names the distance; nothing is released or recorded."""
    world = FakeWorld()
    with pytest.raises(Refusal) as refused:
        _deposit(world, slot_xy=(5.0, 0.0))
    assert refused.value.code == 'NOT_AT_SLOT' and '4.65 m' in refused.value.message
    assert world.released_at is None and world.records == []


def test_a_tube_that_never_rests_is_still_recorded_where_it_is():
    """A tube still moving after the fall timeout: TIMEOUT, custody recorded at its last pose."""
    world = FakeWorld(fall=lambda t: ((0.35 + t, 0.0, 0.0085), FLAT))
    with pytest.raises(Refusal) as refused:
        _deposit(world)
    assert refused.value.code == 'TIMEOUT'
    assert [r[3] for r in world.records] == ['drop']
    assert world.records[0][4][0] > 0.35 + TUBE_FALL_TIMEOUT - 1.0


def test_a_cancel_before_the_release_keeps_the_tube():
    """Cancelled while aligning: CANCELED and the tube stays in the rack (no record)."""
    world = FakeWorld(cancel_after=0.0)
    with pytest.raises(Refusal) as refused:
        _deposit(world)
    assert refused.value.code == 'CANCELED'
    assert world.released_at is None and world.records == []


def test_the_hand_over_checks_the_parking_then_plays_its_stages():
    """Parked at rover_handover: three stages, the arm stowed; elsewhere TOO_FAR_FROM_LANDER."""
    site = LanderSite(LANDER_SITE)
    executor = HandOverExecutor(FACTS, SCALE, 0.2, site)
    parked = site.rover_handover_pose()
    world = FakeWorld(pose=parked)
    assert executor.run(world, 'tube_01', parked) == pytest.approx(0.0, abs=1e-6)
    assert [stage for stage, _, _ in world.feedbacks] == [
        HandOverStage.ARM_TO_CACHE, HandOverStage.ARM_TO_HANDOFF, HandOverStage.RELEASE,
        HandOverStage.RELEASE]
    assert world.arm == [arm_pose('stow')]
    assert sum(world.waits) == pytest.approx(SCALE * executor.plan().total_duration)
    away = Pose2D(parked.x - 1.0, parked.y, parked.yaw)
    with pytest.raises(Refusal) as refused:
        executor.run(FakeWorld(pose=away), 'tube_01', away)
    assert refused.value.code == 'TOO_FAR_FROM_LANDER' and '1.00 m' in refused.value.message


def test_navigation_arrives_within_the_tolerance():
    """A goal behind the rover: it turns, drives and stops inside the tolerance."""
    world = FakeWorld(pose=Pose2D(0.0, 0.0, 0.0))
    travelled = NavigateExecutor(LIMITS).run(world, -3.0, 4.0, 0.3, 0.0)
    assert world.rover.distance_to(-3.0, 4.0) <= 0.3
    assert travelled == pytest.approx(5.0, abs=0.6)
    assert world.speed == (0.0, 0.0)
    assert world.feedbacks[-1][2]['distance_remaining'] <= 0.3


def test_navigation_stops_on_cancel():
    """A cancel mid-drive ends the goal CANCELED, naming the distance left."""
    world = FakeWorld(cancel_after=5.0)
    with pytest.raises(Refusal) as refused:
        NavigateExecutor(LIMITS).run(world, 20.0, 0.0, 0.3, 0.0)
    assert refused.value.code == 'CANCELED' and 'm from the target' in refused.value.message


def _collect(world, faults=()):
    world.faults_armed = list(faults)
    rock_xy = world.rover.to_world(3.0, 0.0)  # squarely ahead, as the approach leaves it
    return CollectExecutor(FACTS, 1, SCALE).run(world, 'mageik', rock_xy, 2,
                                                ['tube_01', 'tube_02', 'tube_03'], 1, 'Mageik')


def test_a_collection_records_each_filled_tube_back_in_the_rack():
    """Two cores: two 'core' events into the rack, each with what the tube now holds."""
    world = FakeWorld()
    cores = _collect(world)
    assert [c.tube_id for c in cores] == ['tube_01', 'tube_02']
    assert [r[:4] for r in world.records] == [
        (tube, ROVER_CACHING_ASSEMBLY, ROVER_CACHING_ASSEMBLY, 'core')
        for tube in ('tube_01', 'tube_02')]
    for core, record in zip(cores, world.records):
        assert record[5]['designation'] == core.designation
        assert record[5]['core_length'] == pytest.approx(core.core_length) and core.core_length > 0
    assert world.feedbacks[-1][1] == 1.0
    assert world.arm[-1] == arm_pose('stow')


def test_an_empty_core_fault_empties_the_first_tube():
    """EMPTY_CORE: the first tube is recorded with no core length."""
    world = FakeWorld()
    cores = _collect(world, faults=[FaultKind.EMPTY_CORE])
    assert cores[0].core_length == 0.0 and world.records[0][5]['core_length'] == 0.0
    assert cores[1].core_length > 0.0


def test_a_rock_out_of_reach_is_refused_before_the_arm_moves():
    """A rock behind the rover: ROCK_OUT_OF_REACH and no arm command."""
    world = FakeWorld()
    with pytest.raises(Refusal) as refused:
        CollectExecutor(FACTS, 1, SCALE).run(world, 'mageik', (-3.0, 0.0), 2, ['tube_01',
                                             'tube_02'], 1, 'Mageik')
    assert refused.value.code == 'ROCK_OUT_OF_REACH'
    assert world.arm == [] and world.records == []


def test_a_blocked_carousel_fails_with_the_cores_filled_so_far():
    """CAROUSEL_DEBRIS past the rotations allowed: PartialCollection, the arm stowed."""
    one_try = replace(FACTS, rover=replace(FACTS.rover, max_carousel_rotations=1))
    for seed in range(1, 40):  # a seed whose debris needs more rotations than allowed
        world = FakeWorld()
        world.faults_armed = [FaultKind.CAROUSEL_DEBRIS]
        executor = CollectExecutor(one_try, seed, SCALE)
        try:
            executor.run(world, 'mageik', (3.0, 0.0), 2, ['tube_01', 'tube_02'], 1, 'Mageik')
        except PartialCollection as partial:
            assert partial.code == 'CAROUSEL_BLOCKED' and partial.cores == ()
            assert world.records == [] and world.arm[-1] == arm_pose('stow')
            return
    pytest.fail('no seed in 1..39 blocks the carousel beyond one rotation')


def test_a_cancel_mid_collection_stows_the_arm():
    """Cancelled while coring: CANCELED, the arm sent to stow."""
    world = FakeWorld(cancel_after=0.5 * SCALE * FACTS.rover.arm_move_duration)
    with pytest.raises(Refusal) as refused:
        _collect(world)
    assert refused.value.code == 'CANCELED' and world.arm[-1] == arm_pose('stow')
