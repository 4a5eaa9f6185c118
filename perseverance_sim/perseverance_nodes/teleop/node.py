# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The keyboard teleop: a terminal UI driving the rover node.

    teleop [--ros-args -p max_linear_speed:=0.02 ...]      (or: perseverance-sim teleop)

Publishes /rover/cmd_vel (Twist, about 10 Hz while moving: the rover's watchdog stops it when
the keys stop) and /rover/arm/named_pose (String); sends /rover/collect_sample at the nearest
rock and /rover/deposit_tube for the next sealed tube on board at the nearest depot slot, both
named places of the site (domain.site_layout), where the rover then works. Its top speeds are
the limits the rover node applies, read from its parameters (/rover/get_parameters; 0 there
means the mission facts), or less if max_linear_speed / max_angular_speed say so.

The terminal is in raw mode on the alternate screen and restored on every exit (q, Esc, Ctrl-C,
SIGTERM, SIGHUP or an exception); it works in tmux. Without a terminal on stdin the teleop
refuses politely (exit code 2) before ROS starts. Keys: teleop.keymap; what the screen shows:
teleop.screen; the terminal: teleop.terminal (no ROS, unit-tested).
"""

import signal
import sys
import threading
import time

from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from perseverance_interfaces.action import CollectSample, DepositTube
from perseverance_interfaces.msg import TubeInventory
from rcl_interfaces.msg import ParameterType
from rcl_interfaces.srv import GetParameters
import rclpy
from rclpy.action import ActionClient
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import JointState
from std_msgs.msg import String

from . import keymap
from .screen import (ArmWatch, collect_summary, deposit_summary, feedback_text,
                     LIMIT_PARAMETERS, limits_from_parameters, result_text, screen_lines,
                     top_speeds, View)
from .terminal import RawTerminal, run_ui
from ..domain.facts import load_mission_facts
from ..domain.geometry import quaternion_to_yaw
from ..domain.site_layout import CONTRACT_ROCKS, CONTRACT_SLOTS
from ..domain.validation import ConfigError
from ..ros.action_server import constant_names
from ..ros.contract import (COLLECT_SAMPLE, CONTRACT_QOS, DEPOSIT_TUBE, LATCHED,
                            ROVER_ARM_NAMED_POSE, ROVER_JOINT_STATES, ROVER_ODOMETRY,
                            ROVER_TELEOP_CMD_VEL, TUBE_INVENTORY)
from ..ros.environment import apply_localhost_default
from ..ros.lean_node import LeanNode
from ..ros.parameters import declare
from ..ros.service_call import SeenReady

REFUSAL = ('teleop needs an interactive terminal: stdin is not a TTY. Run it in a terminal or '
           'a tmux pane (not through a pipe or from a script).')
ROVER_PARAMETERS = '/rover/get_parameters'   # the rover node's parameter service
STOP_REPEATS = 3       # zero twists sent after a stop, in case one is lost
POLL_PERIOD = 0.5      # s (wall) between looks at what the teleop still waits for
ASK_AGAIN = 5.0        # s (wall) after which an unanswered parameter request is sent again
PENDING = object()     # the goal while its response is on the way
# A goal nobody answers (the rover gone after SeenReady last saw it) is given up after this.
GOAL_RESPONSE_TIMEOUT = 10.0  # s (wall)


def _parameter_value(value):
    """Return a ParameterValue's number or text; None when the parameter is not set."""
    return {ParameterType.PARAMETER_DOUBLE: value.double_value,
            ParameterType.PARAMETER_INTEGER: value.integer_value,
            ParameterType.PARAMETER_STRING: value.string_value}.get(value.type)


# The teleop's parameters: attribute, name, default, description, minimum, maximum.
TELEOP_PARAMETERS = (
    ('facts_file', 'facts_file', '', 'mission facts YAML; empty = the packaged '
     'config/mission_facts.yaml', None, None),
    ('cap_linear', 'max_linear_speed', 0.0, "top teleop speed (m/s); 0 = the rover node's "
     'limit, and never more than that limit', 0.0, 1.0),
    ('cap_angular', 'max_angular_speed', 0.0, 'top teleop turn rate (rad/s); 0 = the rover '
     "node's limit, and never more than that limit", 0.0, 1.0),
    ('speed_steps', 'speed_steps', 5, 'key presses from stop to top speed', 1, 50),
)


class TeleopNode(LeanNode):
    """Publishers, subscriptions and clients behind the terminal UI."""

    def __init__(self):
        """Declare parameters; create publishers, subscriptions, clients and the poll timer."""
        super().__init__('teleop')
        self._declare_parameters()
        self.facts = load_mission_facts(self.facts_file or None)
        self.limits = limits_from_parameters({}, self.facts.rover,
                                             'mission facts: the rover has not answered yet')
        self._state_lock = threading.Lock()  # the keyboard and ROS threads both change speeds
        self.state = keymap.DriveState(*top_speeds(self.cap_linear, self.cap_angular,
                                                   self.limits), steps=self.speed_steps)
        self._stop_repeats = 0
        self.pose = self.speed = None
        self.inventory = []
        self.arm = ArmWatch()
        self._sent_at = None     # wall time of the pending goal's request
        self.action, self.goal = '', None
        self.missing = ('odometry',)
        self.limits_read, self._asked_at = False, None
        self.cmd_pub = self.create_publisher(Twist, ROVER_TELEOP_CMD_VEL, 10)
        self.arm_pub = self.create_publisher(String, ROVER_ARM_NAMED_POSE, 10)
        self.create_subscription(Odometry, ROVER_ODOMETRY, self._on_odom, CONTRACT_QOS)
        self.create_subscription(JointState, ROVER_JOINT_STATES, self._on_joints, CONTRACT_QOS)
        self.create_subscription(TubeInventory, TUBE_INVENTORY, self._on_inventory, LATCHED)
        self.collect_client = ActionClient(self, CollectSample, COLLECT_SAMPLE)
        self.deposit_client = ActionClient(self, DepositTube, DEPOSIT_TUBE)
        self._seen_ready = {client: SeenReady(client.server_is_ready)
                            for client in (self.collect_client, self.deposit_client)}
        self.parameter_client = self.create_client(GetParameters, ROVER_PARAMETERS)
        self.create_timer(POLL_PERIOD, self._poll)

    def _declare_parameters(self):
        for attribute, name, *declaration in TELEOP_PARAMETERS:
            setattr(self, attribute, declare(self, name, *declaration, read_only=True))

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

    def _poll(self):
        """Ask the rover for its limits until it answers; note what the teleop still lacks."""
        now = time.monotonic()
        if not self.limits_read and self.parameter_client.service_is_ready() and (
                self._asked_at is None or now - self._asked_at > ASK_AGAIN):
            self._asked_at = now
            request = GetParameters.Request(names=list(LIMIT_PARAMETERS) + ['facts_file'])
            self.parameter_client.call_async(request).add_done_callback(self._on_limits)
        self.missing = tuple(what for what, have in (
            ('odometry', self.pose is not None),
            ('the rover limits ({})'.format(ROVER_PARAMETERS), self.limits_read),
            ('the tube inventory', bool(self.inventory)),
            (COLLECT_SAMPLE, self._server_ready(self.collect_client)),
            (DEPOSIT_TUBE, self._server_ready(self.deposit_client))) if not have)
        if self.goal is PENDING and now - self._sent_at > GOAL_RESPONSE_TIMEOUT:
            self.goal = None
            self.action += ': no answer in {:.0f} s (is the rover node running?)'.format(
                GOAL_RESPONSE_TIMEOUT)

    def _server_ready(self, client):
        """Return True if the action server is there now or was a moment ago (SeenReady)."""
        return self._seen_ready[client]()

    def _on_limits(self, future):
        response = future.result()
        if response is None or len(response.values) != len(LIMIT_PARAMETERS) + 1:
            return  # asked again after ASK_AGAIN
        values = [_parameter_value(v) for v in response.values]
        facts, source = self.facts, 'read from the rover node'
        rover_facts = values.pop() or ''
        if rover_facts != self.facts_file:  # the rover's zeros mean its own facts' limits
            try:
                facts = load_mission_facts(rover_facts or None)
            except (ConfigError, OSError) as error:
                source += ' (its facts file {!r}: {}; ours used)'.format(rover_facts, error)
        self.limits = limits_from_parameters(dict(zip(LIMIT_PARAMETERS, values)), facts.rover,
                                             source)
        with self._state_lock:
            self.state = self.state.with_limits(*top_speeds(self.cap_linear, self.cap_angular,
                                                            self.limits))
        self.limits_read = True

    # -- commands ------------------------------------------------------------------------------
    def on_command(self, command):
        """Act on one command (drive at once; arm poses and actions in the executor's thread)."""
        with self._state_lock:
            before, self.state = self.state, self.state.apply(command)
            if (before.linear, before.angular) != (self.state.linear, self.state.angular):
                self._stop_repeats = STOP_REPEATS
        handler = {keymap.ARM: self._send_arm, keymap.COLLECT: self._collect,
                   keymap.DEPOSIT: self._deposit, keymap.CANCEL: self._cancel}.get(command.kind)
        if handler is not None:
            self.run_on_executor(handler, command)

    def publish_twist(self):
        """Send the current speeds while moving, and a few zeros after a stop."""
        with self._state_lock:
            linear, angular = self.state.linear, self.state.angular
            if not (linear or angular):
                if self._stop_repeats <= 0:
                    return
                self._stop_repeats -= 1
        msg = Twist()
        msg.linear.x, msg.angular.z = float(linear), float(angular)
        self.cmd_pub.publish(msg)

    def _halt(self):
        with self._state_lock:
            self.state = self.state.apply(keymap.Command(keymap.STOP))
            self._stop_repeats = STOP_REPEATS

    def stop(self):
        """Stop the rover (on quit)."""
        self._halt()
        for _ in range(STOP_REPEATS):
            self.publish_twist()

    def screen(self, show_help, width):
        """Return the lines of the screen."""
        return screen_lines(View(self.limits, self.state, self.pose, self.speed, self.missing,
                                 self.arm.describe(time.monotonic()), self.action, show_help),
                            width)

    def _send_arm(self, command):
        self.arm_pub.publish(String(data=command.value))
        self.arm.request(command.value, time.monotonic())
        self.action = 'arm -> {}'.format(command.value)

    def _cancel(self, _command):
        if self.goal is None or self.goal is PENDING:
            self.action = ('cancel: no action running' if self.goal is None
                           else 'cancel: the goal is not accepted yet')
        else:
            self.goal.cancel_goal_async()
            self.action += ' (cancel requested)'

    def _collect(self, _command):
        if self.pose is None:
            self.action = 'collect: no odometry yet'
            return
        rock, distance = keymap.nearest(CONTRACT_ROCKS, self.pose[0], self.pose[1])
        self._send(self.collect_client, CollectSample, CollectSample.Goal(rock=rock),
                   'collect at {} ({:.1f} m)'.format(rock, distance), collect_summary)

    def _deposit(self, _command):
        if self.pose is None:
            self.action = 'deposit: no odometry yet'
            return
        tube = keymap.next_sealed_tube(self.inventory)
        if tube is None:
            self.action = 'deposit: no sealed tube on board{}'.format(
                '' if self.inventory else ' (no /tube_inventory yet)')
            return
        slot, distance = keymap.nearest_slot(CONTRACT_SLOTS, *keymap.belly_point(
            self.pose, self.facts.rover.belly_drop_offset))
        self._send(self.deposit_client, DepositTube, DepositTube.Goal(tube_id=tube, slot=slot),
                   'deposit {} at {} ({:.1f} m)'.format(tube, slot, distance), deposit_summary)

    def _send(self, client, action_type, goal, label, summary):
        """Send a goal (in the executor's thread: ActionClient keeps no lock); show its news."""
        if self.goal is not None:
            self.action = '{}: another action is running (k cancels it)'.format(label)
            return
        if not self._server_ready(client):
            self.action = '{}: {} not available (is the rover node running?)'.format(
                label, client._action_name)
            return
        self._halt()
        self.action, self.goal, self._sent_at = label + ': sent', PENDING, time.monotonic()
        stages = constant_names(action_type.Feedback, 'STAGE_')
        errors = constant_names(action_type.Result, 'ERROR_')

        def on_feedback(msg):
            self.action = feedback_text(label, stages, msg.feedback.stage, msg.feedback.progress)

        def on_result(future):
            self.goal = None
            self.action = result_text(label, future.result().result, summary, errors)

        def on_response(future):
            handle = future.result()
            if not handle.accepted:
                self.goal, self.action = None, label + ': rejected (the rover is busy)'
                return
            self.goal = handle
            handle.get_result_async().add_done_callback(on_result)
        client.send_goal_async(goal, feedback_callback=on_feedback).add_done_callback(
            on_response)


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def main(args=None):
    """Run the teleop in this terminal; exit 2 without one."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(REFUSAL, file=sys.stderr)
        return 2
    apply_localhost_default()  # before rclpy creates its context, which reads the environment
    rclpy.init(args=sys.argv if args is None else args)
    node = executor = spinner = None
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_exit)
    try:
        node = TeleopNode()
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        spinner = threading.Thread(target=executor.spin, name='teleop_spin', daemon=True)
        spinner.start()
        with RawTerminal(sys.stdin.fileno(), sys.stdout) as terminal:
            run_ui(node, terminal)
    except KeyboardInterrupt:
        pass
    finally:
        if node is not None:
            node.stop()
        if executor is not None:
            executor.shutdown(timeout_sec=2.0)
        if spinner is not None:
            spinner.join(timeout=2.0)  # the spin thread must be out of rclpy before teardown
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
