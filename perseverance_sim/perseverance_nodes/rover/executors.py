# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The rover's action executors: NavigateTo, CollectSample, DepositTube and HandOverTube.

Pure Python (no ROS). Each executor walks its plan (a WaypointFollower, or a timeline of
rover.sampling) against ``RoverPort``, the rover's small interface to the world. The rover node
implements the port over the world contract (sim-time waits, the safety-filtered base, the arm
trajectory topic, /world/tube_poses, /world/detach_tube, the tube ledger) and turns an
executor's outcome into the action result; the unit tests implement it with a fake world.
"""

from dataclasses import dataclass
import enum
import math

from .arm import arm_pose
from .logic import navigation_progress, NavStage, WaypointFollower
from .sampling import (classify_drop, DepositStage, DropCheck, forced_drop_pose, plan_collection,
                       plan_deposit, RECOVERY_KNOCK_OVER, RECOVERY_NUDGE, recovery_steps)
from .targets import drill_pose_for_rock, sample_sol
from ..domain.ports import GoalPort, wait_or_refuse
from ..domain.timeline import Step, Timeline
from ..domain.tubes import FaultKind, ROVER_CACHING_ASSEMBLY
from ..domain.validation import Refusal

TUBE_REST_WINDOW = 10     # tube pose samples (10 Hz) that must agree for a tube to be at rest
TUBE_REST_MOTION = 0.002  # m: the most a resting tube may move across the window
TUBE_REST_HEIGHT = 0.5    # m: a tube higher than this is still in the rack, not on the ground
TUBE_FALL_TIMEOUT = 20.0  # s of sim time for a dropped tube to come to rest
TUBE_POLL_PERIOD = 0.1    # s of sim time between looks at the falling tube
MIN_ARM_MOVE = 0.5        # s: the shortest arm trajectory the executors send
CONTROL_PERIOD = 0.1      # s of sim time between NavigateTo commands
SETTLE_TRIES = 3          # stops outside the tolerance after arriving before NavigateTo fails


class RoverPort(GoalPort):
    """What the executors need from the rover node, beyond a ``GoalPort`` (time, waits, log)."""

    def pose(self):
        """Return the rover's (Pose2D, z) in frame "world"; Refusal WORLD without odometry."""
        raise NotImplementedError

    def at_rest(self):
        """Return True if the rover's odometry says it stands still."""
        raise NotImplementedError

    def drive(self, linear, angular):
        """Send a base command through the safety filter; return the FilteredCommand sent."""
        raise NotImplementedError

    def send_arm(self, positions, seconds=None):
        """Send the arm to joint ``positions`` (in ``seconds``, or its own move time)."""
        raise NotImplementedError

    def tube_pose(self, tube_id):
        """Return ((x, y, z), (qx, qy, qz, qw)) of a tube in frame "world"; Refusal WORLD."""
        raise NotImplementedError

    def release(self, tube_id):
        """Let the world drop a tube from the rack; return where from; Refusal on failure."""
        raise NotImplementedError

    def record(self, tube_id, from_holder, to_holder, action, position, changes=None):
        """Record one custody event (and TubeState ``changes``); Refusal WORLD when refused."""
        raise NotImplementedError

    def feedback(self, stage, progress, **fields):
        """Publish a feedback message; ``fields`` may set core_index or distance_remaining."""
        raise NotImplementedError

    def faults(self, kinds, targets, trigger):
        """Return the kinds of armed or active faults of ``kinds`` aimed at targets/trigger."""
        raise NotImplementedError


@dataclass(frozen=True)
class DepositOutcome:
    """How a drop ended: where the tube rests and what recovery it took."""

    rest_position: tuple
    rest_orientation: tuple
    roll_distance: float      # m from the release point to the rest point, on the ground
    check: DropCheck

    @property
    def was_on_end(self):
        """Return True if the tube stood on end and was knocked over."""
        return RECOVERY_KNOCK_OVER in self.check.recoveries

    @property
    def was_in_wheel_path(self):
        """Return True if the tube lay in the wheel path and was nudged away."""
        return RECOVERY_NUDGE in self.check.recoveries


def classify_with_faults(check, fault_kinds, rover_pose, facts):
    """
    Return the drop check with what TUBE_ON_END / TUBE_IN_WHEEL_PATH faults impose on it.

    A fault makes the camera see the tube as its forced pose would lie; the real resting pose
    is still what the world reports (see the rover node's docstring on this simplification).
    """
    if not fault_kinds:
        return check
    on_end, in_path, tilt, target = check.on_end, check.in_wheel_path, check.tilt, None
    for kind in fault_kinds:
        seen = classify_drop(*forced_drop_pose(kind, rover_pose, facts), rover_pose, facts)
        on_end, in_path = on_end or seen.on_end, in_path or seen.in_wheel_path
        tilt = seen.tilt if seen.on_end else tilt
        target = seen.nudge_target or target
    recoveries = ((RECOVERY_KNOCK_OVER,) if on_end else ()) + (
        (RECOVERY_NUDGE,) if in_path else ())
    return DropCheck(on_end, in_path, tilt, recoveries, target)


class NavigateExecutor:
    """One NavigateTo goal: turn, drive and stop within the tolerance (WaypointFollower)."""

    def __init__(self, limits):
        """Drive within the safety filter's ``DriveLimits``."""
        self.limits = limits

    def budget(self, distance, cap):
        """Return the sim seconds a drive of ``distance`` m at up to ``cap`` m/s may take."""
        return 3.0 * distance / cap + 2.0 * math.pi / self.limits.max_angular_speed + 60.0

    def run(self, port, x, y, tolerance, max_speed):
        """Drive to (x, y); return the distance travelled (m). Refusal CANCELED / TIMEOUT."""
        pose, _ = port.pose()
        cap = min(max_speed or self.limits.max_linear_speed, self.limits.max_linear_speed)
        # Slow down early enough for the acceleration limit to stop the rover on the target.
        slow_radius = max(2.0, cap ** 2 / self.limits.max_linear_accel)
        follower = WaypointFollower(self.limits, tolerance=tolerance, slow_radius=slow_radius)
        start = last = (pose.x, pose.y)
        budget = self.budget(pose.distance_to(x, y), cap)
        deadline = port.now() + budget
        port.log('NavigateTo ({:.2f}, {:.2f}): {:.2f} m at up to {:.3g} m/s, tolerance {:.2f} '
                 'm'.format(x, y, pose.distance_to(x, y), cap, tolerance))
        travelled, ticks, settled = 0.0, 0, 0
        while True:
            pose, _ = port.pose()
            if port.cancel_requested():
                raise Refusal('CANCELED', 'cancelled {:.2f} m from the target'.format(
                    pose.distance_to(x, y)))
            travelled += math.hypot(pose.x - last[0], pose.y - last[1])
            last = (pose.x, pose.y)
            nav = follower.command(pose, x, y, cap)
            if nav.stage == NavStage.ARRIVED:
                sent = port.drive(0.0, 0.0)
                if sent.linear == 0.0 and sent.angular == 0.0 and port.at_rest():
                    if pose.distance_to(x, y) <= tolerance:
                        return travelled
                    settled += 1  # coasted out of the circle: steer back in
                    if settled > SETTLE_TRIES:
                        raise Refusal('TIMEOUT', 'the rover stops {:.2f} m from the target, '
                                      'outside the tolerance {:.2f} m'.format(
                                          pose.distance_to(x, y), tolerance))
            else:
                port.drive(nav.linear, nav.angular)
            if ticks % 5 == 0 or nav.stage == NavStage.ARRIVED:
                port.feedback(nav.stage, navigation_progress(start, pose, x, y),
                              distance_remaining=nav.distance_remaining)
            ticks += 1
            if port.now() > deadline:
                raise Refusal('TIMEOUT', 'not at ({:.2f}, {:.2f}) after {:.0f} s of sim time; '
                              '{:.2f} m left'.format(x, y, budget, nav.distance_remaining))
            wait_or_refuse(port, CONTROL_PERIOD, cancellable=True)


class CollectExecutor:
    """One CollectSample goal: aim the arm at the rock, then play plan_collection's timeline."""

    def __init__(self, facts, seed, duration_scale):
        """Use the mission facts; ``seed`` draws the core lengths; durations times the scale."""
        self.facts, self.seed, self.scale = facts, seed, duration_scale

    def run(self, port, rock, rock_xy, cores, empty_tubes, first_sample_number, sample_name):
        """Core ``cores`` tubes from ``rock`` at ``rock_xy``; return the CoreOutcomes filled."""
        pose, z = port.pose()
        drill, distance = drill_pose_for_rock(pose, z, rock_xy)
        port.log('CollectSample {}: rock {:.2f} m away, drill azimuth {:.2f} rad'.format(
            rock, distance, drill[0]))
        faults = port.faults((FaultKind.EMPTY_CORE, FaultKind.CAROUSEL_DEBRIS),
                             (rock, 'rock_' + rock, sample_name), 'sample:' + rock)
        plan = plan_collection(rock, empty_tubes, first_sample_number, sample_sol(rock),
                               self.facts, self.seed, faults, cores)
        # The plan's poses assume the rover squarely 3 m from the rock: aim them at the rock.
        aimed = {arm_pose('core_at_rock'): drill,
                 arm_pose('ready'): (drill[0],) + arm_pose('ready')[1:]}
        timeline = plan.timeline
        try:
            for index, step in enumerate(timeline):
                port.feedback(step.stage, timeline.progress(index),
                              core_index=step.details.get('core_index', 0))
                seconds = step.duration * self.scale
                if 'pose' in step.details:
                    target = aimed.get(tuple(step.details['pose']), step.details['pose'])
                    port.send_arm(target, max(seconds, MIN_ARM_MOVE))
                wait_or_refuse(port, seconds, cancellable=True)
                if step.name.startswith('handoff_') and step.name != 'handoff_blocked':
                    self._record_fill(port, plan.cores[int(step.name.split('_')[1]) - 1])
        except Refusal:
            port.send_arm(arm_pose('stow'))
            raise
        if plan.error is not None:
            port.send_arm(arm_pose('stow'))
            raise PartialCollection(plan.cores, plan.error)
        port.feedback(timeline.steps[-1].stage, 1.0)
        return plan.cores

    @staticmethod
    def _record_fill(port, core):
        """Record the filled tube, back in the rack, with what it now holds."""
        changes = {'content': int(core.content), 'designation': core.designation,
                   'sample_name': core.sample_name, 'core_length': float(core.core_length),
                   'volume': float(core.volume)}
        port.record(core.tube_id, ROVER_CACHING_ASSEMBLY, ROVER_CACHING_ASSEMBLY, 'core',
                    port.tube_pose(core.tube_id)[0], changes)


class PartialCollection(Refusal):
    """A collection that failed after filling ``cores`` (the carousel stayed blocked)."""

    def __init__(self, cores, error):
        """Keep the plan's error code and message and the cores that were filled."""
        super().__init__(error.code, error.message)
        self.cores = cores


class DepositExecutor:
    """One DepositTube goal: align over the slot, release, wait for rest, inspect, recover."""

    def __init__(self, facts, duration_scale, slot_tolerance):
        """Use the rover facts; nominal durations times ``duration_scale``."""
        self.facts, self.scale, self.slot_tolerance = facts, duration_scale, slot_tolerance

    def check_over_slot(self, rover_pose, holder, slot_xy):
        """Return the belly-to-slot distance (m); Refusal NOT_AT_SLOT beyond the tolerance."""
        belly = rover_pose.to_world(self.facts.rover.belly_drop_offset, 0.0)
        off = math.hypot(belly[0] - slot_xy[0], belly[1] - slot_xy[1])
        if off > self.slot_tolerance:
            raise Refusal('NOT_AT_SLOT', 'the belly drop point ({:.2f}, {:.2f}) is {:.2f} m from '
                          '{} at ({:.2f}, {:.2f}); tolerance {:.2f} m'.format(
                              belly[0], belly[1], off, holder, slot_xy[0], slot_xy[1],
                              self.slot_tolerance))
        return off

    def run(self, port, tube, holder, number, slot_xy, rover_pose):
        """Drop ``tube`` at slot ``holder`` (number, (x, y)); return a ``DepositOutcome``."""
        off = self.check_over_slot(rover_pose, holder, slot_xy)
        steps = {step.stage: step for step in plan_deposit(tube, holder, self.facts)}
        total = len(steps) + 2  # the drop's four steps, then recovery and the records

        port.feedback(DepositStage.ALIGN, 0 / total)  # stopped over the slot, arm clear
        port.send_arm(arm_pose('stow'))
        wait_or_refuse(port, steps[DepositStage.ALIGN].duration * self.scale, cancellable=True)
        port.feedback(DepositStage.RELEASE, 1 / total)  # the tube falls 0.89 m from the belly
        released_at = port.tube_pose(tube)[0]
        released_from = port.release(tube)
        port.log('{} released from {} over {} (belly {:.2f} m from the slot)'.format(
            tube, released_from, holder, off))
        # From here on the tube is out of the rack: no cancel until its custody is recorded.
        port.feedback(DepositStage.FALLING, 2 / total)
        try:
            rest = self.wait_at_rest(port, tube)
        except Refusal:
            port.record(tube, ROVER_CACHING_ASSEMBLY, holder, 'drop', port.tube_pose(tube)[0])
            raise
        port.feedback(DepositStage.INSPECT, 3 / total)
        wait_or_refuse(port, steps[DepositStage.INSPECT].duration * self.scale, cancellable=False)
        forced = port.faults((FaultKind.TUBE_ON_END, FaultKind.TUBE_IN_WHEEL_PATH), (tube,),
                             'drop:{}'.format(number))
        check = classify_with_faults(classify_drop(*rest, rover_pose, self.facts), forced,
                                     rover_pose, self.facts)
        for step in recovery_steps(check, tube, self.facts):
            port.feedback(step.stage, 4 / total)
            port.log('{} at {}: {} (tilt {:.0f} deg)'.format(
                tube, holder, step.name, math.degrees(check.tilt)), warning=True)
            self._recover(port, step)
        port.record(tube, ROVER_CACHING_ASSEMBLY, holder, 'drop', rest[0])
        for recovery in check.recoveries:
            port.record(tube, holder, holder, recovery, rest[0])
        port.feedback(DepositStage.INSPECT, 1.0)  # the plan's last step, done
        roll = math.hypot(rest[0][0] - released_at[0], rest[0][1] - released_at[1])
        return DepositOutcome(rest[0], rest[1], roll, check)

    def _recover(self, port, step):
        """Play one recovery: the arm to its pose and back to stow, half the time each."""
        half = step.duration * self.scale / 2.0
        port.send_arm(step.details['pose'], max(half, MIN_ARM_MOVE))
        wait_or_refuse(port, half, cancellable=False)
        port.send_arm(arm_pose('stow'), max(half, MIN_ARM_MOVE))
        wait_or_refuse(port, half, cancellable=False)

    @staticmethod
    def wait_at_rest(port, tube):
        """Return the tube's pose once it lies still on the ground (sim time; Refusal TIMEOUT)."""
        deadline = port.now() + TUBE_FALL_TIMEOUT
        history = []
        while port.now() < deadline:
            wait_or_refuse(port, TUBE_POLL_PERIOD, cancellable=False)
            pose = port.tube_pose(tube)
            history.append(pose[0])
            recent = history[-TUBE_REST_WINDOW:]
            if len(recent) == TUBE_REST_WINDOW and recent[-1][2] < TUBE_REST_HEIGHT and max(
                    math.dist(p, recent[-1]) for p in recent) < TUBE_REST_MOTION:
                return pose
        raise Refusal('TIMEOUT', '{} did not come to rest within {:.0f} s of sim time (last at '
                      '{})'.format(tube, TUBE_FALL_TIMEOUT,
                                   tuple(round(c, 3) for c in history[-1]) if history else '?'))


class HandOverStage(enum.IntEnum):
    """HandOverTube feedback stages (HandOverTube.action STAGE_*)."""

    ARM_TO_CACHE = 0
    ARM_TO_HANDOFF = 1
    RELEASE = 2


class HandOverExecutor:
    """
    One HandOverTube goal: the rover parked at rover_handover offers a rack tube to the lander.

    The lander's transfer arm takes the tube straight from the rack, so the rover checks that
    its rack is within reach of the pick point and stows its arm clear of the transfer arm.
    """

    def __init__(self, facts, duration_scale, handover_tolerance, lander_site):
        """Use the rover facts, the lander's ``LanderSite`` and the parking tolerance (m)."""
        self.facts, self.scale = facts, duration_scale
        self.tolerance, self.site = handover_tolerance, lander_site

    def plan(self):
        """Return the hand-over's timeline (nominal durations)."""
        rover = self.facts.rover
        return Timeline([Step(HandOverStage.ARM_TO_CACHE, 'arm_to_cache', rover.arm_move_duration),
                         Step(HandOverStage.ARM_TO_HANDOFF, 'arm_to_handoff',
                              rover.handoff_duration),
                         Step(HandOverStage.RELEASE, 'release', 1.0)])

    def check_parked(self, rover_pose):
        """Return the rack's distance to the pick point (m); Refusal TOO_FAR_FROM_LANDER."""
        rack = rover_pose.to_world(self.facts.rover.belly_drop_offset, 0.0)
        want = self.site.rover_rack_point()
        off = math.hypot(rack[0] - want[0], rack[1] - want[1])
        if off > self.tolerance:
            park = self.site.rover_handover_pose()
            raise Refusal('TOO_FAR_FROM_LANDER', 'the rack is {:.2f} m from where the transfer '
                          'arm takes tubes ({:.2f}, {:.2f}); park at rover_handover ({:.2f}, '
                          '{:.2f}); tolerance {:.2f} m'.format(
                              off, want[0], want[1], park.x, park.y, self.tolerance))
        return off

    def run(self, port, tube, rover_pose):
        """Play the hand-over of ``tube``; return the rack's distance to the pick point (m)."""
        off = self.check_parked(rover_pose)
        timeline = self.plan()
        for index, step in enumerate(timeline):
            port.feedback(step.stage, timeline.progress(index))
            if step.stage == HandOverStage.ARM_TO_CACHE:
                port.send_arm(arm_pose('stow'))  # clear of the transfer arm's path
            wait_or_refuse(port, step.duration * self.scale, cancellable=True)
        port.feedback(HandOverStage.RELEASE, 1.0)
        port.log('{} offered to the lander in the rack ({:.2f} m from the pick point)'.format(
            tube, off))
        return off
