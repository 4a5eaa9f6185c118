# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
RoverDriver: the rover's manual controls over ROS, for any UI node (teleop, viewer).

It drives through the rover node's own interfaces, so the rover's safety filter applies:

    pub     /rover/cmd_vel              Twist     while moving, and a few zeros after a stop
    pub     /rover/arm/named_pose       String    a name of domain.driving.ARM_POSES
    action  /rover/collect_sample       at the nearest rock (domain.site_layout)
    action  /rover/deposit_tube         the next sealed tube on board, nearest depot slot
    service /rover/get_parameters       the rover's limits (0 there means the mission facts)
    sub     odometry, the rover's joint states, /tube_inventory

The owner calls ``publish_twist()`` every domain.driving.PUBLISH_PERIOD (the rover's watchdog
stops it when twists stop coming); the driver runs its own timer for ``poll()``, which asks for
the rover's limits until it answers, notes what is still ``missing`` and gives up a goal nobody
answers. ``on_command`` may be called from any thread (a keyboard or web thread): speeds change
at once under a lock; arm poses and goals go out in the executor's thread
(LeanNode.run_on_executor: rclpy's ActionClient keeps no lock). ``set_enabled(False, reason)``
hands the rover to someone else (a campaign): the rover is stopped once, then nothing is
published and drive, arm, collect and deposit commands are refused with the reason.
``set_top_speed`` changes the linear cap while running (the viewer's speed slider).
"""

import math
import threading
import time

from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from perseverance_interfaces.action import CacheSample, CollectSample, DepositTube
from perseverance_interfaces.msg import TubeInventory
from rcl_interfaces.msg import ParameterType
from rcl_interfaces.srv import GetParameters
from rclpy.action import ActionClient
from sensor_msgs.msg import JointState
from std_msgs.msg import String

from .action_server import constant_names
from .contract import (CACHE_SAMPLE, COLLECT_SAMPLE, CONTRACT_QOS, DEPOSIT_TUBE, LATCHED,
                       ROVER_ARM_NAMED_POSE, ROVER_JOINT_STATES, ROVER_ODOMETRY,
                       ROVER_PARAMETERS, ROVER_TELEOP_CMD_VEL, TUBE_INVENTORY)
from .lean_node import LeanNode
from .service_call import SeenReady
from ..domain.driving import (ARM, ArmWatch, belly_point, CANCEL, check_command, COLLECT,
                              collect_summary, Command, DEPOSIT, deposit_summary, DriveGate,
                              DriveState, feedback_text, LIMIT_PARAMETERS,
                              limits_from_parameters, nearest, nearest_slot, next_cored_tube,
                              next_sealed_tube, result_text, SEAL, seal_summary, STOP,
                              top_speeds)
from ..domain.facts import load_mission_facts
from ..domain.geometry import quaternion_to_yaw
from ..domain.site_layout import CONTRACT_ROCKS, CONTRACT_SLOTS
from ..domain.validation import ConfigError

STOP_REPEATS = 3       # zero twists sent after a stop, in case one is lost
POLL_PERIOD = 0.5      # s (wall) between looks at what the driver still waits for
ASK_AGAIN = 5.0        # s (wall) after which an unanswered parameter request is sent again
PENDING = object()     # the goal while its response is on the way
# A goal nobody answers (the rover gone after SeenReady last saw it) is given up after this.
GOAL_RESPONSE_TIMEOUT = 10.0  # s (wall)


def _parameter_value(value):
    """Return a ParameterValue's number or text; None when the parameter is not set."""
    return {ParameterType.PARAMETER_DOUBLE: value.double_value,
            ParameterType.PARAMETER_INTEGER: value.integer_value,
            ParameterType.PARAMETER_STRING: value.string_value}.get(value.type)


class RoverDriver:
    """Publishers, subscriptions and clients that drive the rover for a UI node."""

    def __init__(self, node, facts, cap_linear=0.0, cap_angular=0.0, speed_steps=5):
        """
        Attach to ``node`` (a LeanNode) with the mission ``facts`` (MissionFacts).

        ``cap_linear`` (m/s) and ``cap_angular`` (rad/s) lower the rover's limits (0 = no cap);
        ``speed_steps`` commands go from stop to the top speed.
        """
        if not isinstance(node, LeanNode):
            raise TypeError('RoverDriver needs a LeanNode (for run_on_executor), got {}'.format(
                type(node).__name__))
        self._node, self._facts = node, facts
        self._caps = (cap_linear, cap_angular)
        self.limits = limits_from_parameters({}, facts.rover,
                                             'mission facts: the rover has not answered yet')
        # The UI's thread and the executor's both change the speeds and the gate.
        self._lock = threading.Lock()
        self.state = DriveState(*top_speeds(cap_linear, cap_angular, self.limits),
                                steps=speed_steps)
        self._gate = DriveGate()
        self._stop_repeats = 0
        self.pose = self.speed = None
        self.inventory = []
        self.arm = ArmWatch()
        self.action = ''
        self._goal, self._sent_at = None, None   # the goal handle (or PENDING), its send time
        self._limits_read, self._asked_at = False, None
        self._cmd_pub = node.create_publisher(Twist, ROVER_TELEOP_CMD_VEL, 10)
        self._arm_pub = node.create_publisher(String, ROVER_ARM_NAMED_POSE, 10)
        node.create_subscription(Odometry, ROVER_ODOMETRY, self._on_odom, CONTRACT_QOS)
        node.create_subscription(JointState, ROVER_JOINT_STATES, self._on_joints, CONTRACT_QOS)
        node.create_subscription(TubeInventory, TUBE_INVENTORY, self._on_inventory, LATCHED)
        self._collect_client = ActionClient(node, CollectSample, COLLECT_SAMPLE)
        self._deposit_client = ActionClient(node, DepositTube, DEPOSIT_TUBE)
        self._cache_client = ActionClient(node, CacheSample, CACHE_SAMPLE)
        self._seen_ready = {client: SeenReady(client.server_is_ready) for client in (
            self._collect_client, self._deposit_client, self._cache_client)}
        self._parameter_client = node.create_client(GetParameters, ROVER_PARAMETERS)
        self.missing = self._missing()
        node.create_timer(POLL_PERIOD, self.poll)

    @property
    def busy(self):
        """Return True while a goal of ours is on its way or running."""
        return self._goal is not None

    @property
    def enabled(self):
        """Return True unless driving is disabled (``set_enabled``)."""
        return self._gate.enabled

    # -- what the rover says -------------------------------------------------------------------
    def _on_odom(self, msg):
        p, q, v = msg.pose.pose.position, msg.pose.pose.orientation, msg.twist.twist
        self.pose = (p.x, p.y, quaternion_to_yaw((q.x, q.y, q.z, q.w)))
        self.speed = (v.linear.x, v.angular.z)

    def _on_joints(self, msg):
        arm = sorted((n, p) for n, p in zip(msg.name, msg.position) if n.startswith('arm_'))
        if arm:
            self.arm.update(tuple(p for _, p in arm), time.monotonic())

    def _on_inventory(self, msg):
        self.inventory = list(msg.tubes)

    def poll(self):
        """Ask the rover for its limits until it answers; note what the driver still lacks."""
        now = time.monotonic()
        if not self._limits_read and self._parameter_client.service_is_ready() and (
                self._asked_at is None or now - self._asked_at > ASK_AGAIN):
            self._asked_at = now
            request = GetParameters.Request(names=list(LIMIT_PARAMETERS) + ['facts_file'])
            self._parameter_client.call_async(request).add_done_callback(self._on_limits)
        self.missing = self._missing()
        if self._goal is PENDING and now - self._sent_at > GOAL_RESPONSE_TIMEOUT:
            self._goal = None
            self.action += ': no answer in {:.0f} s (is the rover node running?)'.format(
                GOAL_RESPONSE_TIMEOUT)

    def _missing(self):
        return tuple(what for what, have in (
            ('odometry', self.pose is not None),
            ('the rover limits ({})'.format(ROVER_PARAMETERS), self._limits_read),
            ('the tube inventory', bool(self.inventory)),
            (COLLECT_SAMPLE, self._seen_ready[self._collect_client]()),
            (DEPOSIT_TUBE, self._seen_ready[self._deposit_client]()),
            (CACHE_SAMPLE, self._seen_ready[self._cache_client]())) if not have)

    def _on_limits(self, future):
        response = future.result()
        if response is None or len(response.values) != len(LIMIT_PARAMETERS) + 1:
            return  # asked again after ASK_AGAIN
        values = [_parameter_value(v) for v in response.values]
        rover_facts = values.pop() or ''
        values = dict(zip(LIMIT_PARAMETERS, values))
        facts, source = self._facts, 'read from the rover node'
        if not all(values.values()):  # the rover's zeros mean its own facts' limits
            try:
                facts = load_mission_facts(rover_facts or None)
            except (ConfigError, OSError) as error:
                source += ' (its facts file {!r}: {}; ours used)'.format(rover_facts, error)
        self.limits = limits_from_parameters(values, facts.rover, source)
        with self._lock:
            self.state = self.state.with_limits(*top_speeds(*self._caps, self.limits))
        self._limits_read = True

    # -- commands ------------------------------------------------------------------------------
    def on_command(self, command):
        """Act on one Command (drive at once; arm poses and actions in the executor's thread)."""
        check_command(command)
        with self._lock:
            refusal = self._gate.refusal(command)
            if refusal is None:
                before, self.state = self.state, self.state.apply(command)
                if (before.linear, before.angular) != (self.state.linear, self.state.angular):
                    self._stop_repeats = STOP_REPEATS
        if refusal is not None:
            self.action = refusal
            return
        handler = {ARM: self._send_arm, COLLECT: self._collect, SEAL: self._seal,
                   DEPOSIT: self._deposit, CANCEL: self._cancel}.get(command.kind)
        if handler is not None:
            self._node.run_on_executor(self._run_gated, handler, command)

    def _run_gated(self, handler, command):
        refusal = self._gate.refusal(command)  # disabled since on_command took it?
        if refusal is not None:
            self.action = refusal
        else:
            handler(command)

    def set_enabled(self, enabled, reason=''):
        """Enable driving, or disable it for ``reason`` (shown): the rover is stopped once."""
        with self._lock:
            if self._gate.set_enabled(enabled, reason):
                self._stop_locked()

    def set_top_speed(self, linear):
        """Cap the top linear speed at ``linear`` m/s (0 = no cap; never above the limit)."""
        if not (isinstance(linear, (int, float)) and math.isfinite(linear) and linear >= 0.0):
            raise ValueError('top speed {!r} must be a finite speed >= 0 m/s'.format(linear))
        with self._lock:
            self._caps = (float(linear), self._caps[1])
            self.state = self.state.with_limits(*top_speeds(*self._caps, self.limits))

    def publish_twist(self):
        """Send the current speeds while moving, a few zeros after a stop; nothing if disabled."""
        with self._lock:  # held while publishing: a disable's stop must come last
            if not self._gate.enabled:
                return
            linear, angular = self.state.linear, self.state.angular
            if not (linear or angular):
                if self._stop_repeats <= 0:
                    return
                self._stop_repeats -= 1
            self._send_twist(linear, angular)

    def _send_twist(self, linear, angular):
        msg = Twist()
        msg.linear.x, msg.angular.z = float(linear), float(angular)
        self._cmd_pub.publish(msg)

    def _stop_locked(self):
        self.state, self._stop_repeats = self.state.apply(Command(STOP)), 0
        for _ in range(STOP_REPEATS):
            self._send_twist(0.0, 0.0)

    def _halt(self):
        """Zero the speeds; ``publish_twist`` sends the zeros."""
        with self._lock:
            self.state = self.state.apply(Command(STOP))
            self._stop_repeats = STOP_REPEATS

    def stop(self):
        """Stop the rover now (the owner calls it on quit); nothing is sent while disabled."""
        with self._lock:
            if self._gate.enabled:
                self._stop_locked()

    def _send_arm(self, command):
        self._arm_pub.publish(String(data=command.value))
        self.arm.request(command.value, time.monotonic())
        self.action = 'arm -> {}'.format(command.value)

    def _cancel(self, _command):
        if self._goal is None or self._goal is PENDING:
            self.action = ('cancel: no action running' if self._goal is None
                           else 'cancel: the goal is not accepted yet')
        else:
            self._goal.cancel_goal_async()
            self.action += ' (cancel requested)'

    def _collect(self, _command):
        if self.pose is None:
            self.action = 'collect: no odometry yet'
            return
        rock, distance = nearest(CONTRACT_ROCKS, self.pose[0], self.pose[1])
        self._send(self._collect_client, COLLECT_SAMPLE, CollectSample,
                   CollectSample.Goal(rock=rock),
                   'collect at {} ({:.1f} m)'.format(rock, distance), collect_summary)

    def _seal(self, _command):
        tube = next_cored_tube(self.inventory)
        if tube is None:
            self.action = 'seal: no cored, unsealed tube on board{}'.format(
                '' if self.inventory else ' (no /tube_inventory yet)')
            return
        self._send(self._cache_client, CACHE_SAMPLE, CacheSample, CacheSample.Goal(tube_id=tube),
                   'seal {}'.format(tube), seal_summary)

    def _deposit(self, _command):
        if self.pose is None:
            self.action = 'deposit: no odometry yet'
            return
        tube = next_sealed_tube(self.inventory)
        if tube is None:
            self.action = 'deposit: no sealed tube on board{}'.format(
                '' if self.inventory else ' (no /tube_inventory yet)')
            return
        slot, distance = nearest_slot(CONTRACT_SLOTS, *belly_point(
            self.pose, self._facts.rover.belly_drop_offset))
        self._send(self._deposit_client, DEPOSIT_TUBE, DepositTube,
                   DepositTube.Goal(tube_id=tube, slot=slot),
                   'deposit {} at {} ({:.1f} m)'.format(tube, slot, distance), deposit_summary)

    def _send(self, client, name, action_type, goal, label, summary):
        """Send a goal (in the executor's thread: ActionClient keeps no lock); show its news."""
        if self._goal is not None:
            self.action = '{}: another action is running (cancel it first)'.format(label)
            return
        if not self._seen_ready[client]():
            self.action = '{}: {} not available (is its node running?)'.format(label, name)
            return
        self._halt()
        self.action, self._goal, self._sent_at = label + ': sent', PENDING, time.monotonic()
        stages = constant_names(action_type.Feedback, 'STAGE_')
        errors = constant_names(action_type.Result, 'ERROR_')

        def on_feedback(msg):
            self.action = feedback_text(label, stages, msg.feedback.stage, msg.feedback.progress)

        def on_result(future):
            self._goal = None
            self.action = result_text(label, future.result().result, summary, errors)

        def on_response(future):
            handle = future.result()
            if not handle.accepted:
                self._goal, self.action = None, label + ': rejected (the rover is busy)'
                return
            self._goal = handle
            handle.get_result_async().add_done_callback(on_result)
        client.send_goal_async(goal, feedback_callback=on_feedback).add_done_callback(
            on_response)
