# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The rover node: drive safety, navigation, the arm, sample collection, depot drops, hand-over.

A thin rclpy layer: rover.body moves the model (safety filter, steering, arm, odometry, teleop),
ros.tube_client handles tubes (poses, detach, custody records), and each action goal is checked
here and played by its executor in rover.executors (pure, over the ``RoverPort`` that
rover.goal_port implements). Where rocks and depot slots are comes with each goal
(mission_control sends what the scenario planned) or from the site's named places
(domain.site_layout). It touches the world only
through the world contract (docs/world_contract.md).

Interfaces:
  sub     /rover/cmd_vel          geometry_msgs/Twist   teleop (teleop_twist_keyboard works too):
                                                        safety filter -> the world's cmd_vel;
                                                        ignored while an action drives
  sub     /rover/arm/named_pose   std_msgs/String       stow, ready, core_at_rock, bit_carousel,
                                                        drop; ignored while an action runs
  action  /rover/navigate_to      NavigateTo            drive to a point (turn, then drive)
  action  /rover/collect_sample   CollectSample         core two tubes from a rock (at the goal's
                                                        rock_position, or its named place)
  action  /rover/deposit_tube     DepositTube           drop a sealed tube at a depot slot (at
                                                        slot_position, or the named slot)
  action  /rover/hand_over_tube   HandOverTube          primary path: offer a rack tube to the
                                                        lander's transfer arm
  pub     /model/perseverance/cmd_vel                   Twist (world contract)
  pub     /model/perseverance/steer_<corner>/cmd_pos    Float64: corner wheels steered along
                                                        the commanded arc (world contract)
  pub     /model/perseverance/arm/joint_trajectory      JointTrajectory (world contract)
  sub     /model/perseverance/odometry, /joint_states, /world/tube_poses (world contract)
  sub     /tube_inventory (TubeInventory, transient local), /faults (Fault, transient local)
  client  /tube_ledger/record (RecordCustody), /world/detach_tube (DetachTube)

One action at a time drives the rover or moves its arm: a goal of another action that arrives
meanwhile is accepted and aborted at once, naming the action that holds the rover.

Simplifications (documented, honest):
- Depot-drop recovery: the world contract's arm collides only with terrain and rocks, so it
  cannot really push a tube. When a drop is classified on end or in the wheel path (measured, or
  forced by a TUBE_ON_END / TUBE_IN_WHEEL_PATH fault through sampling.forced_drop_pose), the
  rover plays the recovery steps (arm to the 'drop' pose and back, drop_recover_duration each),
  records an in-place 'knock_over' / 'nudge' custody event, and reports the flags; the pose it
  returns is the tube's real resting pose from /world/tube_poses.
- HandOverTube: in the campaign the lander's transfer arm takes the tube straight from the
  rover's rack (mission.logic._primary loads from rover/caching_assembly), so the hand-over
  checks that the tube is on board and that the rover is parked at rover_handover with its rack
  within reach, stows the arm clear of the transfer arm and reports where the tube is. It records
  no custody event: the tube stays in the rack until the lander grasps it.
"""

import math

from perseverance_interfaces.action import (CollectSample, DepositTube, HandOverTube,
                                            NavigateTo)
from perseverance_interfaces.msg import Fault

from .body import RoverBody
from .executors import (CollectExecutor, DepositExecutor, HandOverExecutor, NavigateExecutor,
                        PartialCollection)
from .goal_port import RosRoverPort
from .logic import DriveLimits
from .ros_io import make_pose
from .targets import check_in_terrain
from ..domain.facts import load_mission_facts
from ..domain.site_layout import (CONTRACT_ROCKS, CONTRACT_SLOTS, LANDER_SITE, LanderSite,
                                  parse_slot, rock_key)
from ..domain.tubes import (check_tube_id, DEPOT_SAMPLES_BY_KEY, empty_sample_tubes, FaultKind,
                            next_sample_number, ROVER_CACHING_ASSEMBLY, SealState)
from ..domain.validation import Refusal
from ..ros.action_server import finish, SingleGoalActionServer
from ..ros.contract import (COLLECT_SAMPLE, DEPOSIT_TUBE, FAULT_QOS, FAULTS, HAND_OVER_TUBE,
                            NAVIGATE_TO)
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.parameters import declare
from ..ros.tube_client import TubeClient

SERVICE_TIMEOUT = 10.0    # s of wall time for a service to answer


def _code(result_type, refusal):
    """Map a Refusal onto the action's ERROR_* constant (INVALID_GOAL when it has none)."""
    return getattr(result_type, 'ERROR_' + refusal.code, result_type.ERROR_INVALID_GOAL)


def _goal_point(use, point, fallback):
    """Return the goal's (x, y) when ``use`` is set, else the named place ``fallback``."""
    if not use:
        return tuple(fallback)
    x, y = point.x, point.y
    check_in_terrain(x, y)
    return (x, y)


class RoverNode(LeanNode):
    """ROS wiring of the rover: parameters, tubes, faults and the four action servers."""

    def __init__(self):
        """Declare parameters, load the facts, create the body, tube client and servers."""
        super().__init__('rover')
        self._declare_parameters()
        self.facts = load_mission_facts(self.facts_file or None)
        rover = self.facts.rover
        self.limits = DriveLimits(
            self.max_linear_speed or rover.max_linear_speed,
            self.max_angular_speed or rover.max_angular_speed,
            self.max_linear_accel or rover.max_linear_accel,
            self.max_angular_accel or rover.max_angular_accel)
        self.body = RoverBody(self, self.limits, self.watchdog_timeout, self.duration_scale,
                              rover.arm_move_duration)
        self.tubes = TubeClient(self, '/rover', SERVICE_TIMEOUT, assume_initial_state=True,
                                on_inventory=self._on_inventory)
        self._faults = {}
        self.create_subscription(Fault, FAULTS, self._on_fault, FAULT_QOS)
        self.navigator = NavigateExecutor(self.limits)
        self.collector = CollectExecutor(self.facts, self.seed, self.duration_scale)
        self.depositor = DepositExecutor(self.facts, self.duration_scale, self.slot_tolerance)
        self.hand_over = HandOverExecutor(self.facts, self.duration_scale,
                                          self.handover_tolerance, LanderSite(LANDER_SITE))
        self.servers = [
            SingleGoalActionServer(self, NavigateTo, NAVIGATE_TO, self._navigate),
            SingleGoalActionServer(self, CollectSample, COLLECT_SAMPLE, self._collect),
            SingleGoalActionServer(self, DepositTube, DEPOSIT_TUBE, self._deposit),
            SingleGoalActionServer(self, HandOverTube, HAND_OVER_TUBE, self._hand_over_tube),
        ]
        self.get_logger().info(
            'rover ready: limits {:.3g} m/s, {:.3g} rad/s, {:.3g} m/s2, {:.3g} rad/s2; '
            'watchdog {:.2f} s'.format(
                self.limits.max_linear_speed, self.limits.max_angular_speed,
                self.limits.max_linear_accel, self.limits.max_angular_accel,
                self.watchdog_timeout))

    def _declare_parameters(self):
        self.seed = declare(self, 'seed', 1, 'seed of the core-length draws; the same seed, '
                            'the same outcome', 0, 2**31 - 1)
        self.duration_scale = declare(
            self, 'duration_scale', 1.0, 'factor on the nominal step durations of '
            'mission_facts.yaml (1.0 = nominal; smaller runs arm moves, coring and inspection '
            'faster)', 0.0, 10.0)
        self.facts_file = declare(self, 'facts_file', '', 'mission facts YAML; empty = the '
                                  'packaged config/mission_facts.yaml', read_only=True)
        self.max_linear_speed = declare(
            self, 'max_linear_speed', 0.0, 'safety filter speed limit (m/s); 0 = mission '
            'facts (0.042 m/s, the real rover)', 0.0, 1.0, read_only=True)
        self.max_angular_speed = declare(
            self, 'max_angular_speed', 0.0, 'safety filter turn-rate limit (rad/s); 0 = '
            'mission facts', 0.0, 0.5, read_only=True)
        self.max_linear_accel = declare(
            self, 'max_linear_accel', 0.0, 'safety filter acceleration limit (m/s2); 0 = '
            'mission facts', 0.0, 0.5, read_only=True)
        self.max_angular_accel = declare(
            self, 'max_angular_accel', 0.0, 'safety filter angular acceleration limit '
            '(rad/s2); 0 = mission facts', 0.0, 0.5, read_only=True)
        self.watchdog_timeout = declare(
            self, 'watchdog_timeout', 0.5, 'stop the rover when no /rover/cmd_vel arrived for '
            'this long (s of sim time)', 0.05, 10.0)
        self.slot_tolerance = declare(
            self, 'slot_tolerance', 1.0, 'largest distance from the belly drop point to the '
            'depot slot at which DepositTube drops (m)', 0.05, 10.0)
        self.handover_tolerance = declare(
            self, 'handover_tolerance', 0.2, 'largest distance from the rack to the point the '
            'lander takes tubes from (rover parked at rover_handover) for HandOverTube (m)',
            0.05, 10.0)

    def _on_inventory(self, msg):
        states = self.tubes.ledger_states()
        self.get_logger().info('tube inventory (event {}): {} empty sample tubes and {} sealed '
                               'tubes on board'.format(
                                   msg.last_event_sequence, len(empty_sample_tubes(states)),
                                   sum(1 for t in states if t.holder == ROVER_CACHING_ASSEMBLY
                                       and t.seal == SealState.SEALED)))

    def _on_fault(self, msg):
        if msg.state in (Fault.STATE_ARMED, Fault.STATE_ACTIVE):
            self._faults[msg.fault_id] = msg
        else:
            self._faults.pop(msg.fault_id, None)

    def faults_for(self, kinds, targets, trigger):
        """Return the kinds of armed or active faults of ``kinds`` aimed at targets/trigger."""
        names = {t.lower() for t in targets if t}
        found = [f for f in list(self._faults.values())
                 if f.kind in kinds and (f.target.lower() in names or f.trigger == trigger)]
        for fault in found:
            self.get_logger().warning('fault {} ({}) strikes {}'.format(
                fault.fault_id, FaultKind(fault.kind).name, fault.target or trigger))
        return [f.kind for f in found]

    def _rack_tube(self, tube_id):
        """Return ``tube_id`` if it is a tube in the rover's rack; else Refusal (goal checks)."""
        check_tube_id(tube_id)
        state = self.tubes.ledger_state(tube_id)
        holder = state.holder if state is not None else 'nobody known'
        if holder != ROVER_CACHING_ASSEMBLY:
            raise Refusal('TUBE_NOT_ON_BOARD', "{} is held by {!r}, not the rover's rack".format(
                tube_id, holder))
        return tube_id

    def _run(self, goal_handle, result, name, feedback_type, play):
        """Hold the rover for ``play(port)``; finish the goal with its Refusal, if any."""
        try:
            with self.body.exclusive(name):
                play(RosRoverPort(self, goal_handle, feedback_type))
        except Refusal as refusal:
            return self._refuse(goal_handle, result, name, refusal, 'refused or failed')
        return finish(goal_handle, result)

    def _refuse(self, goal_handle, result, name, refusal, what='refused'):
        """Log the Refusal and end the goal with its error code and message."""
        self.get_logger().warning('{} {}: {}'.format(name, what, refusal))
        return finish(goal_handle, result, _code(type(result), refusal), refusal.message)

    # ------------------------------------------------------------------ goals
    def _navigate(self, goal_handle):
        goal, result = goal_handle.request, NavigateTo.Result()
        started = self.body.now()
        try:
            x, y = goal.target.x, goal.target.y
            check_in_terrain(x, y)
            for name, value in (('tolerance', goal.tolerance), ('max_speed', goal.max_speed)):
                if not math.isfinite(value) or value < 0.0:
                    raise Refusal('INVALID_GOAL', '{} = {} must be a finite value >= 0'.format(
                        name, value))
        except Refusal as refusal:
            return self._refuse(goal_handle, result, 'NavigateTo', refusal)
        tolerance = goal.tolerance or self.facts.rover.arrival_tolerance

        def play(port):
            result.distance_travelled = self.navigator.run(port, x, y, tolerance,
                                                           goal.max_speed)
        done = self._run(goal_handle, result, 'navigate_to', NavigateTo.Feedback, play)
        if self.body.odometry is not None:
            done.final_pose = self.body.odometry.pose.pose
        done.duration = max(self.body.now() - started, 0.0)
        return done

    def _collect(self, goal_handle):
        goal, result = goal_handle.request, CollectSample.Result()
        try:
            rock = rock_key(goal.rock)
            rock_xy = _goal_point(goal.use_rock_position, goal.rock_position,
                                  CONTRACT_ROCKS[rock])
        except Refusal as refusal:
            return self._refuse(goal_handle, result, 'CollectSample', refusal)

        def fill(cores):
            result.tube_ids = [core.tube_id for core in cores]
            result.designations = [core.designation for core in cores]
            result.core_lengths = [float(core.core_length) for core in cores]

        def play(port):
            states = self.tubes.ledger_states()
            try:
                fill(self.collector.run(port, rock, rock_xy, goal.cores or 2,
                                        empty_sample_tubes(states), next_sample_number(states),
                                        DEPOT_SAMPLES_BY_KEY[rock].name))
            except PartialCollection as partial:
                fill(partial.cores)
                raise
            self.get_logger().info('CollectSample {}: {}'.format(rock, ', '.join(
                '{} {} {:.3f} m'.format(*row) for row in zip(
                    result.tube_ids, result.designations, result.core_lengths))))
        return self._run(goal_handle, result, 'collect_sample', CollectSample.Feedback, play)

    def _deposit(self, goal_handle):
        goal, result = goal_handle.request, DepositTube.Result()
        try:
            tube = self._rack_tube(goal.tube_id)
            holder, number, slot_xy = parse_slot(goal.slot, CONTRACT_SLOTS)
            slot_xy = _goal_point(goal.use_slot_position, goal.slot_position, slot_xy)
            if self.tubes.ledger_state(tube).seal != SealState.SEALED:
                raise Refusal('TUBE_UNSEALED', '{} is not sealed; unsealed tubes are not '
                              'dropped'.format(tube))
        except Refusal as refusal:
            return self._refuse(goal_handle, result, 'DepositTube', refusal)

        def play(port):
            outcome = self.depositor.run(port, tube, holder, number, slot_xy, port.pose()[0])
            result.tube_pose = make_pose(outcome.rest_position, outcome.rest_orientation)
            result.roll_distance = outcome.roll_distance
            result.was_on_end = outcome.was_on_end
            result.was_in_wheel_path = outcome.was_in_wheel_path
            self.get_logger().info(
                '{} rests at ({:.2f}, {:.2f}, {:.3f}), {:.2f} m from {}; rolled {:.2f} m; on end '
                '{}, in wheel path {}'.format(
                    tube, *outcome.rest_position, math.dist(outcome.rest_position[:2], slot_xy),
                    holder, outcome.roll_distance, outcome.was_on_end,
                    outcome.was_in_wheel_path))
        return self._run(goal_handle, result, 'deposit_tube', DepositTube.Feedback, play)

    def _hand_over_tube(self, goal_handle):
        goal, result = goal_handle.request, HandOverTube.Result()
        try:
            tube = self._rack_tube(goal.tube_id)
        except Refusal as refusal:
            return self._refuse(goal_handle, result, 'HandOverTube', refusal)

        def play(port):
            self.hand_over.run(port, tube, port.pose()[0])
            result.tube_pose = make_pose(*port.tube_pose(tube))
        return self._run(goal_handle, result, 'hand_over_tube', HandOverTube.Feedback, play)


def main(args=None):
    """Run the rover node."""
    return spin_node(RoverNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
