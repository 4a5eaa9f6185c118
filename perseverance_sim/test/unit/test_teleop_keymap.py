# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the teleop's keys, screen and key loop (no ROS, no terminal)."""

import math
import subprocess
import sys

from perseverance_nodes.domain import driving
from perseverance_nodes.domain.driving import Command, DriveState, RoverLimits
from perseverance_nodes.teleop import keymap, screen, terminal


def test_split_keys_keeps_arrow_sequences_whole():
    """Arrow keys arrive as three-byte escape sequences; letters one by one."""
    assert keymap.split_keys('w\x1b[Aa\x1b[D') == ['w', keymap.ARROW_UP, 'a', keymap.ARROW_LEFT]
    assert keymap.split_keys('\x1b') == [keymap.ESCAPE]
    assert keymap.split_keys('') == []


def test_keys_map_to_commands():
    """Drive, arm, action, help and quit keys; capitals work; unknown keys do nothing."""
    assert keymap.command_for('w') == Command(driving.LINEAR, 1)
    assert keymap.command_for('W') == Command(driving.LINEAR, 1)
    assert keymap.command_for(keymap.ARROW_DOWN) == Command(driving.LINEAR, -1)
    assert keymap.command_for(keymap.ARROW_RIGHT) == Command(driving.ANGULAR, -1)
    assert keymap.command_for(' ') == Command(driving.STOP)
    assert keymap.command_for('1') == Command(driving.ARM, 'stow')
    assert keymap.command_for('3') == Command(driving.ARM, 'core_at_rock')
    assert keymap.command_for('c').kind == driving.COLLECT
    assert keymap.command_for('p').kind == driving.DEPOSIT
    assert keymap.command_for('k').kind == driving.CANCEL
    for key in ('q', keymap.CTRL_C, keymap.ESCAPE):
        assert keymap.command_for(key).kind == keymap.QUIT
    assert keymap.command_for('z') is None
    assert keymap.command_for('\x1b[Z') is None


def test_every_command_a_key_hands_the_driver_passes_its_check():
    """The keys 1-5 are the arm poses in order; no key makes a command the driver refuses."""
    assert list(keymap.ARM_KEYS) == ['1', '2', '3', '4', '5']
    assert tuple(keymap.ARM_KEYS.values()) == driving.ARM_POSES
    for command in keymap.KEYMAP.values():
        if command.kind not in (keymap.HELP, keymap.QUIT):
            assert driving.check_command(command) is command


def test_teleop_refuses_without_a_terminal():
    """Run with stdin from a pipe, the teleop explains and exits 2 before ROS starts."""
    done = subprocess.run([sys.executable, '-c',
                           'from perseverance_nodes.teleop.node import main; '
                           'raise SystemExit(main())'],
                          stdin=subprocess.PIPE, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert 'not a TTY' in done.stderr


def _view(**fields):
    limits = RoverLimits(1.0, 0.5, 0.5, 0.5, 'read from the rover node')
    state = DriveState(0.5, 0.5).apply(Command(driving.LINEAR, 1))
    return screen.View(limits, state, **fields)


def test_the_screen_shows_the_rover_limits_the_top_speeds_and_the_rover():
    """Limits with their source, top speeds, readiness, odometry, command, arm and action."""
    view = _view(pose=(32.0, 18.0, math.pi), speed=(0.1, -1e-5), arm='ready requested: moving',
                 action='collect at roubion: coring 40%')
    text = '\n'.join(screen.screen_lines(view, 100))
    assert 'rover limits 1.000 m/s  0.500 rad/s  accel 0.500 m/s2  0.500 rad/s2  (read from ' \
           'the rover node)' in text
    assert 'teleop top   0.500 m/s  0.500 rad/s  in 5 key presses' in text
    assert 'status       ready' in text
    assert 'x   32.00  y   18.00  yaw  180 deg  moving +0.100 m/s +0.000 rad/s' in text
    assert 'command      +0.100 m/s +0.000 rad/s' in text
    assert 'arm          ready requested: moving' in text
    assert text.endswith('action       collect at roubion: coring 40%')
    lines = screen.screen_lines(_view(missing=('odometry', '/rover/collect_sample'),
                                      action='x' * 30 + ' y' * 60, show_help=False), 60)
    assert lines[0] == 'Perseverance teleop (h: help)'
    assert 'status       waiting for odometry, /rover/collect_sample' in lines
    assert 'rover        no odometry yet' in lines
    assert all(len(line) <= 60 for line in lines) and lines[-1].startswith(' ' * 13 + 'y')


class _FakeTerminal:

    def __init__(self, keys):
        self.keys, self.drawn = list(keys), []

    def read_keys(self, timeout):
        return [self.keys.pop(0)] if self.keys else []

    def width(self):
        return 80

    def draw(self, lines):
        self.drawn.append(lines)


class _FakeDriver:

    def __init__(self):
        self.commands, self.published = [], 0

    def on_command(self, command):
        self.commands.append(command)

    def publish_twist(self):
        self.published += 1


def _screen(show_help, width):
    return ['help' if show_help else 'no help', str(width)]


def test_the_key_loop_hands_commands_over_and_stops_at_quit():
    """Known keys drive (unknown ones do nothing), h toggles help (not a drive), q ends it."""
    driver, fake = _FakeDriver(), _FakeTerminal(['w', 'z', '2', 'h', 'q', 'x'])
    terminal.run_ui(driver, _screen, fake)
    assert [c.kind for c in driver.commands] == [driving.LINEAR, driving.ARM]
    assert fake.keys == ['x'] and driver.published >= 1
    assert fake.drawn[-1] == ['no help', '80']
