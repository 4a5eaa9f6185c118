# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the teleop's keys, screen and key loop (no ROS, no terminal)."""

from collections import namedtuple
import math
import subprocess
import sys

from perseverance_nodes.domain.facts import load_mission_facts
from perseverance_nodes.ros.action_server import constant_names
from perseverance_nodes.teleop import keymap, screen, terminal
from perseverance_nodes.teleop.keymap import Command, DriveState
import pytest

Tube = namedtuple('Tube', 'tube_id kind seal holder')


def test_split_keys_keeps_arrow_sequences_whole():
    """Arrow keys arrive as three-byte escape sequences; letters one by one."""
    assert keymap.split_keys('w\x1b[Aa\x1b[D') == ['w', keymap.ARROW_UP, 'a', keymap.ARROW_LEFT]
    assert keymap.split_keys('\x1b') == [keymap.ESCAPE]
    assert keymap.split_keys('') == []


def test_keys_map_to_commands():
    """Drive, arm, action, help and quit keys; capitals work; unknown keys do nothing."""
    assert keymap.command_for('w') == Command(keymap.LINEAR, 1)
    assert keymap.command_for('W') == Command(keymap.LINEAR, 1)
    assert keymap.command_for(keymap.ARROW_DOWN) == Command(keymap.LINEAR, -1)
    assert keymap.command_for(keymap.ARROW_RIGHT) == Command(keymap.ANGULAR, -1)
    assert keymap.command_for(' ') == Command(keymap.STOP)
    assert keymap.command_for('1') == Command(keymap.ARM, 'stow')
    assert keymap.command_for('3') == Command(keymap.ARM, 'core_at_rock')
    assert keymap.command_for('c').kind == keymap.COLLECT
    assert keymap.command_for('p').kind == keymap.DEPOSIT
    for key in ('q', keymap.CTRL_C, keymap.ESCAPE):
        assert keymap.command_for(key).kind == keymap.QUIT
    assert keymap.command_for('z') is None
    assert keymap.command_for('\x1b[Z') is None


def test_every_arm_key_names_a_pose_of_the_arm_logic():
    """The arm keys send only names the rover node accepts."""
    from perseverance_nodes.rover.arm import ARM_POSES
    assert set(keymap.ARM_KEYS.values()) <= set(ARM_POSES)


def test_drive_state_steps_and_clamps_to_the_rover_limits():
    """Five presses reach the limit; more presses stay there; stop zeroes both speeds."""
    state = DriveState(0.5, 0.1)
    for _ in range(8):
        state = state.apply(Command(keymap.LINEAR, 1))
    assert state.linear == pytest.approx(0.5)
    state = state.apply(Command(keymap.LINEAR, -1))
    assert state.linear == pytest.approx(0.4)
    for _ in range(20):
        state = state.apply(Command(keymap.ANGULAR, -1))
    assert state.angular == pytest.approx(-0.1)
    assert state.apply(Command(keymap.ARM, 'ready')) == state
    stopped = state.apply(Command(keymap.STOP))
    assert (stopped.linear, stopped.angular) == (0.0, 0.0)


def test_new_limits_clamp_the_speeds():
    """Lower top speeds (the rover's, once it answered) clamp what is being sent."""
    state = DriveState(0.5, 0.5)
    for _ in range(5):
        state = state.apply(Command(keymap.LINEAR, 1)).apply(Command(keymap.ANGULAR, -1))
    state = state.with_limits(0.042, 0.1)
    assert (state.linear, state.angular) == (0.042, -0.1)
    assert state.apply(Command(keymap.LINEAR, -1)).linear == pytest.approx(0.042 * 4 / 5)


def test_drive_state_has_no_rounding_drift_around_zero():
    """Up then down returns exactly to zero (no 1e-17 crawl that keeps publishing)."""
    state = DriveState(0.042, 0.1, steps=3)
    for key in (1, 1, -1, -1):
        state = state.apply(Command(keymap.LINEAR, key))
    assert state.linear == 0.0


@pytest.mark.parametrize('limit', [0.0, -1.0, math.nan, math.inf])
def test_drive_state_rejects_bad_limits(limit):
    """Limits must be finite and positive."""
    with pytest.raises(ValueError, match='max_linear'):
        DriveState(limit, 0.1)


def test_nearest_rock_and_slot():
    """Nearest point by planar distance; slots are named 1-based like the ledger's."""
    rocks = {'roubion': (20.0, 12.0), 'montdenier': (10.0, 22.0)}
    name, distance = keymap.nearest(rocks, 23.0, 12.0)
    assert name == 'roubion' and distance == pytest.approx(3.0)
    assert keymap.nearest({}, 0.0, 0.0) == (None, math.inf)
    slots = ((-72.0, -36.0), (-78.0, -28.0))
    assert keymap.nearest_slot(slots, -77.0, -28.0) == ('depot/slot_02', pytest.approx(1.0))
    assert keymap.belly_point((1.0, 2.0, math.pi / 2), 0.35) == pytest.approx((1.0, 2.35))


def test_next_sealed_tube_takes_the_lowest_sealed_sample_tube_on_board():
    """Unsealed, dropped and witness tubes are skipped; tube_09 sorts before tube_10."""
    tubes = [Tube('tube_10', 0, 1, 'rover/caching_assembly'),
             Tube('tube_09', 0, 1, 'rover/caching_assembly'),
             Tube('tube_01', 0, 0, 'rover/caching_assembly'),
             Tube('tube_02', 0, 1, 'depot/slot_01'),
             Tube('tube_39', 1, 1, 'rover/caching_assembly')]
    assert keymap.next_sealed_tube(tubes) == 'tube_09'
    assert keymap.next_sealed_tube(tubes[2:]) is None


def test_teleop_refuses_without_a_terminal():
    """Run with stdin from a pipe, the teleop explains and exits 2 before ROS starts."""
    done = subprocess.run([sys.executable, '-c',
                           'from perseverance_nodes.teleop.node import main; '
                           'raise SystemExit(main())'],
                          stdin=subprocess.PIPE, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert 'not a TTY' in done.stderr


ROVER_FACTS = load_mission_facts(None).rover


def test_rover_limits_take_the_mission_facts_for_zero():
    """As in the rover node: a 0 (or an unset parameter) means the mission facts' limit."""
    limits = screen.limits_from_parameters({'max_linear_speed': 1.0, 'max_angular_speed': 0.0,
                                            'max_linear_accel': None}, ROVER_FACTS, 'test')
    assert (limits.linear, limits.angular) == (1.0, ROVER_FACTS.max_angular_speed)
    assert limits.linear_accel == ROVER_FACTS.max_linear_accel
    assert limits.angular_accel == ROVER_FACTS.max_angular_accel


def test_top_speeds_never_exceed_the_rover_limits():
    """The teleop's caps only lower the rover's limits; 0 means no cap."""
    limits = screen.RoverLimits(0.042, 0.1, 0.05, 0.1, 'test')
    assert screen.top_speeds(0.0, 0.0, limits) == (0.042, 0.1)
    assert screen.top_speeds(0.5, 0.05, limits) == (0.042, 0.05)


def test_arm_watch_reports_what_the_arm_did_with_a_pose():
    """Sent, moving while the joints change, then still; no motion at all is said too."""
    arm = screen.ArmWatch()
    assert 'no pose sent' in arm.describe(0.0)
    arm.update((0.0, -0.8), 0.0)
    arm.request('ready', 1.0)
    assert arm.describe(1.1) == 'ready requested: sent'
    arm.update((0.1, -0.7), 1.2)
    assert arm.describe(1.3) == 'ready requested: moving'
    arm.update((0.1, -0.7), 1.4)
    assert arm.describe(2.0) == 'ready requested: moved, now still'
    arm.request('stow', 3.0)
    assert 'did not move' in arm.describe(3.0 + screen.ARM_START + 0.1)


class _Result:
    ERROR_NONE, ERROR_ROCK_OUT_OF_REACH = 0, 11

    def __init__(self, success, error_code=0, error_msg=''):
        self.success, self.error_code, self.error_msg = success, error_code, error_msg


def test_action_outcomes_name_the_error():
    """A failure shows the ERROR_* name and message; success the summary; progress the stage."""
    errors = constant_names(_Result, 'ERROR_')
    assert errors == {0: 'NONE', 11: 'ROCK_OUT_OF_REACH'}
    assert screen.result_text('collect', _Result(False, 11, 'too far'), str, errors) == \
        'collect: FAILED (ROCK_OUT_OF_REACH): too far'
    assert screen.result_text('collect', _Result(True), lambda r: 'tubes', errors) == \
        'collect: OK, tubes'
    assert screen.feedback_text('collect', {2: 'CORING'}, 2, 0.4) == 'collect: coring 40%'


def _view(**fields):
    limits = screen.RoverLimits(1.0, 0.5, 0.5, 0.5, 'read from the rover node')
    state = DriveState(0.5, 0.5).apply(Command(keymap.LINEAR, 1))
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


class _FakeNode:

    def __init__(self):
        self.commands, self.published = [], 0

    def on_command(self, command):
        self.commands.append(command)

    def publish_twist(self):
        self.published += 1

    def screen(self, show_help, width):
        return ['help' if show_help else 'no help', str(width)]


def test_the_key_loop_hands_commands_over_and_stops_at_quit():
    """Known keys become commands (unknown ones do nothing), h toggles help, q ends the loop."""
    node, fake = _FakeNode(), _FakeTerminal(['w', 'z', '2', 'h', 'q', 'x'])
    terminal.run_ui(node, fake)
    assert [c.kind for c in node.commands] == [keymap.LINEAR, keymap.ARM, keymap.HELP]
    assert fake.keys == ['x'] and node.published >= 1
    assert fake.drawn[-1] == ['no help', '80']
