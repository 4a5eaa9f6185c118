# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The rover node: drive safety, navigation, the arm, sample collection, depot drops, hand-over.

A thin rclpy layer over rover.logic (DriveSafetyFilter, WaypointFollower), rover.arm (poses, IK),
rover.sampling (plan_collection, plan_deposit, classify_drop) and rover.targets (rocks, slots,
terrain). It touches the world only through the world contract (docs/world_contract.md).

Interfaces:
  sub     /rover/cmd_vel          geometry_msgs/Twist   teleop (teleop_twist_keyboard works too):
                                                        safety filter -> the world's cmd_vel;
                                                        ignored while an action drives
  sub     /rover/arm/named_pose   std_msgs/String       stow, ready, core_at_rock, bit_carousel,
                                                        drop; ignored while an action runs
  action  /rover/navigate_to      NavigateTo            drive to a point (turn, then drive)
  action  /rover/collect_sample   CollectSample         core two tubes from a rock
  action  /rover/deposit_tube     DepositTube           drop a sealed tube at a depot slot
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

from contextlib import contextmanager
import math
import threading

from geometry_msgs.msg import PoseArray, Twist
from nav_msgs.msg import Odometry
from perseverance_interfaces.action import (CollectSample, DepositTube, HandOverTube,
                                            NavigateTo)
from perseverance_interfaces.msg import Fault, TubeInventory
from perseverance_interfaces.srv import DetachTube, RecordCustody
from rclpy.callback_groups import ReentrantCallbackGroup
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64, String
from trajectory_msgs.msg import JointTrajectory

from .arm import ARM_JOINTS, arm_move_duration, arm_pose, ARM_POSES
from .logic import (corner_steering, CORNER_WHEELS, DriveLimits, DriveSafetyFilter,
                    navigation_progress, NavStage, WaypointFollower)
from .sampling import (classify_drop, DropCheck, forced_drop_pose, plan_collection,
                       plan_deposit, RECOVERY_KNOCK_OVER, RECOVERY_NUDGE, recovery_steps)
from ..domain.facts import load_mission_facts
from ..domain.scenario import load_scenario
from ..domain.tubes import (check_tube_id, DEPOT_SAMPLES_BY_KEY, FaultKind,
                            ROVER_CACHING_ASSEMBLY, tube_index)
from ..domain.validation import ConfigError, Refusal
from ..lander.logic import LanderSite
from ..ros.action_server import finish, SingleGoalActionServer, wait_on_clock
from ..ros.contract import CONTRACT_QOS, FAULT_QOS, LATCHED
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.parameters import declare
from ..ros.service_call import call_service, ServiceCallError
from ..rover import ros_io, targets

# World contract names.
WORLD_CMD_VEL = '/model/perseverance/cmd_vel'
WORLD_STEER = '/model/perseverance/steer_{}/cmd_pos'
WORLD_ODOMETRY = '/model/perseverance/odometry'
WORLD_JOINT_STATES = '/model/perseverance/joint_states'
WORLD_ARM = '/model/perseverance/arm/joint_trajectory'
TUBE_POSES = '/world/tube_poses'
DETACH_SERVICE = '/world/detach_tube'
LEDGER_SERVICE = '/tube_ledger/record'
RACK_CARRIER = 'perseverance::caching_assembly'


CONTROL_PERIOD = 0.1    # s of sim time between NavigateTo commands
REST_SPEED = 0.01       # m/s and rad/s: below this the rover counts as stopped
TUBE_REST_WINDOW = 10   # tube pose samples (10 Hz) that must agree for a tube to be at rest
TUBE_REST_MOTION = 0.002  # m: the most a resting tube may move across the window
TUBE_FALL_TIMEOUT = 20.0  # s of sim time for a dropped tube to come to rest
SERVICE_TIMEOUT = 10.0    # s of wall time for a service to answer


def _code(result_type, refusal):
    """Map a Refusal onto the action's ERROR_* constant (INVALID_GOAL when it has none)."""
    return getattr(result_type, 'ERROR_' + refusal.code, result_type.ERROR_INVALID_GOAL)


class RoverNode(LeanNode):
    """ROS wiring of the rover."""

    def __init__(self):
        """Declare parameters, load facts and scenario, create the interfaces."""
        super().__init__('rover')
        self._declare_parameters()
        self.facts = load_mission_facts(self.facts_file or None)
        self.scenario = load_scenario(self.scenario_file or None, self.facts)
        rover = self.facts.rover
        self.limits = DriveLimits(
            self.max_linear_speed or rover.max_linear_speed,
            self.max_angular_speed or rover.max_angular_speed,
            self.max_linear_accel or rover.max_linear_accel,
            self.max_angular_accel or rover.max_angular_accel)
        self.filter = DriveSafetyFilter(self.limits)
        self.rocks = targets.rock_table(self.scenario)
        self.slots = targets.slot_table(self.scenario)
        self.site = LanderSite(self.scenario.lander)
        self.tubes = ros_io.TubeTable()

        self._base_lock = threading.Lock()   # the filter and the world cmd_vel publisher
        self._motion_lock = threading.Lock()  # one action at a time owns base and arm
        self._motion = None
        self._teleop_last = None   # sim time of the last teleop command passed on
        self._teleop_moving = False
        self._odom = None
        self._odom_seen = threading.Event()
        self._arm = {}
        self._tube_poses = None
        self._tube_history = []
        self._faults = {}

        group = ReentrantCallbackGroup()
        self.cmd_pub = self.create_publisher(Twist, WORLD_CMD_VEL, CONTRACT_QOS)
        self.steer_pubs = {corner: self.create_publisher(
            Float64, WORLD_STEER.format(corner), CONTRACT_QOS) for corner in CORNER_WHEELS}
        self._steering = None  # corner angles last sent (rad); None before the first command
        self.arm_pub = self.create_publisher(JointTrajectory, WORLD_ARM, CONTRACT_QOS)
        self.create_subscription(Twist, '/rover/cmd_vel', self._on_cmd_vel, 10)
        self.create_subscription(String, '/rover/arm/named_pose', self._on_named_pose, 10)
        self.create_subscription(Odometry, WORLD_ODOMETRY, self._on_odometry, CONTRACT_QOS)
        self.create_subscription(JointState, WORLD_JOINT_STATES, self._on_joint_states,
                                 CONTRACT_QOS)
        self.create_subscription(PoseArray, TUBE_POSES, self._on_tube_poses, CONTRACT_QOS)
        self.create_subscription(TubeInventory, '/tube_inventory', self._on_inventory, LATCHED)
        self.create_subscription(Fault, '/faults', self._on_fault, FAULT_QOS)
        self.ledger = self.create_client(RecordCustody, LEDGER_SERVICE, callback_group=group)
        self.detach = self.create_client(DetachTube, DETACH_SERVICE, callback_group=group)
        self.create_timer(0.1, self._watchdog)
        self.servers = [
            SingleGoalActionServer(self, NavigateTo, '/rover/navigate_to', self._navigate),
            SingleGoalActionServer(self, CollectSample, '/rover/collect_sample', self._collect),
            SingleGoalActionServer(self, DepositTube, '/rover/deposit_tube', self._deposit),
            SingleGoalActionServer(self, HandOverTube, '/rover/hand_over_tube',
                                   self._hand_over),
        ]
        self.get_logger().info(
            'rover ready: limits {:.3g} m/s, {:.3g} rad/s, {:.3g} m/s2, {:.3g} rad/s2; '
            'watchdog {:.2f} s; {} rocks, {} depot slots (scenario {})'.format(
                self.limits.max_linear_speed, self.limits.max_angular_speed,
                self.limits.max_linear_accel, self.limits.max_angular_accel,
                self.watchdog_timeout, len(self.rocks), len(self.slots), self.scenario.name))

    def _declare_parameters(self):
        self.seed = declare(self, 'seed', 1, 'seed of the core-length draws; the same seed, '
                            'the same outcome', 0, 2**31 - 1)
        self.duration_scale = declare(
            self, 'duration_scale', 1.0, 'factor on the nominal step durations of '
            'mission_facts.yaml (1.0 = nominal; smaller runs arm moves, coring and inspection '
            'faster)', 0.0, 10.0)
        self.facts_file = declare(self, 'facts_file', '', 'mission facts YAML; empty = the '
                                  'packaged config/mission_facts.yaml', read_only=True)
        self.scenario_file = declare(
            self, 'scenario_file', '', 'scenario YAML giving rock, depot slot and lander '
            'coordinates; empty = the packaged config/scenarios/default.yaml', read_only=True)
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

    # ------------------------------------------------------------------ subscriptions
    def _on_odometry(self, msg):
        self._odom = msg
        self._odom_seen.set()

    def _on_joint_states(self, msg):
        arm = dict(self._arm)
        for name, position in zip(msg.name, msg.position):
            if name in ARM_JOINTS:
                arm[name] = position
        self._arm = arm

    def _on_tube_poses(self, msg):
        self._tube_poses = msg

    def _on_inventory(self, msg):
        self.tubes.update_from_inventory(msg)
        self.get_logger().info('tube inventory (event {}): {} empty sample tubes and {} sealed '
                               'tubes on board'.format(
                                   msg.last_event_sequence, len(self.tubes.empty_sample_tubes()),
                                   sum(1 for t in self.tubes.tubes if self.tubes.on_board(t)
                                       and self.tubes.sealed(t))))

    def _on_fault(self, msg):
        if msg.state in (Fault.STATE_ARMED, Fault.STATE_ACTIVE):
            self._faults[msg.fault_id] = msg
        else:
            self._faults.pop(msg.fault_id, None)

    def _on_cmd_vel(self, msg):
        now = self._now()
        if self._motion is not None:
            self.get_logger().warning(
                '/rover/cmd_vel ignored: {} drives the rover'.format(self._motion),
                throttle_duration_sec=2.0)
            return
        with self._base_lock:
            command = self.filter.apply(msg.linear.x, msg.angular.z, now)
            self._publish_base(command.linear, command.angular)
            self._teleop_last = now
            self._teleop_moving = bool(command.linear or command.angular)
        for violation in command.violations:
            if 'not finite' in violation:
                self.get_logger().error('/rover/cmd_vel rejected: ' + violation)
            else:
                self.get_logger().warning('/rover/cmd_vel: ' + violation,
                                          throttle_duration_sec=2.0)

    def _watchdog(self):
        """Stop the rover when teleop commands stop (an action drives on its own)."""
        if self._motion is not None or not self._teleop_moving or self._teleop_last is None:
            return
        silent = self._now() - self._teleop_last
        if silent > self.watchdog_timeout:
            with self._base_lock:
                self._halt_locked()
            self.get_logger().warning('watchdog: no /rover/cmd_vel for {:.2f} s of sim time: '
                                      'stopping'.format(silent))

    def _on_named_pose(self, msg):
        if self._motion is not None:
            self.get_logger().warning('arm pose {!r} ignored: {} moves the arm'.format(
                msg.data, self._motion))
            return
        try:
            goal = arm_pose(msg.data.strip())
        except ConfigError as error:
            self.get_logger().warning('arm pose refused: {}'.format(error))
            return
        seconds = self._send_arm(goal)
        self.get_logger().info('arm to {!r} in {:.1f} s'.format(msg.data.strip(), seconds))

    # ------------------------------------------------------------------ base and arm
    def _now(self):
        return self.get_clock().now().nanoseconds * 1e-9

    def _publish_base(self, linear, angular):
        """Steer the corner wheels along the commanded arc, then send the twist."""
        angles = corner_steering(linear, angular, self._steering)
        for corner, angle in angles.items():
            if self._steering is None or abs(angle - self._steering[corner]) > 1e-3:
                self.steer_pubs[corner].publish(Float64(data=angle))
        self._steering = angles
        msg = Twist()
        msg.linear.x, msg.angular.z = float(linear), float(angular)
        self.cmd_pub.publish(msg)

    def _halt_locked(self):
        self.filter.reset()
        self._publish_base(0.0, 0.0)
        self._teleop_moving = False

    def _halt(self):
        """Stop at once (the world's DiffDrive still limits the deceleration)."""
        with self._base_lock:
            self._halt_locked()

    def _drive(self, linear, angular):
        """Send an action's command through the safety filter; return what was sent."""
        with self._base_lock:
            command = self.filter.apply(linear, angular, self._now())
            self._publish_base(command.linear, command.angular)
        return command

    def _arm_positions(self):
        if all(name in self._arm for name in ARM_JOINTS):
            return tuple(self._arm[name] for name in ARM_JOINTS)
        return ARM_POSES['stow']  # the model's initial pose until joint states arrive

    def _send_arm(self, positions, seconds=None):
        """Send the arm to ``positions``; return the move time (s)."""
        if seconds is None:
            try:
                start = self._arm_positions()
                seconds = arm_move_duration(start, positions) * self.duration_scale
            except ConfigError:  # a joint state slightly past a limit (PID overshoot)
                seconds = self.facts.rover.arm_move_duration * self.duration_scale
            seconds = max(seconds, 1.0)
        self.arm_pub.publish(ros_io.arm_trajectory(positions, seconds))
        return seconds

    @contextmanager
    def _exclusive(self, name):
        """Own base and arm for one action; Refusal if another action holds them."""
        if not self._motion_lock.acquire(blocking=False):
            raise Refusal('INVALID_GOAL', 'the rover is busy with {}; one action at a time'
                          .format(self._motion))
        self._motion = name
        try:
            self._halt()
            yield
        finally:
            self._halt()
            self._motion = None
            self._motion_lock.release()

    def _pose(self):
        """Return (Pose2D, z) from the latest odometry; Refusal WORLD without odometry."""
        if self._odom is None and not self._odom_seen.wait(SERVICE_TIMEOUT):
            raise Refusal('WORLD', 'no odometry on {} within {:.0f} s'.format(
                WORLD_ODOMETRY, SERVICE_TIMEOUT))
        pose = self._odom.pose.pose
        return ros_io.pose2d(pose), pose.position.z

    def _at_rest(self):
        twist = self._odom.twist.twist
        return abs(twist.linear.x) < REST_SPEED and abs(twist.angular.z) < REST_SPEED

    def _wait(self, seconds, goal_handle):
        """Wait on sim time; Refusal CANCELED when the goal (if given) is cancelled."""
        if not wait_on_clock(self, seconds, goal_handle):
            raise Refusal('CANCELED', 'cancelled' if goal_handle is not None else
                          'shutting down')

    def _tube_pose(self, tube_id):
        if self._tube_poses is None:  # the world publishes them at 10 Hz: a start-up race only
            self._wait(1.0, None)
        if self._tube_poses is None:
            raise Refusal('WORLD', 'no tube poses on {} yet'.format(TUBE_POSES))
        return self._tube_poses.poses[tube_index(tube_id) - 1]

    def _call(self, client, request, what):
        """Call a service from an action thread; Refusal TIMEOUT when it does not answer."""
        try:
            return call_service(client, request, SERVICE_TIMEOUT, what)
        except ServiceCallError as error:
            raise Refusal('TIMEOUT', str(error)) from error

    def _record(self, tube_id, from_holder, to_holder, action, position, changes=None):
        """Record one custody event with the tube ledger; Refusal WORLD when it refuses."""
        request = ros_io.custody_request(self.get_clock().now().to_msg(), tube_id, from_holder,
                                         to_holder, action, position, changes)
        what = '{} {} of {}'.format(action, to_holder, tube_id)
        response = self._call(self.ledger, request, what)
        if not response.success:
            raise Refusal('WORLD', 'the tube ledger refused {} of {}: {}'.format(
                action, tube_id, response.error_msg))
        self.tubes.apply(tube_id, to_holder, changes or {})
        self.get_logger().info('custody #{}: {} {} {} -> {}'.format(
            response.sequence, tube_id, action, from_holder, to_holder))
        return response.sequence

    def _faults_for(self, kinds, targets_, trigger):
        """Return armed or active faults of ``kinds`` aimed at one of ``targets_``/trigger."""
        names = {t.lower() for t in targets_ if t}
        return [f for f in self._faults.values()
                if f.kind in kinds and (f.target.lower() in names or f.trigger == trigger)]

    # ------------------------------------------------------------------ NavigateTo
    def _navigate(self, goal_handle):
        goal, result = goal_handle.request, NavigateTo.Result()
        started = self._now()
        try:
            x, y = goal.target.x, goal.target.y
            targets.check_in_terrain(x, y)
            for name, value in (('tolerance', goal.tolerance), ('max_speed', goal.max_speed)):
                if not math.isfinite(value) or value < 0.0:
                    raise Refusal('INVALID_GOAL', '{} = {} must be a finite value >= 0'.format(
                        name, value))
            tolerance = goal.tolerance or self.facts.rover.arrival_tolerance
            with self._exclusive('navigate_to'):
                self._drive_to(goal_handle, x, y, tolerance, goal.max_speed, result)
        except Refusal as refusal:
            self._fill_nav_result(result, started)
            self.get_logger().warning('NavigateTo refused or failed: {}'.format(refusal))
            return finish(goal_handle, result, _code(NavigateTo.Result, refusal),
                          refusal.message)
        self._fill_nav_result(result, started)
        self.get_logger().info('NavigateTo ({:.2f}, {:.2f}) done: {:.2f} m in {:.1f} s'.format(
            goal.target.x, goal.target.y, result.distance_travelled, result.duration))
        return finish(goal_handle, result)

    def _fill_nav_result(self, result, started):
        if self._odom is not None:
            result.final_pose = self._odom.pose.pose
        result.duration = max(self._now() - started, 0.0)

    def _drive_to(self, goal_handle, x, y, tolerance, max_speed, result):
        pose, _ = self._pose()
        cap = min(max_speed or self.limits.max_linear_speed, self.limits.max_linear_speed)
        # Slow down early enough for the acceleration limit to stop the rover on the target.
        slow_radius = max(2.0, cap ** 2 / self.limits.max_linear_accel)
        follower = WaypointFollower(self.limits, tolerance=tolerance, slow_radius=slow_radius)
        start, last = (pose.x, pose.y), (pose.x, pose.y)
        distance = pose.distance_to(x, y)
        budget = (3.0 * distance / cap + 2.0 * math.pi / self.limits.max_angular_speed
                  + 60.0)
        deadline = self._now() + budget
        self.get_logger().info('NavigateTo ({:.2f}, {:.2f}): {:.2f} m at up to {:.3g} m/s, '
                               'tolerance {:.2f} m'.format(x, y, distance, cap, tolerance))
        ticks, settled = 0, 0
        while True:
            if goal_handle.is_cancel_requested:
                raise Refusal('CANCELED', 'cancelled {:.2f} m from the target'.format(
                    self._pose()[0].distance_to(x, y)))
            pose, _ = self._pose()
            result.distance_travelled += math.hypot(pose.x - last[0], pose.y - last[1])
            last = (pose.x, pose.y)
            nav = follower.command(pose, x, y, cap)
            if nav.stage == NavStage.ARRIVED:
                sent = self._drive(0.0, 0.0)
                if sent.linear == 0.0 and sent.angular == 0.0 and self._at_rest():
                    if pose.distance_to(x, y) <= tolerance:
                        break
                    settled += 1  # coasted out of the circle: steer back in
                    if settled > 3:
                        raise Refusal('TIMEOUT', 'the rover stops {:.2f} m from the target, '
                                      'outside the tolerance {:.2f} m'.format(
                                          pose.distance_to(x, y), tolerance))
            else:
                self._drive(nav.linear, nav.angular)
            if ticks % 5 == 0 or nav.stage == NavStage.ARRIVED:
                feedback = NavigateTo.Feedback()
                feedback.stage = int(nav.stage)
                feedback.progress = float(navigation_progress(start, pose, x, y))
                feedback.distance_remaining = float(nav.distance_remaining)
                feedback.current_pose = self._odom.pose.pose
                goal_handle.publish_feedback(feedback)
            ticks += 1
            if self._now() > deadline:
                raise Refusal('TIMEOUT', 'not at ({:.2f}, {:.2f}) after {:.0f} s of sim time; '
                              '{:.2f} m left'.format(x, y, budget, nav.distance_remaining))
            self._wait(CONTROL_PERIOD, goal_handle)

    # ------------------------------------------------------------------ CollectSample
    def _collect(self, goal_handle):
        goal, result = goal_handle.request, CollectSample.Result()
        try:
            rock = targets.rock_key(goal.rock)
            if rock not in self.rocks:
                raise Refusal('UNKNOWN_ROCK', 'rock {!r} has no position in the scenario or the '
                              'world'.format(goal.rock))
            with self._exclusive('collect_sample'):
                self._collect_at(goal_handle, rock, goal.cores or 2, result)
        except Refusal as refusal:
            self.get_logger().warning('CollectSample {!r} refused or failed: {}'.format(
                goal.rock, refusal))
            return finish(goal_handle, result, _code(CollectSample.Result, refusal),
                          refusal.message)
        self.get_logger().info('CollectSample {}: {}'.format(rock, ', '.join(
            '{} {} {:.3f} m'.format(*row) for row in zip(
                result.tube_ids, result.designations, result.core_lengths))))
        return finish(goal_handle, result)

    def _collect_at(self, goal_handle, rock, cores, result):
        pose, z = self._pose()
        drill, distance = targets.drill_pose_for_rock(pose, z, self.rocks[rock])
        self.get_logger().info('CollectSample {}: rock {:.2f} m away, drill azimuth {:.2f} '
                               'rad'.format(rock, distance, drill[0]))
        name = DEPOT_SAMPLES_BY_KEY[rock].name
        faults = self._faults_for((FaultKind.EMPTY_CORE, FaultKind.CAROUSEL_DEBRIS),
                                  (rock, 'rock_' + rock, name), 'sample:' + rock)
        plan = plan_collection(rock, self.tubes.empty_sample_tubes(),
                               self.tubes.next_sample_number(), targets.sample_sol(rock),
                               self.facts, self.seed, [f.kind for f in faults], cores)
        for fault in faults:
            self.get_logger().warning('fault {} ({}) strikes {}'.format(
                fault.fault_id, FaultKind(fault.kind).name, name))
        # The plan's poses assume the rover squarely 3 m from the rock: aim them at the rock.
        aimed = {arm_pose('core_at_rock'): drill,
                 arm_pose('ready'): (drill[0],) + arm_pose('ready')[1:]}
        timeline = plan.timeline
        try:
            for index, step in enumerate(timeline):
                feedback = CollectSample.Feedback()
                feedback.stage = int(step.stage)
                feedback.progress = float(timeline.progress(index))
                feedback.core_index = int(step.details.get('core_index', 0))
                goal_handle.publish_feedback(feedback)
                seconds = step.duration * self.duration_scale
                if 'pose' in step.details:
                    target = aimed.get(tuple(step.details['pose']), step.details['pose'])
                    self._send_arm(target, max(seconds, 0.5))
                self._wait(seconds, goal_handle)
                if step.name.startswith('handoff_') and step.name != 'handoff_blocked':
                    self._record_fill(plan.cores[int(step.name.split('_')[1]) - 1])
        except Refusal:
            self._send_arm(arm_pose('stow'))
            raise
        done = plan.cores
        result.tube_ids = [core.tube_id for core in done]
        result.designations = [core.designation for core in done]
        result.core_lengths = [float(core.core_length) for core in done]
        if plan.error is not None:
            self._send_arm(arm_pose('stow'))
            raise plan.error
        feedback = CollectSample.Feedback(stage=int(timeline.steps[-1].stage), progress=1.0)
        goal_handle.publish_feedback(feedback)

    def _record_fill(self, core):
        """Record the filled tube, back in the rack, with what it now holds."""
        changes = {'content': int(core.content), 'designation': core.designation,
                   'sample_name': core.sample_name, 'core_length': float(core.core_length),
                   'volume': float(core.volume)}
        try:
            position = ros_io.xyz(self._tube_pose(core.tube_id))
        except Refusal:
            position = self._pose()[0].to_world(0.35, 0.0) + (0.89,)
        self._record(core.tube_id, ROVER_CACHING_ASSEMBLY, ROVER_CACHING_ASSEMBLY, 'core',
                     position, changes)

    def _rack_tube(self, tube_id):
        """Return ``tube_id`` if it is a tube in the rover's rack; else Refusal (goal checks)."""
        check_tube_id(tube_id)
        if not self.tubes.on_board(tube_id):
            raise Refusal('TUBE_NOT_ON_BOARD', "{} is held by {!r}, not the rover's rack".format(
                tube_id, self.tubes.tubes[tube_id]['holder']))
        return tube_id

    # ------------------------------------------------------------------ DepositTube
    def _deposit(self, goal_handle):
        goal, result = goal_handle.request, DepositTube.Result()
        try:
            tube = self._rack_tube(goal.tube_id)
            holder, number, slot_xy = targets.parse_slot(goal.slot, self.slots)
            if not self.tubes.sealed(tube):
                raise Refusal('TUBE_UNSEALED', '{} is not sealed; unsealed tubes are not '
                              'dropped'.format(tube))
            with self._exclusive('deposit_tube'):
                self._deposit_at(goal_handle, tube, holder, number, slot_xy, result)
        except Refusal as refusal:
            self.get_logger().warning('DepositTube {} at {!r} refused or failed: {}'.format(
                goal.tube_id, goal.slot, refusal))
            return finish(goal_handle, result, _code(DepositTube.Result, refusal),
                          refusal.message)
        return finish(goal_handle, result)

    def _deposit_at(self, goal_handle, tube, holder, number, slot_xy, result):
        rover = self.facts.rover
        pose, _ = self._pose()
        belly = pose.to_world(rover.belly_drop_offset, 0.0)
        off = math.hypot(belly[0] - slot_xy[0], belly[1] - slot_xy[1])
        if off > self.slot_tolerance:
            raise Refusal('NOT_AT_SLOT', 'the belly drop point ({:.2f}, {:.2f}) is {:.2f} m from '
                          '{} at ({:.2f}, {:.2f}); tolerance {:.2f} m'.format(
                              belly[0], belly[1], off, holder, slot_xy[0], slot_xy[1],
                              self.slot_tolerance))
        timeline = plan_deposit(tube, holder, self.facts)
        steps = list(timeline)
        total = len(steps) + 2

        def stage(kind, index):
            goal_handle.publish_feedback(DepositTube.Feedback(stage=int(kind),
                                                              progress=index / total))

        # ALIGN: stopped over the slot, arm stowed clear of the drop.
        stage(steps[0].stage, 0)
        self._send_arm(arm_pose('stow'))
        self._wait(steps[0].duration * self.duration_scale, goal_handle)
        # RELEASE: the world lets go of the tube; it falls 0.89 m from the belly.
        stage(steps[1].stage, 1)
        released_at = ros_io.xyz(self._tube_pose(tube))
        response = self._call(self.detach, DetachTube.Request(tube=tube), 'drop ' + tube)
        if not response.success:
            raise Refusal('WORLD', '{} refused to release {}: {}'.format(
                DETACH_SERVICE, tube, response.error_msg))
        self.get_logger().info('{} released from {} over {} (belly {:.2f} m from the slot)'
                               .format(tube, response.released_from, holder, off))
        # From here on the tube is out of the rack: no cancel until its custody is recorded.
        # FALLING: wait on sim time until the tube lies still.
        stage(steps[2].stage, 2)
        try:
            rest = self._wait_tube_at_rest(tube)
        except Refusal:
            self._record(tube, ROVER_CACHING_ASSEMBLY, holder, 'drop',
                         ros_io.xyz(self._tube_pose(tube)))
            raise
        # INSPECT: the camera look, then the classification.
        stage(steps[3].stage, 3)
        self._wait(steps[3].duration * self.duration_scale, None)
        check = self._classify(tube, number, rest, pose)
        # RECOVER: knock over / nudge (see the module docstring for the simplification).
        for step in recovery_steps(check, tube, self.facts):
            stage(step.stage, 4)
            self.get_logger().warning('{} at {}: {} (tilt {:.0f} deg)'.format(
                tube, holder, step.name, math.degrees(check.tilt)))
            seconds = step.duration * self.duration_scale
            self._send_arm(step.details['pose'], max(seconds / 2.0, 0.5))
            self._wait(seconds / 2.0, None)
            self._send_arm(arm_pose('stow'), max(seconds / 2.0, 0.5))
            self._wait(seconds / 2.0, None)
        rest_xyz = ros_io.xyz(rest)
        self._record(tube, ROVER_CACHING_ASSEMBLY, holder, 'drop', rest_xyz)
        for recovery in check.recoveries:
            self._record(tube, holder, holder, recovery, rest_xyz)
        result.tube_pose = rest
        result.roll_distance = math.hypot(rest_xyz[0] - released_at[0],
                                          rest_xyz[1] - released_at[1])
        result.was_on_end = RECOVERY_KNOCK_OVER in check.recoveries
        result.was_in_wheel_path = RECOVERY_NUDGE in check.recoveries
        goal_handle.publish_feedback(DepositTube.Feedback(stage=int(steps[-1].stage),
                                                          progress=1.0))
        self.get_logger().info('{} rests at ({:.2f}, {:.2f}, {:.3f}), {:.2f} m from {}; rolled '
                               '{:.2f} m; on end {}, in wheel path {}'.format(
                                   tube, *rest_xyz, math.hypot(rest_xyz[0] - slot_xy[0],
                                                               rest_xyz[1] - slot_xy[1]),
                                   holder, result.roll_distance, result.was_on_end,
                                   result.was_in_wheel_path))

    def _wait_tube_at_rest(self, tube):
        """Return the tube's pose once it has stopped moving (sim time; Refusal TIMEOUT)."""
        deadline = self._now() + TUBE_FALL_TIMEOUT
        history = []
        while self._now() < deadline:
            self._wait(0.1, None)
            pose = self._tube_pose(tube)
            history.append(ros_io.xyz(pose))
            recent = history[-TUBE_REST_WINDOW:]
            if len(recent) == TUBE_REST_WINDOW and recent[-1][2] < 0.5 and max(
                    math.dist(p, recent[-1]) for p in recent) < TUBE_REST_MOTION:
                return pose
        raise Refusal('TIMEOUT', '{} did not come to rest within {:.0f} s of sim time (last at '
                      '{})'.format(tube, TUBE_FALL_TIMEOUT,
                                   tuple(round(c, 3) for c in history[-1]) if history else '?'))

    def _classify(self, tube, number, rest, rover_pose):
        """Classify the drop; TUBE_ON_END / TUBE_IN_WHEEL_PATH faults impose what is seen."""
        check = classify_drop(ros_io.xyz(rest), ros_io.quat(rest), rover_pose, self.facts)
        forced = self._faults_for((FaultKind.TUBE_ON_END, FaultKind.TUBE_IN_WHEEL_PATH),
                                  (tube,), 'drop:{}'.format(number))
        if not forced:
            return check
        on_end, in_path, tilt, target = check.on_end, check.in_wheel_path, check.tilt, None
        for fault in forced:
            self.get_logger().warning('fault {} ({}) imposes the drop pose of {}'.format(
                fault.fault_id, FaultKind(fault.kind).name, tube))
            seen = classify_drop(*forced_drop_pose(fault.kind, rover_pose, self.facts),
                                 rover_pose, self.facts)
            on_end, in_path = on_end or seen.on_end, in_path or seen.in_wheel_path
            tilt = seen.tilt if seen.on_end else tilt
            target = seen.nudge_target or target
        recoveries = ((RECOVERY_KNOCK_OVER,) if on_end else ()) + (
            (RECOVERY_NUDGE,) if in_path else ())
        return DropCheck(on_end, in_path, tilt, recoveries, target)

    # ------------------------------------------------------------------ HandOverTube
    def _hand_over(self, goal_handle):
        goal, result = goal_handle.request, HandOverTube.Result()
        try:
            tube = self._rack_tube(goal.tube_id)
            with self._exclusive('hand_over_tube'):
                self._hand_over_at(goal_handle, tube, result)
        except Refusal as refusal:
            self.get_logger().warning('HandOverTube {} refused or failed: {}'.format(
                goal.tube_id, refusal))
            return finish(goal_handle, result, _code(HandOverTube.Result, refusal),
                          refusal.message)
        return finish(goal_handle, result)

    def _hand_over_at(self, goal_handle, tube, result):
        pose, _ = self._pose()
        rack = pose.to_world(self.facts.rover.belly_drop_offset, 0.0)
        want = self.site.rover_rack_point()
        off = math.hypot(rack[0] - want[0], rack[1] - want[1])
        if off > self.handover_tolerance:
            park = self.site.rover_handover_pose()
            raise Refusal('TOO_FAR_FROM_LANDER', 'the rack is {:.2f} m from where the transfer '
                          'arm takes tubes ({:.2f}, {:.2f}); park at rover_handover ({:.2f}, '
                          '{:.2f}); tolerance {:.2f} m'.format(
                              off, want[0], want[1], park.x, park.y, self.handover_tolerance))
        stages = ((HandOverTube.Feedback.STAGE_ARM_TO_CACHE, self.facts.rover.arm_move_duration),
                  (HandOverTube.Feedback.STAGE_ARM_TO_HANDOFF, self.facts.rover.handoff_duration),
                  (HandOverTube.Feedback.STAGE_RELEASE, 1.0))
        total = sum(seconds for _, seconds in stages)
        elapsed = 0.0
        for stage, seconds in stages:
            goal_handle.publish_feedback(HandOverTube.Feedback(stage=stage,
                                                               progress=elapsed / total))
            if stage == HandOverTube.Feedback.STAGE_ARM_TO_CACHE:
                self._send_arm(arm_pose('stow'))  # clear of the transfer arm's path
            self._wait(seconds * self.duration_scale, goal_handle)
            elapsed += seconds
        result.tube_pose = self._tube_pose(tube)
        goal_handle.publish_feedback(HandOverTube.Feedback(
            stage=HandOverTube.Feedback.STAGE_RELEASE, progress=1.0))
        self.get_logger().info('{} offered to the lander in the rack ({:.2f} m from the pick '
                               'point)'.format(tube, off))


def main(args=None):
    """Run the rover node."""
    return spin_node(RoverNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
