# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The keyboard teleop: a terminal UI driving the rover node.

    teleop [--ros-args -p max_linear_speed:=0.5 ...]      (or: perseverance-sim teleop)

Publishes /rover/cmd_vel (Twist, about 10 Hz while moving: the rover's watchdog stops it when
the keys stop) and /rover/arm/named_pose (String); sends /rover/collect_sample at the nearest
rock and /rover/deposit_tube for the next sealed tube on board at the nearest depot slot. Shows
help and a status line (rover odometry, commanded speeds, the last action's feedback / result).

The terminal is put in raw mode (termios) on the alternate screen and restored on every exit:
q, Esc, Ctrl-C, SIGTERM, SIGHUP or an exception. It works in tmux. Without a terminal on stdin it
refuses politely (exit code 2). Key logic lives in teleop.keymap (no ROS, unit-tested).
"""

import math
import os
import select
import signal
import sys
import termios
import textwrap
import threading
import time
import tty

from perseverance_nodes.ros.environment import apply_localhost_default

from ..teleop import keymap

REFUSAL = ('teleop needs an interactive terminal: stdin is not a TTY. Run it in a terminal or '
           'a tmux pane (not through a pipe or from a script).')
PUBLISH_PERIOD = 0.1   # s (wall) between cmd_vel publications while moving
DRAW_PERIOD = 0.2      # s (wall) between screen refreshes
STOP_REPEATS = 3       # zero twists sent after a stop, in case one is lost


class RawTerminal:
    """Raw mode on the alternate screen for a context; the terminal is restored on exit."""

    def __init__(self, fd, out):
        """Remember the terminal of file descriptor ``fd``; ``out`` is the text stream to draw."""
        self.fd, self.out = fd, out
        self._saved = None

    def __enter__(self):
        """Save the settings, switch to raw mode and the alternate screen."""
        self._saved = termios.tcgetattr(self.fd)
        tty.setraw(self.fd)
        self.out.write('\x1b[?1049h\x1b[?25l')
        self.out.flush()
        return self

    def __exit__(self, *exc):
        """Restore the saved settings and the normal screen, whatever happened."""
        try:
            self.out.write('\x1b[?25h\x1b[?1049l')
            self.out.flush()
        finally:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
        return False

    def read_keys(self, timeout):
        """Return the keys typed within ``timeout`` s (an arrow's escape sequence is one key)."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return []
        data = os.read(self.fd, 64)
        if data == b'\x1b':  # a lone Esc, or the first byte of an arrow key: look for the rest
            more, _, _ = select.select([self.fd], [], [], 0.03)
            if more:
                data += os.read(self.fd, 64)
        return keymap.split_keys(data.decode('utf-8', errors='ignore'))

    def draw(self, lines):
        """Redraw the screen with ``lines`` (raw mode needs explicit carriage returns)."""
        self.out.write('\x1b[H\x1b[2J' + '\r\n'.join(lines) + '\r\n')
        self.out.flush()


def _make_node():
    """Create the teleop's rclpy node (imports rclpy only once a terminal is known)."""
    from geometry_msgs.msg import Twist
    from nav_msgs.msg import Odometry
    from perseverance_interfaces.action import CollectSample, DepositTube
    from perseverance_interfaces.msg import TubeInventory
    from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
    from rclpy.action import ActionClient
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from std_msgs.msg import String

    from ..domain.facts import load_mission_facts
    from ..domain.geometry import quaternion_to_yaw
    from ..ros.lean_node import LeanNode
    from ..domain.scenario import load_scenario
    from ..rover.targets import rock_table, slot_table

    latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                         reliability=ReliabilityPolicy.RELIABLE)

    def stage_names(feedback_type):
        return {getattr(feedback_type, name): name[len('STAGE_'):].lower()
                for name in dir(feedback_type) if name.startswith('STAGE_')}

    class TeleopNode(LeanNode):
        """Publishers, subscriptions and action clients behind the terminal UI."""

        def __init__(self):
            super().__init__('teleop')
            speed = [FloatingPointRange(from_value=0.0, to_value=1.0)]
            scenario_file = self.declare_parameter('scenario_file', '', ParameterDescriptor(
                description='scenario YAML (rocks and depot slots); empty = the packaged '
                            'default', read_only=True)).value
            facts_file = self.declare_parameter('facts_file', '', ParameterDescriptor(
                description='mission facts YAML; empty = the packaged one',
                read_only=True)).value
            max_linear = self.declare_parameter('max_linear_speed', 0.0, ParameterDescriptor(
                description='top teleop speed (m/s); 0 = the rover limit of the mission facts; '
                            "keep it at most the rover node's max_linear_speed",
                floating_point_range=speed, read_only=True)).value
            max_angular = self.declare_parameter('max_angular_speed', 0.0, ParameterDescriptor(
                description='top teleop turn rate (rad/s); 0 = the mission facts',
                floating_point_range=speed, read_only=True)).value
            steps = self.declare_parameter('speed_steps', 5, ParameterDescriptor(
                description='key presses from stop to top speed',
                integer_range=[IntegerRange(from_value=1, to_value=50, step=1)],
                read_only=True)).value
            facts = load_mission_facts(facts_file or None)
            scenario = load_scenario(scenario_file or None, facts)
            self.belly_offset = facts.rover.belly_drop_offset
            self.rocks = rock_table(scenario)
            self.slots = slot_table(scenario)
            self.state = keymap.DriveState(max_linear or facts.rover.max_linear_speed,
                                           max_angular or facts.rover.max_angular_speed,
                                           steps=steps)
            self.cmd_pub = self.create_publisher(Twist, '/rover/cmd_vel', 10)
            self.arm_pub = self.create_publisher(String, '/rover/arm/named_pose', 10)
            self.pose = None
            self.inventory = []
            self.create_subscription(Odometry, '/model/perseverance/odometry', self._on_odom, 10)
            self.create_subscription(TubeInventory, '/tube_inventory', self._on_inventory,
                                     latched)
            self.collect_client = ActionClient(self, CollectSample, '/rover/collect_sample')
            self.deposit_client = ActionClient(self, DepositTube, '/rover/deposit_tube')
            self.collect_stages = stage_names(CollectSample.Feedback)
            self.deposit_stages = stage_names(DepositTube.Feedback)
            self.action = ''
            self.goal = None
            self._stop_repeats = 0
            self._twist_type, self._string_type = Twist, String
            self._collect_type, self._deposit_type = CollectSample, DepositTube

        def _on_odom(self, msg):
            p, q = msg.pose.pose.position, msg.pose.pose.orientation
            self.pose = (p.x, p.y, quaternion_to_yaw((q.x, q.y, q.z, q.w)))

        def _on_inventory(self, msg):
            self.inventory = list(msg.tubes)

        # -- commands ------------------------------------------------------------------
        def on_command(self, command):
            """Act on one command."""
            before = self.state
            self.state = self.state.apply(command)
            if (before.linear, before.angular) != (self.state.linear, self.state.angular):
                self._stop_repeats = STOP_REPEATS
            if command.kind == keymap.ARM:
                self.arm_pub.publish(self._string_type(data=command.value))
                self.action = 'arm -> {}'.format(command.value)
            elif command.kind == keymap.COLLECT:
                self._collect()
            elif command.kind == keymap.DEPOSIT:
                self._deposit()
            elif command.kind == keymap.CANCEL:
                if self.goal is not None:
                    self.run_on_executor(self.goal.cancel_goal_async)
                    self.action += ' (cancel requested)'
                else:
                    self.action = 'no action to cancel'

        def publish_twist(self):
            """Send the current speeds while moving, and a few zeros after a stop."""
            moving = bool(self.state.linear or self.state.angular)
            if not moving and self._stop_repeats <= 0:
                return
            if not moving:
                self._stop_repeats -= 1
            msg = self._twist_type()
            msg.linear.x, msg.angular.z = float(self.state.linear), float(self.state.angular)
            self.cmd_pub.publish(msg)

        def stop(self):
            """Stop the rover (on quit)."""
            self.state = self.state.apply(keymap.Command(keymap.STOP))
            self._stop_repeats = STOP_REPEATS
            while self._stop_repeats > 0:
                self.publish_twist()

        def _collect(self):
            if self.pose is None:
                self.action = 'collect: no odometry yet'
                return
            rock, distance = keymap.nearest(self.rocks, self.pose[0], self.pose[1])
            self._send(self.collect_client, self._collect_type.Goal(rock=rock),
                       'collect at {} ({:.1f} m)'.format(rock, distance), self.collect_stages,
                       self._collect_done)

        def _collect_done(self, result):
            return 'tubes ' + ', '.join('{} {} {:.0f} mm'.format(t, d, 1000 * c) for t, d, c in
                                        zip(result.tube_ids, result.designations,
                                            result.core_lengths))

        def _deposit(self):
            if self.pose is None:
                self.action = 'deposit: no odometry yet'
                return
            tube = keymap.next_sealed_tube(self.inventory)
            if tube is None:
                self.action = 'deposit: no sealed tube on board{}'.format(
                    '' if self.inventory else ' (no /tube_inventory yet)')
                return
            x, y, yaw = self.pose
            belly = (x + self.belly_offset * math.cos(yaw), y + self.belly_offset * math.sin(yaw))
            slot, distance = keymap.nearest_slot(self.slots, *belly)
            self._send(self.deposit_client, self._deposit_type.Goal(tube_id=tube, slot=slot),
                       'deposit {} at {} ({:.1f} m)'.format(tube, slot, distance),
                       self.deposit_stages, self._deposit_done)

        def _deposit_done(self, result):
            p = result.tube_pose.position
            return 'tube at ({:.2f}, {:.2f}, {:.3f}), rolled {:.2f} m{}{}'.format(
                p.x, p.y, p.z, result.roll_distance,
                ', was on end' if result.was_on_end else '',
                ', was in wheel path' if result.was_in_wheel_path else '')

        def _send(self, client, goal, label, stages, describe):
            if self.goal is not None:
                self.action = '{}: another action is running (k cancels it)'.format(label)
                return
            if not client.server_is_ready():
                self.action = '{}: {} not available (is the rover node running?)'.format(
                    label, client._action_name)
                return
            self.state = self.state.apply(keymap.Command(keymap.STOP))
            self._stop_repeats = STOP_REPEATS
            self.action = label + ': sent'

            def on_feedback(msg):
                self.action = '{}: {} {:.0f}%'.format(
                    label, stages.get(msg.feedback.stage, '?'), 100.0 * msg.feedback.progress)

            def on_result(future):
                self.goal = None
                result = future.result().result
                if result.success:
                    self.action = '{}: OK, {}'.format(label, describe(result))
                else:
                    self.action = '{}: FAILED ({}): {}'.format(
                        label, result.error_code, result.error_msg)

            def on_response(future):
                handle = future.result()
                if not handle.accepted:
                    self.action = label + ': rejected (the rover is busy)'
                    return
                self.goal = handle
                handle.get_result_async().add_done_callback(on_result)

            def send():  # in the executor's thread: ActionClient is not thread-safe
                client.send_goal_async(goal, feedback_callback=on_feedback).add_done_callback(
                    on_response)
            self.run_on_executor(send)

    return TeleopNode()


def _screen(node, show_help, width):
    lines = list(keymap.HELP_LINES) if show_help else ['Perseverance teleop (h: help)']
    limits = 'limits {:.3f} m/s, {:.3f} rad/s'.format(
        node.state.max_linear, node.state.max_angular)
    status = keymap.status_line(node.pose, node.state, node.action, width=10 * width)
    lines += ['', limits] + textwrap.wrap(status, width, subsequent_indent='    ')
    return lines


def run_ui(node, terminal):
    """Read keys, publish, redraw until a quit key (ROS callbacks run in another thread)."""
    show_help, last_publish, last_draw = True, 0.0, 0.0
    while True:
        for key in terminal.read_keys(0.05):
            command = keymap.command_for(key)
            if command is None:
                continue
            if command.kind == keymap.QUIT:
                return
            if command.kind == keymap.HELP:
                show_help = not show_help
            node.on_command(command)
            last_draw = 0.0
        now = time.monotonic()
        if now - last_publish >= PUBLISH_PERIOD:
            node.publish_twist()
            last_publish = now
        if now - last_draw >= DRAW_PERIOD:
            width = max(os.get_terminal_size(terminal.fd).columns - 1, 40)
            terminal.draw(_screen(node, show_help, width))
            last_draw = now


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def main(args=None):
    """Run the teleop in this terminal; exit 2 without one."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(REFUSAL, file=sys.stderr)
        return 2
    apply_localhost_default()
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    rclpy.init(args=sys.argv if args is None else args)
    node = executor = spinner = None
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_exit)
    try:
        node = _make_node()
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
