# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The lander's LoadTube and LaunchMav sequences, walked step by step against the world.

``Lander`` holds what the lander keeps between goals (its site, the Orbiting Sample container,
the MAV, whether the arm is busy) and plays lander.logic's timelines through a ``LanderWorld``:
one goal's view of the clock, the arm's joint states and trajectories, tube poses, the ledger
and the world's attach service. No ROS here: the node implements ``LanderWorld`` over its topics
and services, unit tests over a simulated world.

A tube ends up in the container the way the world contract says: attached to ``CONTAINER``
within tolerance of container_port, which hands it over from ``GRIPPER`` in the same step. Once
the gripper holds a tube, a cancel waits until it is inserted.
"""

from dataclasses import dataclass
import math

from .logic import (forward_kinematics, LoadStage, MarsAscentVehicle, plan_load,
                    SampleContainer, SHOULDER, TRANSFER_ARM_JOINTS, TRANSFER_ARM_LIMITS,
                    transfer_arm_pose)
from ..domain.ports import TubeHandsPort, Unanswered
from ..domain.tubes import (check_tube_id, GROUND, LANDER_CONTAINER, LANDER_TRANSFER_ARM,
                            MAV_LAUNCHED, ROVER_CACHING_ASSEMBLY)
from ..domain.validation import Refusal

GRIPPER = 'lander::gripper'
CONTAINER = 'lander::orbiting_sample_container'
RACK_MIN_HEIGHT = 0.5  # m above the lander's ground: a tube this high is in the rover's rack
# Holders the transfer arm takes tubes from: the ground near the lander and the rover's rack.
PICKABLE = (GROUND, ROVER_CACHING_ASSEMBLY)
_CANCELED_MOVE = ('CANCELED', 'cancelled during an arm move')


@dataclass(frozen=True)
class ArmSettings:
    """How the sequences move the arm and attach tubes (the node's parameters)."""

    duration_scale: float = 1.0    # factor on the nominal step durations
    grasp_tolerance: float = 0.05  # m, attach tolerance of the gripper
    insert_tolerance: float = 0.15  # m, attach tolerance of the container
    reach_tolerance: float = 0.02  # rad, every joint this close: arrived
    grasp_accuracy: float = 0.01   # m, FK of the joint states to the grasp target
    min_move_time: float = 3.0     # s, shortest arm move
    settle_timeout: float = 60.0   # s after a move to arrive before TIMEOUT


class LanderWorld(TubeHandsPort):
    """What a sequence needs of the world during one goal, beyond a ``TubeHandsPort``."""

    def feedback(self, stage, progress):
        """Publish the goal's feedback: a stage of the action and progress 0..1."""
        raise NotImplementedError

    def joints(self):
        """Return the arm's joint positions (TRANSFER_ARM_JOINTS order), or None."""
        raise NotImplementedError

    def send_arm(self, waypoints, seconds):
        """Command the arm through ``waypoints`` (joint vectors), evenly timed over ``seconds``."""
        raise NotImplementedError

    def tube_pose(self, tube_id):
        """Return ((x, y, z), yaw) of a tube in frame "world", or None without tube poses."""
        raise NotImplementedError

    def ledger_state(self, tube_id):
        """Return (holder, sealed) of a tube from the ledger, or None before its inventory."""
        raise NotImplementedError


def within_limits(joints):
    """Return the joint vector clamped to the transfer arm's limits."""
    return tuple(min(max(q, TRANSFER_ARM_LIMITS[name][0]), TRANSFER_ARM_LIMITS[name][1])
                 for name, q in zip(TRANSFER_ARM_JOINTS, joints))


def _position(world, tube_id):
    """Return a tube's (x, y, z) in frame "world", or None."""
    pose = world.tube_pose(tube_id)
    return None if pose is None else pose[0]


class TransferArm:
    """The transfer arm driven through a LanderWorld: move, wait until there, correct the aim."""

    def __init__(self, world, settings):
        """Drive the arm of ``world`` as ``settings`` say."""
        self.world, self.settings = world, settings

    def joint_error(self, target):
        """Return the largest joint error (rad) to ``target``, or inf without joint states."""
        joints = self.world.joints()
        if joints is None:
            return math.inf
        return max(abs(a - b) for a, b in zip(joints, target))

    def move(self, waypoints, seconds, cancellable=True, precise=False):
        """
        Send the arm through ``waypoints`` in ``seconds``; wait until it is there.

        ``precise``: then also aim off by the measured joint errors (the joint PIDs sag under
        gravity by up to a few 0.01 rad, centimetres at the gripper) until forward kinematics of
        the joint states puts the grasp point within grasp_accuracy of the target.
        Returns None on arrival, else (code, message): CANCELED, or TIMEOUT naming the error.
        """
        world, settings = self.world, self.settings
        seconds = max(seconds, settings.min_move_time)
        world.send_arm(waypoints, seconds)
        if not world.wait(seconds, cancellable):
            return _CANCELED_MOVE
        target = waypoints[-1]
        start = world.now()
        while self.joint_error(target) > settings.reach_tolerance:
            if world.now() - start > settings.settle_timeout:
                return 'TIMEOUT', ('transfer arm did not reach its target within {:.0f} s: '
                                   'largest joint error {:.3f} rad > reach_tolerance {:.3f}'
                                   .format(settings.settle_timeout, self.joint_error(target),
                                           settings.reach_tolerance))
            if not world.wait(0.1, cancellable):
                return _CANCELED_MOVE
        return self._correct_aim(target, cancellable) if precise else None

    def stow(self, seconds):
        """Move to the stow pose, whatever a cancel says."""
        self.move([transfer_arm_pose('stow')], seconds, cancellable=False)

    def _correct_aim(self, target, cancellable):
        """Aim off by the settled joint errors until FK is within grasp_accuracy (4 tries)."""
        aim = forward_kinematics(target)[0]
        command = list(target)
        for _ in range(4):
            if not self._settled(cancellable):
                return _CANCELED_MOVE
            joints = self.world.joints()
            if math.dist(forward_kinematics(within_limits(joints))[0], aim) \
                    <= self.settings.grasp_accuracy:
                break
            command = within_limits(c + t - j for c, t, j in zip(command, target, joints))
            self.world.send_arm([command], 1.0)
            if not self.world.wait(1.0, cancellable):
                return _CANCELED_MOVE
        return None  # the world's attach tolerance has the last word

    def _settled(self, cancellable, seconds=10.0):
        """Wait (up to ``seconds``) until no joint moves more than 1 mrad in 0.2 s."""
        for _ in range(int(seconds / 0.2)):
            before = self.world.joints()
            if not self.world.wait(0.2, cancellable):
                return False
            after = self.world.joints()
            if max(abs(a - b) for a, b in zip(before, after)) < 1e-3:
                break
        return True


@dataclass(frozen=True)
class LoadPlan:
    """A LoadTube goal as planned: its timeline, where the tube comes from, its seal."""

    tube_id: str
    timeline: object  # domain.timeline.Timeline of lander.logic.plan_load
    holder: str
    sealed: bool


@dataclass(frozen=True)
class LoadOutcome:
    """How a load ended: code '' (loaded) or a LoadTube error key, and a message."""

    code: str = ''
    message: str = ''
    slot: int = -1
    tubes_in_container: int = 0


@dataclass(frozen=True)
class LaunchOutcome:
    """How a launch ended: code '' (lift-off) or a LaunchMav error key, and a message."""

    code: str = ''
    message: str = ''
    tube_ids: tuple = ()
    launch_time: float = 0.0  # s of sim time


class Lander:
    """The lander between goals, and its load and launch sequences."""

    def __init__(self, site, facts, settings=ArmSettings(), capacity=30, allow_unsealed=False):
        """Stand at ``site`` (LanderSite) with an empty container for ``capacity`` tubes."""
        self.site, self.facts, self.settings = site, facts, settings
        self.container = SampleContainer(capacity, allow_unsealed)
        self.mav = MarsAscentVehicle(self.container)
        self.arm_busy = False

    # -- LoadTube ---------------------------------------------------------------------------

    def _source(self, world, tube_id, position):
        """Return (holder, sealed) of a tube from the ledger, or a best guess without it."""
        state = world.ledger_state(tube_id)
        if state is not None:
            return state
        # No ledger yet: a tube at rack height is in the rover, else on the ground; the seal is
        # unknown, so only allow_unsealed lets it in.
        holder = ROVER_CACHING_ASSEMBLY if position[2] - self.site.ground_z > RACK_MIN_HEIGHT \
            else GROUND
        world.log('no /tube_inventory from the tube ledger: assuming {} is held by {} and not '
                  'sealed'.format(tube_id, holder), warning=True)
        return holder, False

    def plan_load(self, world, tube_id):
        """Return the LoadPlan of ``tube_id`` where it is now, or raise Refusal naming why not."""
        check_tube_id(tube_id)
        pose = world.tube_pose(tube_id)
        if pose is None:
            raise Refusal('WORLD', 'no /world/tube_poses from the world yet')
        position, yaw = pose
        holder, sealed = self._source(world, tube_id, position)
        if holder not in PICKABLE:
            raise Refusal('INVALID_GOAL', '{} is held by {}; the transfer arm takes tubes from: '
                          '{}'.format(tube_id, holder or '(nobody)', ', '.join(PICKABLE)))
        try:
            timeline = plan_load(tube_id, position, yaw, self.site, self.container, sealed,
                                 self.facts, holder)
        except Refusal as refusal:
            if refusal.code == 'OUT_OF_REACH':
                distance = math.dist(position, self.site.to_world(*SHOULDER))
                raise Refusal('OUT_OF_REACH', '{} at ({:.2f}, {:.2f}, {:.2f}) is {:.2f} m from '
                              'the transfer arm shoulder (reach {:.2f} m): {}'.format(
                                  tube_id, *position, distance,
                                  self.facts.lander.transfer_arm_reach,
                                  refusal.message)) from None
            raise
        return LoadPlan(tube_id, timeline, holder, sealed)

    def load(self, world, plan):
        """Play a LoadPlan: reach, grasp, transfer, insert, stow; return a LoadOutcome."""
        self.arm_busy = True
        try:
            code, message = self._play_load(world, plan, TransferArm(world, self.settings))
        finally:
            self.arm_busy = False
        if code:
            return LoadOutcome(code, message)
        return LoadOutcome(slot=self.container.tubes.index(plan.tube_id),
                           tubes_in_container=len(self.container.tubes))

    def _play_load(self, world, plan, arm):
        """Walk the load timeline; return ('', '') or (error key, message)."""
        tube_id, timeline = plan.tube_id, plan.timeline
        held = False  # once the gripper holds the tube, cancel waits until it is inserted
        for index, step in enumerate(timeline):
            world.feedback(step.stage, timeline.progress(index, 0.0))
            seconds = step.duration * self.settings.duration_scale
            if step.stage == LoadStage.TRANSFER:  # lift clear of the ground or rack first
                waypoints = [timeline.steps[0].details['joints'], step.details['joints']]
            elif step.stage == LoadStage.GRASP:
                try:  # aim at where the tube lies now: a dropped tube may have rolled on
                    waypoints = [self.plan_load(world, tube_id).timeline.steps[index]
                                 .details['joints']]
                except Refusal as refusal:
                    arm.stow(seconds)
                    return refusal.code, f'{tube_id} moved since the goal: {refusal.message}'
            else:
                waypoints = [step.details['joints']]
            failure = arm.move(waypoints, seconds, cancellable=not held,
                               precise=step.stage == LoadStage.GRASP)
            if failure:
                if failure[0] == 'CANCELED' and not held:
                    arm.stow(seconds)
                    return 'CANCELED', f'cancelled; {tube_id} left where it was'
                return failure[0], f'{tube_id}: {failure[1]}'
            if step.stage == LoadStage.GRASP:
                failure = self._grasp(world, tube_id, plan.holder)
                if failure:
                    arm.stow(seconds)
                    return failure
                held = True
            elif step.stage == LoadStage.INSERT:
                failure = self._insert(world, tube_id, plan.sealed)
                if failure:
                    return failure
                held = False
                if world.cancel_requested():
                    world.log(f'cancel after the grasp: {tube_id} was inserted first')
        world.feedback(LoadStage.STOW, 1.0)
        return '', ''

    def _grasp(self, world, tube_id, holder):
        """Attach the tube to the gripper and record it; None or (error key, message)."""
        def grasped():
            world.record(tube_id, holder, LANDER_TRANSFER_ARM, 'grasp', _position(world, tube_id))
        return self._attach(world, tube_id, GRIPPER, self.settings.grasp_tolerance, 'grasp',
                            'the grasp point', grasped, lambda: self._where(world, tube_id))

    def _insert(self, world, tube_id, sealed):
        """Hand the tube from the gripper to the container and record it."""
        def loaded():
            self.container.load(tube_id, sealed)
            world.record(tube_id, LANDER_TRANSFER_ARM, LANDER_CONTAINER, 'load',
                         _position(world, tube_id))
        return self._attach(world, tube_id, CONTAINER, self.settings.insert_tolerance, 'insert',
                            'the container port', loaded,
                            lambda: 'the tube is still in the gripper')

    @staticmethod
    def _attach(world, tube_id, carrier, tolerance, what, target, on_success, if_refused):
        """
        Attach the tube to ``carrier`` through the world, then run ``on_success``.

        Returns None, or ('WORLD', message) naming ``what`` failed, how far the tube was from
        ``target`` and what ``if_refused()`` says (where the tube is now).
        """
        try:
            response = world.attach(tube_id, carrier, tolerance)
        except Unanswered as error:
            return 'WORLD', f'{tube_id}: {what}: {error}; {if_refused()}'
        if not response.success:
            return 'WORLD', (f'{tube_id}: the world refused the {what} ({response.distance:.3f} '
                             f'm from {target}, tolerance {tolerance:.3f} m): '
                             f'{response.error_msg}; {if_refused()}')
        on_success()
        return None

    def _where(self, world, tube_id):
        """Say where the joint states put the grasp point and where the tube is (world)."""
        joints = world.joints()
        tube = _position(world, tube_id)
        if joints is None or tube is None:
            return 'no joint states or tube pose to compare'
        try:
            grasp = self.site.to_world(*forward_kinematics(joints)[0])
        except ValueError as error:  # joints outside their limits
            return f'joint states {joints}: {error}'
        return 'joint states put the grasp point at ({:.2f}, {:.2f}, {:.2f}), the tube is at ' \
            '({:.2f}, {:.2f}, {:.2f})'.format(*grasp, *tube)

    # -- LaunchMav --------------------------------------------------------------------------

    def check_launch(self, min_tubes):
        """Raise Refusal unless the MAV may start its launch sequence now."""
        self.mav.check_ready(min_tubes, arm_stowed=not self.arm_busy)
        if self.container.lid_closed:  # a launch was cancelled after the lid closed
            raise Refusal('INVALID_GOAL', 'the container lid is closed; a relaunch after an '
                          'aborted countdown is not modelled')

    def launch(self, world):
        """
        Close the lid, count down, lift off; return a LaunchOutcome.

        The MAV does not fly in the world: lift-off is a custody change (every tube in the
        container -> mav/launched); the tubes stay attached to the container model.
        """
        timeline = self.mav.plan(self.facts)
        for index, step in enumerate(timeline):
            world.feedback(step.stage, timeline.progress(index, 0.0))
            if not world.wait(step.duration * self.settings.duration_scale):
                where = 'lid closed, ' if self.container.lid_closed else ''
                return LaunchOutcome('CANCELED', f'cancelled during {step.name}; {where}the MAV '
                                     'is on the pad')
            if index == 0:
                self.container.close_lid()
        now = world.now()
        tubes = self.mav.liftoff(now)
        world.feedback(timeline.steps[-1].stage, 1.0)
        for tube_id in tubes:
            world.record(tube_id, LANDER_CONTAINER, MAV_LAUNCHED, 'launch',
                         _position(world, tube_id) or (0.0, 0.0, 0.0))
        world.log('MAV lift-off with {} tubes: {}'.format(len(tubes), ', '.join(tubes)))
        return LaunchOutcome(tube_ids=tuple(tubes), launch_time=now)
