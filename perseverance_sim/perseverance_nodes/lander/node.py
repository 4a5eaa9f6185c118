# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The lander node: Sample Transfer Arm, Orbiting Sample container and Mars Ascent Vehicle.

Thin over lander.logic: ``plan_load`` gives the arm's joint targets, the container and the MAV
keep their rules. Everything physical goes through the world contract.

Interfaces:
  action  ~/load_tube   (LoadTube)   arm reaches the tube (ground or the rover's rack), grasps it,
                                     carries it to the container port and inserts it
  action  ~/launch_mav  (LaunchMav)  closes the lid, counts down, lifts off
  sub     /model/lander/joint_states       (JointState)  where the arm is
  pub     /model/lander/arm/joint_trajectory (JointTrajectory)  where the arm goes
  sub     /world/tube_poses (PoseArray)     where the tube is
  sub     /tube_inventory (TubeInventory, transient local)  holder and seal of each tube
  srv cl  /world/attach_tube, /world/detach_tube, /tube_ledger/record

A tube ends up in the container the way the contract says: attached to
``lander::orbiting_sample_container`` within tolerance of ``container_port``, which hands it over
from ``lander::gripper`` in the same step. The MAV does not fly in the world: lift-off is a
custody change (every tube in the container -> mav/launched); the tubes stay attached to the
container model, which the world keeps on the deck.
"""

import math
import threading

from builtin_interfaces.msg import Duration as DurationMsg
from perseverance_interfaces.action import LaunchMav, LoadTube
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from .logic import (forward_kinematics, LoadStage, MarsAscentVehicle, plan_load,
                    SampleContainer, SHOULDER, TRANSFER_ARM_JOINTS, TRANSFER_ARM_LIMITS,
                    transfer_arm_pose)
from ..domain.facts import load_mission_facts
from ..domain.site_layout import LANDER_SITE, LanderSite
from ..domain.tubes import (check_tube_id, GROUND, LANDER_CONTAINER, LANDER_TRANSFER_ARM,
                            MAV_LAUNCHED, ROVER_CACHING_ASSEMBLY, SealState)
from ..domain.validation import Refusal
from ..ros.action_server import finish, SingleGoalActionServer, wait_on_clock
from ..ros.contract import CONTRACT_QOS
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.parameters import declare
from ..ros.service_call import ServiceCallError
from ..ros.tube_client import tube_yaw, TubeWorld

GRIPPER = 'lander::gripper'
CONTAINER = 'lander::orbiting_sample_container'
RACK_MIN_HEIGHT = 0.5  # m above the lander's ground: a tube this high is in the rover's rack
# Holders the transfer arm takes tubes from: the ground near the lander and the rover's rack.
PICKABLE = (GROUND, ROVER_CACHING_ASSEMBLY)

LOAD_ERRORS = {
    'INVALID_GOAL': LoadTube.Result.ERROR_INVALID_GOAL,
    'OUT_OF_REACH': LoadTube.Result.ERROR_OUT_OF_REACH,
    'CONTAINER_FULL': LoadTube.Result.ERROR_CONTAINER_FULL,
    'CONTAINER_CLOSED': LoadTube.Result.ERROR_CONTAINER_CLOSED,
    'TUBE_UNSEALED': LoadTube.Result.ERROR_TUBE_UNSEALED,
    'UNKNOWN_TUBE': LoadTube.Result.ERROR_UNKNOWN_TUBE,
    'WORLD': LoadTube.Result.ERROR_WORLD,
    'TIMEOUT': LoadTube.Result.ERROR_TIMEOUT,
    'CANCELED': LoadTube.Result.ERROR_CANCELED,
}
LAUNCH_ERRORS = {
    'INVALID_GOAL': LaunchMav.Result.ERROR_INVALID_GOAL,
    'TOO_FEW_TUBES': LaunchMav.Result.ERROR_TOO_FEW_TUBES,
    'ALREADY_LAUNCHED': LaunchMav.Result.ERROR_ALREADY_LAUNCHED,
}


def _seconds(duration):
    """Return a builtin_interfaces/Duration of ``duration`` seconds."""
    duration = max(float(duration), 0.0)
    whole = int(duration)
    return DurationMsg(sec=whole, nanosec=int(round((duration - whole) * 1e9)) % 1000000000)


def _within_limits(joints):
    """Return the joint vector clamped to the transfer arm's limits."""
    return tuple(min(max(q, TRANSFER_ARM_LIMITS[name][0]), TRANSFER_ARM_LIMITS[name][1])
                 for name, q in zip(TRANSFER_ARM_JOINTS, joints))


class LanderNode(LeanNode):
    """ROS wiring of the sample retrieval lander."""

    def __init__(self):
        """Declare parameters, load the facts, subscribe to the world and serve both actions."""
        super().__init__('lander')

        def param(name, default, description, low=None, high=None):
            return declare(self, name, default, description, low, high, read_only=True)
        facts_file = param('facts_file', '', 'mission facts YAML; empty = the packaged '
                           'config/mission_facts.yaml')
        self.facts = load_mission_facts(facts_file or None)
        self.duration_scale = param(
            'duration_scale', 1.0, 'factor on the nominal arm and launch step durations of '
            'mission_facts.yaml (1.0 = nominal; smaller runs them faster)',
            0.0, 10.0)
        capacity = param(
            'container_capacity', self.facts.lander.container_capacity,
            'tubes the Orbiting Sample container holds (MISSION_FACTS: about 30)',
            1, 99)
        allow_unsealed = param(
            'allow_unsealed', False, 'load tubes that are not sealed (the ledger says which)')
        self.grasp_tolerance = param(
            'grasp_tolerance', 0.05, 'AttachTube tolerance of the gripper: tube centre to '
            'grasp_point (m); the contract default', 0.001, 0.5)
        self.insert_tolerance = param(
            'insert_tolerance', 0.15, 'AttachTube tolerance of the container: tube centre to '
            'container_port (m); the container is a 0.14 m sphere and tubes go in 0.1 m off '
            'its centre', 0.001, 1.0)
        self.reach_tolerance = param(
            'reach_tolerance', 0.02, 'the arm has reached a target when every joint is this '
            'close (rad)', 0.001, 0.5)
        self.grasp_accuracy = param(
            'grasp_accuracy', 0.01, 'before a grasp, the arm corrects its aim until forward '
            'kinematics of the joint states puts the grasp point this close to the target (m)',
            0.001, 0.5)
        self.min_move_time = param(
            'min_move_time', 3.0, 'shortest arm move (s of sim time), whatever duration_scale',
            0.1, 600.0)
        self.settle_timeout = param(
            'settle_timeout', 60.0, 'sim time (s) the arm gets, after a move, to settle within '
            'reach_tolerance before the goal aborts with ERROR_TIMEOUT',
            1.0, 3600.0)
        service_timeout = param(
            'service_timeout', 10.0, 'wall time (s) a world or ledger service gets to answer',
            0.5, 120.0)

        self.site = LanderSite(LANDER_SITE)  # where the world puts the lander
        self.container = SampleContainer(capacity, allow_unsealed)
        self.mav = MarsAscentVehicle(self.container)
        self.world = TubeWorld(self, '/lander', service_timeout)
        self._joints = None
        self._joints_lock = threading.Lock()
        self._arm_busy = False
        self.create_subscription(JointState, '/model/lander/joint_states', self._on_joints,
                                 qos_profile_sensor_data)
        self.arm_pub = self.create_publisher(JointTrajectory, '/model/lander/arm/joint_trajectory',
                                             CONTRACT_QOS)
        self.load_server = SingleGoalActionServer(self, LoadTube, '~/load_tube', self._load)
        self.launch_server = SingleGoalActionServer(self, LaunchMav, '~/launch_mav', self._launch)
        self.get_logger().info(
            'lander ready at ({:.1f}, {:.1f}): container for {} tubes, unsealed tubes {}'.format(
                self.site.pose.x, self.site.pose.y, capacity,
                'allowed' if allow_unsealed else 'refused'))

    # -- the arm ----------------------------------------------------------------------------

    def _on_joints(self, msg):
        positions = dict(zip(msg.name, msg.position))
        if all(name in positions for name in TRANSFER_ARM_JOINTS):
            with self._joints_lock:
                self._joints = tuple(positions[name] for name in TRANSFER_ARM_JOINTS)

    def _arm_error(self, target):
        """Return the largest joint error (rad) to ``target``, or inf without joint states."""
        with self._joints_lock:
            joints = self._joints
        if joints is None:
            return math.inf
        return max(abs(a - b) for a, b in zip(joints, target))

    def _send_arm(self, waypoints, seconds):
        """Publish a trajectory through ``waypoints`` (joint vectors), evenly timed."""
        msg = JointTrajectory()
        msg.joint_names = list(TRANSFER_ARM_JOINTS)
        for i, joints in enumerate(waypoints, 1):
            msg.points.append(JointTrajectoryPoint(
                positions=[float(q) for q in joints],
                time_from_start=_seconds(seconds * i / len(waypoints))))
        self.arm_pub.publish(msg)

    def _move_arm(self, goal_handle, waypoints, seconds, precise=False):
        """
        Send the arm through ``waypoints`` in ``seconds``; wait until it is there.

        ``precise``: then also aim off by the measured joint errors (the joint PIDs sag under
        gravity by up to a few 0.01 rad, centimetres at the gripper) until forward kinematics of
        the joint states puts the grasp point within grasp_accuracy of the target.
        Returns None on arrival, else (code, message): CANCELED, or TIMEOUT naming the error.
        """
        seconds = max(seconds, self.min_move_time)
        self._send_arm(waypoints, seconds)
        if not wait_on_clock(self, seconds, goal_handle):
            return 'CANCELED', 'cancelled during an arm move'
        target = waypoints[-1]
        clock = self.get_clock()
        start = clock.now()
        while self._arm_error(target) > self.reach_tolerance:
            waited = (clock.now() - start).nanoseconds * 1e-9
            if waited > self.settle_timeout:
                return 'TIMEOUT', ('transfer arm did not reach its target within {:.0f} s: '
                                   'largest joint error {:.3f} rad > reach_tolerance {:.3f}'
                                   .format(self.settle_timeout, self._arm_error(target),
                                           self.reach_tolerance))
            if not wait_on_clock(self, 0.1, goal_handle):
                return 'CANCELED', 'cancelled during an arm move'
        if not precise:
            return None
        aim = forward_kinematics(target)[0]
        command = list(target)
        for _ in range(4):
            if not self._settled(goal_handle):
                return 'CANCELED', 'cancelled during an arm move'
            with self._joints_lock:
                joints = self._joints
            if math.dist(forward_kinematics(_within_limits(joints))[0], aim) \
                    <= self.grasp_accuracy:
                break
            command = _within_limits(c + t - j for c, t, j in zip(command, target, joints))
            self._send_arm([command], 1.0)
            if not wait_on_clock(self, 1.0, goal_handle):
                return 'CANCELED', 'cancelled during an arm move'
        return None  # the world's attach tolerance has the last word

    def _settled(self, goal_handle, seconds=10.0):
        """Wait (up to ``seconds``) until no joint moves more than 1 mrad in 0.2 s."""
        for _ in range(int(seconds / 0.2)):
            with self._joints_lock:
                before = self._joints
            if not wait_on_clock(self, 0.2, goal_handle):
                return False
            with self._joints_lock:
                after = self._joints
            if max(abs(a - b) for a, b in zip(before, after)) < 1e-3:
                break
        return True

    def _where(self, tube_id):
        """Say where the joint states put the grasp point and where the tube is (world)."""
        with self._joints_lock:
            joints = self._joints
        tube = self.world.position(tube_id)
        if joints is None or tube is None:
            return 'no joint states or tube pose to compare'
        try:
            grasp = self.site.to_world(*forward_kinematics(joints)[0])
        except ValueError as error:  # joints outside their limits
            return f'joint states {joints}: {error}'
        return 'joint states put the grasp point at ({:.2f}, {:.2f}, {:.2f}), the tube is at ' \
            '({:.2f}, {:.2f}, {:.2f})'.format(*grasp, *tube)

    # -- LoadTube ---------------------------------------------------------------------------

    def _source(self, tube_id, position):
        """Return (holder, sealed) of a tube from the ledger, or a best guess without it."""
        state = self.world.ledger_state(tube_id)
        if state is not None:
            return state.holder, state.seal == SealState.SEALED
        # No ledger yet: a tube at rack height is in the rover, else on the ground; the seal is
        # unknown, so only allow_unsealed lets it in.
        holder = ROVER_CACHING_ASSEMBLY if position[2] - self.site.ground_z > RACK_MIN_HEIGHT \
            else GROUND
        self.get_logger().warning('no /tube_inventory from the tube ledger: assuming {} is held '
                                  'by {} and not sealed'.format(tube_id, holder))
        return holder, False

    def _plan(self, tube_id):
        """Return (timeline, source holder, sealed) or raise Refusal naming the problem."""
        check_tube_id(tube_id)
        pose = self.world.pose(tube_id)
        if pose is None:
            raise Refusal('WORLD', 'no /world/tube_poses from the world yet')
        position = (pose.position.x, pose.position.y, pose.position.z)
        holder, sealed = self._source(tube_id, position)
        if holder not in PICKABLE:
            raise Refusal('INVALID_GOAL', '{} is held by {}; the transfer arm takes tubes from: '
                          '{}'.format(tube_id, holder or '(nobody)', ', '.join(PICKABLE)))
        try:
            timeline = plan_load(tube_id, position, tube_yaw(pose), self.site, self.container,
                                 sealed, self.facts, holder)
        except Refusal as refusal:
            if refusal.code == 'OUT_OF_REACH':
                shoulder = self.site.to_world(*SHOULDER)
                distance = math.dist(position, shoulder)
                raise Refusal('OUT_OF_REACH', '{} at ({:.2f}, {:.2f}, {:.2f}) is {:.2f} m from '
                              'the transfer arm shoulder (reach {:.2f} m): {}'.format(
                                  tube_id, *position, distance,
                                  self.facts.lander.transfer_arm_reach,
                                  refusal.message)) from None
            raise
        return timeline, holder, sealed

    def _load(self, goal_handle):
        tube_id = goal_handle.request.tube_id
        result = LoadTube.Result()
        try:
            timeline, holder, sealed = self._plan(tube_id)
        except Refusal as refusal:
            self.get_logger().warning('LoadTube {!r} refused: {}'.format(tube_id, refusal))
            return finish(goal_handle, result, LOAD_ERRORS.get(
                refusal.code, LoadTube.Result.ERROR_INVALID_GOAL), refusal.message)
        self._arm_busy = True
        try:
            code, message = self._run_load(goal_handle, timeline, tube_id, holder, sealed)
        finally:
            self._arm_busy = False
        if code:
            self.get_logger().warning('LoadTube {} failed: {}'.format(tube_id, message))
            return finish(goal_handle, result, LOAD_ERRORS[code], message)
        result.container_slot = self.container.tubes.index(tube_id)
        result.tubes_in_container = len(self.container.tubes)
        return finish(goal_handle, result)

    def _run_load(self, goal_handle, timeline, tube_id, holder, sealed):
        """Play the load; return (None, '') or (error key, message)."""
        held = False  # once the gripper holds the tube, cancel waits until it is inserted
        for index, step in enumerate(timeline):
            goal_handle.publish_feedback(LoadTube.Feedback(
                stage=int(step.stage), progress=float(timeline.progress(index, 0.0))))
            seconds = step.duration * self.duration_scale
            if step.stage == LoadStage.TRANSFER:  # lift clear of the ground or rack first
                waypoints = [timeline.steps[0].details['joints'], step.details['joints']]
            elif step.stage == LoadStage.GRASP:
                try:  # aim at where the tube lies now: a dropped tube may have rolled on
                    waypoints = [self._plan(tube_id)[0].steps[index].details['joints']]
                except Refusal as refusal:
                    self._move_arm(None, [transfer_arm_pose('stow')], seconds)
                    return refusal.code, f'{tube_id} moved since the goal: {refusal.message}'
            else:
                waypoints = [step.details['joints']]
            failure = self._move_arm(None if held else goal_handle, waypoints, seconds,
                                     precise=step.stage == LoadStage.GRASP)
            if failure:
                if failure[0] == 'CANCELED' and not held:
                    self._move_arm(None, [transfer_arm_pose('stow')], seconds)
                    return 'CANCELED', f'cancelled; {tube_id} left where it was'
                return failure[0], f'{tube_id}: {failure[1]}'
            if step.stage == LoadStage.GRASP:
                failure = self._grasp(tube_id, holder)
                if failure:
                    self._move_arm(None, [transfer_arm_pose('stow')], seconds)
                    return failure
                held = True
            elif step.stage == LoadStage.INSERT:
                failure = self._insert(tube_id, sealed)
                if failure:
                    return failure
                held = False
                if goal_handle.is_cancel_requested:
                    self.get_logger().info(f'cancel after the grasp: {tube_id} was inserted '
                                           'first')
        goal_handle.publish_feedback(LoadTube.Feedback(stage=int(LoadStage.STOW), progress=1.0))
        return None, ''

    def _grasp(self, tube_id, holder):
        """Attach the tube to the gripper and record it; None or (error key, message)."""
        return self._attach(tube_id, GRIPPER, self.grasp_tolerance, 'grasp', 'the grasp point',
                            lambda: self.world.record(tube_id, holder, LANDER_TRANSFER_ARM,
                                                      'grasp', self.world.position(tube_id)),
                            lambda: self._where(tube_id))

    def _insert(self, tube_id, sealed):
        """Hand the tube from the gripper to the container and record it."""
        def loaded():
            self.container.load(tube_id, sealed)
            self.world.record(tube_id, LANDER_TRANSFER_ARM, LANDER_CONTAINER, 'load',
                              self.world.position(tube_id))
        return self._attach(tube_id, CONTAINER, self.insert_tolerance, 'insert',
                            'the container port', loaded,
                            lambda: 'the tube is still in the gripper')

    def _attach(self, tube_id, carrier, tolerance, what, target, on_success, if_refused):
        """
        Attach the tube to ``carrier`` through the world, then run ``on_success``.

        Returns None, or ('WORLD', message) naming ``what`` failed, how far the tube was from
        ``target`` and what ``if_refused()`` says (where the tube is now).
        """
        try:
            response = self.world.attach(tube_id, carrier, tolerance)
        except ServiceCallError as error:
            return 'WORLD', f'{tube_id}: {what}: {error}; {if_refused()}'
        if not response.success:
            return 'WORLD', (f'{tube_id}: the world refused the {what} ({response.distance:.3f} '
                             f'm from {target}, tolerance {tolerance:.3f} m): '
                             f'{response.error_msg}; {if_refused()}')
        on_success()
        return None

    # -- LaunchMav --------------------------------------------------------------------------

    def _launch(self, goal_handle):
        result = LaunchMav.Result()
        min_tubes = goal_handle.request.min_tubes
        try:
            self.mav.check_ready(min_tubes, arm_stowed=not self._arm_busy)
            if self.container.lid_closed:  # a launch was cancelled after the lid closed
                raise Refusal('INVALID_GOAL', 'the container lid is closed; a relaunch after an '
                              'aborted countdown is not modelled')
        except Refusal as refusal:
            self.get_logger().warning('LaunchMav refused: {}'.format(refusal))
            return finish(goal_handle, result, LAUNCH_ERRORS.get(
                refusal.code, LaunchMav.Result.ERROR_INVALID_GOAL), refusal.message)
        timeline = self.mav.plan(self.facts)
        for index, step in enumerate(timeline):
            goal_handle.publish_feedback(LaunchMav.Feedback(
                stage=int(step.stage), progress=float(timeline.progress(index, 0.0))))
            if not wait_on_clock(self, step.duration * self.duration_scale, goal_handle):
                where = 'lid closed, ' if self.container.lid_closed else ''
                return finish(goal_handle, result, LaunchMav.Result.ERROR_CANCELED,
                              f'cancelled during {step.name}; {where}the MAV is on the pad')
            if index == 0:
                self.container.close_lid()
        now = self.get_clock().now()
        tubes = self.mav.liftoff(now.nanoseconds * 1e-9)
        goal_handle.publish_feedback(LaunchMav.Feedback(stage=int(timeline.steps[-1].stage),
                                                        progress=1.0))
        for tube_id in tubes:
            self.world.record(tube_id, LANDER_CONTAINER, MAV_LAUNCHED, 'launch',
                              self.world.position(tube_id) or (0.0, 0.0, 0.0))
        self.get_logger().info(
            'MAV lift-off with {} tubes: {}'.format(len(tubes), ', '.join(tubes)))
        result.tube_ids = list(tubes)
        result.launch_time = now.to_msg()
        return finish(goal_handle, result)


def main(args=None):
    """Run the lander node."""
    return spin_node(LanderNode, args)
