# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The keyboard teleop: a terminal UI driving the rover node.

    teleop [--ros-args -p max_linear_speed:=0.02 ...]      (or: perseverance-sim teleop)

A LeanNode with a ros.rover_driver.RoverDriver, which does the driving: /rover/cmd_vel (Twist,
about 10 Hz while moving: the rover's watchdog stops it when the keys stop), /rover/arm/named_pose
(String), /rover/collect_sample at the nearest rock and /rover/deposit_tube for the next sealed
tube on board at the nearest depot slot, both named places of the site (domain.site_layout),
where the rover then works. Its top speeds are the limits the rover node applies, read from its
parameters (/rover/get_parameters; 0 there means the mission facts), or less if
max_linear_speed / max_angular_speed say so.

The terminal is in raw mode on the alternate screen and restored on every exit (q, Esc, Ctrl-C,
SIGTERM, SIGHUP or an exception); it works in tmux. Without a terminal on stdin the teleop
refuses politely (exit code 2) before ROS starts. Keys: teleop.keymap; what the screen shows:
teleop.screen; the terminal: teleop.terminal (no ROS, unit-tested); what driving means (speed
steps, limits, the arm's poses, the goals' targets and news): domain.driving.
"""

import signal
import sys
import threading
import time

import rclpy
from rclpy.executors import SingleThreadedExecutor

from . import keymap
from .screen import screen_lines, View
from .terminal import RawTerminal, run_ui
from ..domain.facts import load_mission_facts
from ..ros.environment import apply_localhost_default
from ..ros.lean_node import LeanNode
from ..ros.parameters import declare
from ..ros.rover_driver import RoverDriver

REFUSAL = ('teleop needs an interactive terminal: stdin is not a TTY. Run it in a terminal or '
           'a tmux pane (not through a pipe or from a script).')

# The teleop's parameters: attribute, name, default, description, minimum, maximum.
TELEOP_PARAMETERS = (
    ('facts_file', 'facts_file', '', 'mission facts YAML; empty = the packaged '
     'config/mission_facts.yaml', None, None),
    ('cap_linear', 'max_linear_speed', 0.0, "top teleop speed (m/s); 0 = the rover node's "
     'limit, and never more than that limit', 0.0, 1.0),
    ('cap_angular', 'max_angular_speed', 0.0, 'top teleop turn rate (rad/s); 0 = the rover '
     "node's limit, and never more than that limit", 0.0, 1.0),
    ('speed_steps', 'speed_steps', 5, 'key presses from stop to top speed', 1, 50),
    ('page_url', 'page_url', '', "the live page's address shown on screen (set by "
     'perseverance-sim teleop); empty = none', None, None),
)


class TeleopNode(LeanNode):
    """The node behind the terminal UI: its parameters and the rover driver."""

    def __init__(self):
        """Declare the parameters and attach the rover driver."""
        super().__init__('teleop')
        for attribute, name, *declaration in TELEOP_PARAMETERS:
            setattr(self, attribute, declare(self, name, *declaration, read_only=True))
        self.driver = RoverDriver(self, load_mission_facts(self.facts_file or None),
                                  self.cap_linear, self.cap_angular, self.speed_steps)

    def screen(self, show_help, width):
        """Return the lines of the screen."""
        driver = self.driver
        arm = driver.arm.describe(time.monotonic())
        if not driver.arm.pose:
            arm += ' ({})'.format(keymap.ARM_HINT)
        return screen_lines(View(driver.limits, driver.state, driver.pose, driver.speed,
                                 driver.missing, arm, driver.action, show_help, self.page_url),
                            width)


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
            run_ui(node.driver, node.screen, terminal)
    except KeyboardInterrupt:
        pass
    finally:
        if node is not None:
            node.driver.stop()
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
