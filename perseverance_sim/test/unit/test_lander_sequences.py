# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Unit tests of the lander's load and launch sequences against a simulated world, without ROS.

``SimWorld`` plays the world contract's part: sim time that waits advance, an arm that goes where
it is sent (sagging by a fixed joint error if asked), tubes that follow the gripper once attached
and an attach service that measures the distance from the tube to the carrier's attach point.
"""

import math

from perseverance_nodes.domain.facts import load_mission_facts
from perseverance_nodes.domain.ports import HandOff, Unanswered
from perseverance_nodes.domain.site_layout import LANDER_SITE, LanderSite
from perseverance_nodes.domain.tubes import (GROUND, helicopter_gripper, LANDER_CONTAINER,
                                             LANDER_TRANSFER_ARM, MAV_LAUNCHED,
                                             ROVER_CACHING_ASSEMBLY)
from perseverance_nodes.domain.validation import Refusal
from perseverance_nodes.lander.logic import (CONTAINER_PORT, forward_kinematics, LaunchStage,
                                             LoadStage, transfer_arm_pose)
from perseverance_nodes.lander.sequences import (ArmSettings, CONTAINER, GRIPPER, Lander,
                                                 LanderWorld, within_limits)
import pytest

FACTS = load_mission_facts()
SITE = LanderSite(LANDER_SITE)
GROUND_TUBE = (*SITE.drop_points(1)[0][:2], 0.0085)  # lying in the drop zone
RACK_TUBE = SITE.rover_rack_point()                  # in the rack of a parked rover
STOW = transfer_arm_pose('stow')


class SimWorld(LanderWorld):
    """A LanderWorld in memory; it records what the sequence did to it."""

    def __init__(self, tubes, ledger=None, sag=(0.0,) * 7, cancel_at=math.inf):
        """Place ``tubes`` (id -> (position, yaw)); ``ledger`` id -> (holder, sealed) or None."""
        self.time = 0.0
        self.tubes = dict(tubes)
        self.ledger = ledger
        self.sag = sag
        self.cancel_at = cancel_at
        self.cancel_after = None  # a custody action: the client cancels once it is recorded
        self.arm = STOW
        self.frozen = False       # True: the arm ignores trajectories
        self.refuse = set()       # carriers whose attach the world refuses
        self.unanswered = set()   # carriers whose attach is never answered
        self.carrier = {}         # tube id -> carrier it is attached to
        self.sent, self.records, self.feedbacks, self.logs = [], [], [], []
        self.grasp_errors = []    # m, grasp point to tube at each attach to the gripper
        self.at = {}              # sim time -> callable, run once that time has passed

    def grasp_point(self):
        """Return where the joint states put the grasp point (world)."""
        return SITE.to_world(*forward_kinematics(within_limits(self.arm))[0])

    def now(self):
        """Return the sim time."""
        return self.time

    def wait(self, seconds, cancellable=True):
        """Advance sim time; stop at the cancel when ``cancellable``."""
        end = self.time + seconds
        if cancellable and self.cancel_at <= end:
            self.time = max(self.time, self.cancel_at)
            end = self.time
        for when in sorted(t for t in self.at if t <= end):
            self.time = when
            self.at.pop(when)()
        self.time = end
        return not (cancellable and self.cancel_requested())

    def cancel_requested(self):
        """Return True once the cancel time has come."""
        return self.time >= self.cancel_at

    def feedback(self, stage, progress):
        """Keep the feedback."""
        self.feedbacks.append((stage, progress))

    def joints(self):
        """Return the arm's joints."""
        return self.arm

    def send_arm(self, waypoints, seconds):
        """Go to the last waypoint at once, short by the sag (gravity on the joint PIDs)."""
        self.sent.append((tuple(map(tuple, waypoints)), seconds))
        if not self.frozen:
            self.arm = tuple(q - s for q, s in zip(waypoints[-1], self.sag))

    def tube_pose(self, tube_id):
        """Return the tube's (position, yaw); it follows the gripper it is attached to."""
        if tube_id not in self.tubes:
            return None
        position, yaw = self.tubes[tube_id]
        if self.carrier.get(tube_id) == GRIPPER:
            x, y, z = self.grasp_point()
            position = (x, y, z - 0.02)
        return position, yaw

    def ledger_state(self, tube_id):
        """Return (holder, sealed) from the ledger, None without one."""
        return None if self.ledger is None else self.ledger[tube_id]

    def attach(self, tube_id, carrier, tolerance):
        """Attach when the tube is within ``tolerance`` of the carrier's attach point."""
        if carrier in self.unanswered:
            raise Unanswered('/world/attach_tube did not answer within 10 s')
        position = self.tube_pose(tube_id)[0]
        point = self.grasp_point() if carrier == GRIPPER else SITE.to_world(*CONTAINER_PORT)
        distance = math.dist(position, point)
        if carrier == GRIPPER:
            self.grasp_errors.append(distance)
        if carrier in self.refuse or distance > tolerance:
            return HandOff(False, 'out of tolerance', distance)
        self.carrier[tube_id] = carrier
        if carrier == CONTAINER:
            self.tubes[tube_id] = (point, 0.0)
        return HandOff(True, distance=distance)

    def record(self, tube_id, from_holder, to_holder, action, position):
        """Keep the custody record."""
        self.records.append((tube_id, from_holder, to_holder, action))
        if action == self.cancel_after:
            self.cancel_at = self.time

    def log(self, message, warning=False):
        """Keep the log line."""
        self.logs.append(('warning' if warning else 'info', message))


def _lander(**settings):
    return Lander(SITE, FACTS, ArmSettings(**settings))


def _load(lander, world, tube_id='tube_02'):
    return lander.load(world, lander.plan_load(world, tube_id))


def _stages(world):
    stages = [stage for stage, _ in world.feedbacks]
    return [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s]


@pytest.mark.parametrize('position, yaw, holder', [
    (GROUND_TUBE, 0.4, GROUND), (RACK_TUBE, math.pi / 2, ROVER_CACHING_ASSEMBLY)])
def test_a_sealed_tube_goes_from_its_holder_into_the_container(position, yaw, holder):
    """Grasp, transfer, insert: two custody records, the tube in slot 0, the arm stowed."""
    lander = _lander()
    world = SimWorld({'tube_02': (position, yaw)}, {'tube_02': (holder, True)})
    outcome = _load(lander, world)
    assert (outcome.code, outcome.slot, outcome.tubes_in_container) == ('', 0, 1)
    assert lander.container.tubes == ('tube_02',)
    assert world.records == [('tube_02', holder, LANDER_TRANSFER_ARM, 'grasp'),
                             ('tube_02', LANDER_TRANSFER_ARM, LANDER_CONTAINER, 'load')]
    assert world.carrier == {'tube_02': CONTAINER}
    assert world.grasp_errors == [pytest.approx(0.02, abs=1e-6)]  # the fingers close above it
    assert _stages(world) == list(LoadStage) and world.feedbacks[-1] == (LoadStage.STOW, 1.0)
    assert world.sent[-1][0] == (STOW,) and not lander.arm_busy


def test_the_arm_corrects_its_aim_for_sagging_joints_before_the_grasp():
    """Joints short by 0.015 rad miss by centimetres; the aim is corrected to grasp_accuracy."""
    lander = _lander(grasp_tolerance=0.025)  # the sag alone would miss this
    sag = (0.0, 0.015, 0.0, 0.015, 0.0, 0.0, 0.0)
    world = SimWorld({'tube_02': (GROUND_TUBE, 0.0)}, {'tube_02': (GROUND, True)}, sag=sag)
    outcome = _load(lander, world)
    assert outcome.code == '', outcome.message
    assert any(seconds == 1.0 for _, seconds in world.sent)  # a correction was sent
    assert world.grasp_errors[0] == pytest.approx(0.02, abs=lander.settings.grasp_accuracy)


def test_the_grasp_aims_where_the_tube_lies_now():
    """A tube that rolled on after the goal is grasped where it lies; one that left reach not."""
    lander = _lander()
    world = SimWorld({'tube_02': (GROUND_TUBE, 0.0)}, {'tube_02': (GROUND, True)})
    plan = lander.plan_load(world, 'tube_02')
    world.tubes['tube_02'] = ((GROUND_TUBE[0], GROUND_TUBE[1] + 0.3, GROUND_TUBE[2]), 0.0)
    assert lander.load(world, plan).code == ''
    assert lander.container.tubes == ('tube_02',)

    world = SimWorld({'tube_03': (GROUND_TUBE, 0.0)}, {'tube_03': (GROUND, True)})
    plan = lander.plan_load(world, 'tube_03')
    world.tubes['tube_03'] = ((GROUND_TUBE[0] + 8.0, GROUND_TUBE[1], 0.0085), 0.0)
    outcome = lander.load(world, plan)
    assert outcome.code == 'OUT_OF_REACH' and 'moved since the goal' in outcome.message
    assert world.records == [] and world.sent[-1][0] == (STOW,)
    assert lander.container.tubes == ('tube_02',)


def _refusal(lander, world, tube_id='tube_02'):
    with pytest.raises(Refusal) as error:
        lander.plan_load(world, tube_id)
    assert world.sent == [] and world.records == [] and lander.container.tubes == ()
    return error.value


def test_goals_are_refused_before_the_arm_moves():
    """Unknown tube, no tube poses, a holder out of the arm's way, out of reach, unsealed."""
    lander = _lander()
    sealed_on_ground = {'tube_02': (GROUND, True)}
    assert _refusal(lander, SimWorld({}, sealed_on_ground), 'tube_77').code == 'UNKNOWN_TUBE'
    assert _refusal(lander, SimWorld({}, sealed_on_ground)).code == 'WORLD'
    helicopter = helicopter_gripper(1)
    refusal = _refusal(lander, SimWorld({'tube_02': (GROUND_TUBE, 0.0)},
                                        {'tube_02': (helicopter, True)}))
    assert refusal.code == 'INVALID_GOAL' and helicopter in refusal.message
    far = (SITE.pose.x - 10.0, SITE.pose.y, 0.0085)
    refusal = _refusal(lander, SimWorld({'tube_02': (far, 0.0)}, sealed_on_ground))
    assert refusal.code == 'OUT_OF_REACH'
    assert 'm from the transfer arm shoulder (reach' in refusal.message
    refusal = _refusal(lander, SimWorld({'tube_02': (GROUND_TUBE, 0.0)},
                                        {'tube_02': (GROUND, False)}))
    assert refusal.code == 'TUBE_UNSEALED'


def test_without_a_ledger_the_holder_is_guessed_and_the_seal_unknown():
    """Rack height means the rover's rack; an unknown seal only passes with allow_unsealed."""
    world = SimWorld({'tube_02': (GROUND_TUBE, 0.0)})
    assert _refusal(_lander(), world).code == 'TUBE_UNSEALED'
    assert world.logs[0][0] == 'warning' and 'held by ground' in world.logs[0][1]
    lander = Lander(SITE, FACTS, allow_unsealed=True)
    world = SimWorld({'tube_02': (RACK_TUBE, math.pi / 2)})
    plan = lander.plan_load(world, 'tube_02')
    assert (plan.holder, plan.sealed) == (ROVER_CACHING_ASSEMBLY, False)
    assert lander.load(world, plan).code == ''
    assert world.records[0] == ('tube_02', ROVER_CACHING_ASSEMBLY, LANDER_TRANSFER_ARM, 'grasp')


@pytest.mark.parametrize('carrier, unanswered, records', [
    (GRIPPER, False, 0), (GRIPPER, True, 0), (CONTAINER, False, 1), (CONTAINER, True, 1)])
def test_a_refused_or_unanswered_attach_fails_the_goal(carrier, unanswered, records):
    """A failed grasp stows the arm with the tube left; a failed insert keeps it in the gripper."""
    lander = _lander()
    world = SimWorld({'tube_02': (GROUND_TUBE, 0.0)}, {'tube_02': (GROUND, True)})
    (world.unanswered if unanswered else world.refuse).add(carrier)
    outcome = _load(lander, world)
    assert outcome.code == 'WORLD'
    assert ('did not answer' if unanswered else 'the world refused') in outcome.message
    assert len(world.records) == records and lander.container.tubes == ()
    if carrier == GRIPPER:
        assert 'tube_02' not in world.carrier and world.sent[-1][0] == (STOW,)
        assert unanswered or 'joint states put the grasp point at' in outcome.message
    else:
        assert world.carrier == {'tube_02': GRIPPER}
        assert 'still in the gripper' in outcome.message
    assert not lander.arm_busy


def test_a_cancel_before_the_grasp_leaves_the_tube_and_stows():
    """Cancelled while reaching: nothing recorded, the tube where it was, the arm stowed."""
    lander = _lander()
    world = SimWorld({'tube_02': (GROUND_TUBE, 0.0)}, {'tube_02': (GROUND, True)}, cancel_at=1.0)
    outcome = _load(lander, world)
    assert outcome.code == 'CANCELED' and 'left where it was' in outcome.message
    assert world.records == [] and world.carrier == {} and world.sent[-1][0] == (STOW,)


def test_a_cancel_once_the_tube_is_held_waits_until_it_is_inserted():
    """Cancelled after the grasp: the tube still goes into the container, then the goal ends."""
    lander = _lander()
    world = SimWorld({'tube_02': (GROUND_TUBE, 0.0)}, {'tube_02': (GROUND, True)})
    world.cancel_after = 'grasp'
    outcome = _load(lander, world)
    assert outcome.code == 'CANCELED'
    assert lander.container.tubes == ('tube_02',) and len(world.records) == 2
    assert any('inserted first' in message for _, message in world.logs)


def test_an_arm_that_does_not_arrive_times_out():
    """Joint states that never reach the target: TIMEOUT after settle_timeout, nothing held."""
    lander = _lander(settle_timeout=5.0)
    world = SimWorld({'tube_02': (GROUND_TUBE, 0.0)}, {'tube_02': (GROUND, True)})
    world.frozen = True
    outcome = _load(lander, world)
    assert outcome.code == 'TIMEOUT' and 'did not reach its target within 5 s' in outcome.message
    assert world.records == []
    assert world.time == pytest.approx(FACTS.lander.reach_duration + 5.0, abs=0.2)


def _loaded(*tube_ids):
    lander = _lander(duration_scale=0.5)
    for tube_id in tube_ids:
        lander.container.load(tube_id, True)
    world = SimWorld({t: (SITE.to_world(*CONTAINER_PORT), 0.0) for t in tube_ids})
    return lander, world


def test_the_launch_closes_the_lid_counts_down_and_records_every_tube():
    """Lift-off after the scaled timeline; every tube in the container goes to mav/launched."""
    lander, world = _loaded('tube_01', 'tube_02')
    lander.check_launch(2)
    outcome = lander.launch(world)
    nominal = (FACTS.lander.lid_close_duration + FACTS.lander.countdown_duration
               + FACTS.lander.liftoff_duration)
    assert outcome.code == '' and outcome.tube_ids == ('tube_01', 'tube_02')
    assert outcome.launch_time == pytest.approx(0.5 * nominal)
    assert world.records == [(t, LANDER_CONTAINER, MAV_LAUNCHED, 'launch')
                             for t in ('tube_01', 'tube_02')]
    assert lander.container.lid_closed and lander.mav.launched
    assert _stages(world) == list(LaunchStage) and world.feedbacks[-1][1] == 1.0
    with pytest.raises(Refusal) as error:
        lander.check_launch(1)
    assert error.value.code == 'ALREADY_LAUNCHED'


def test_a_cancelled_countdown_keeps_the_mav_on_the_pad_for_good():
    """Cancelled after the lid closed: no lift-off, no records, and no relaunch."""
    lander, world = _loaded('tube_01')
    world.cancel_at = FACTS.lander.lid_close_duration * 0.5 + 0.1
    outcome = lander.launch(world)
    assert outcome.code == 'CANCELED' and 'countdown; lid closed' in outcome.message
    assert world.records == [] and not lander.mav.launched
    with pytest.raises(Refusal, match='relaunch'):
        lander.check_launch(1)


def test_no_launch_while_the_arm_loads_or_with_too_few_tubes():
    """check_launch refuses during a load (the arm is out) and below min_tubes."""
    lander = _lander()
    with pytest.raises(Refusal) as error:
        lander.check_launch(1)
    assert error.value.code == 'TOO_FEW_TUBES'
    lander.container.load('tube_01', True)
    world = SimWorld({'tube_02': (GROUND_TUBE, 0.0)}, {'tube_02': (GROUND, True)})
    refusals = []

    def try_launch():
        try:
            lander.check_launch(1)
        except Refusal as refusal:
            refusals.append(refusal.message)
    world.at[1.0] = try_launch
    assert _load(lander, world).code == ''
    assert refusals == ['the transfer arm is not stowed']
    lander.check_launch(2)  # stowed again, two tubes
