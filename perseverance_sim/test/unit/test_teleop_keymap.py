# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the teleop's key logic (no ROS, no terminal)."""

from collections import namedtuple
import math
import subprocess
import sys

from perseverance_nodes.teleop import keymap
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


def test_next_sealed_tube_takes_the_lowest_sealed_sample_tube_on_board():
    """Unsealed, dropped and witness tubes are skipped; tube_09 sorts before tube_10."""
    tubes = [Tube('tube_10', 0, 1, 'rover/caching_assembly'),
             Tube('tube_09', 0, 1, 'rover/caching_assembly'),
             Tube('tube_01', 0, 0, 'rover/caching_assembly'),
             Tube('tube_02', 0, 1, 'depot/slot_01'),
             Tube('tube_39', 1, 1, 'rover/caching_assembly')]
    assert keymap.next_sealed_tube(tubes) == 'tube_09'
    assert keymap.next_sealed_tube(tubes[2:]) is None


def test_status_line_shows_pose_speeds_and_the_last_action():
    """Odometry, commanded speeds and the action text fit in the given width."""
    state = DriveState(0.5, 0.1).apply(Command(keymap.LINEAR, 1))
    line = keymap.status_line((32.0, 18.0, math.pi), state, 'collect at roubion: coring 40%')
    assert 'x   32.00' in line and 'yaw  180 deg' in line and '+0.100 m/s' in line
    assert line.endswith('coring 40%')
    assert 'no odometry yet' in keymap.status_line(None, state, '')
    assert len(keymap.status_line(None, state, 'x' * 500, width=60)) == 60


def test_teleop_refuses_without_a_terminal():
    """Run with stdin from a pipe, the teleop explains and exits 2 without touching ROS."""
    done = subprocess.run([sys.executable, '-c',
                           'from perseverance_nodes.teleop.node import main; '
                           'raise SystemExit(main())'],
                          stdin=subprocess.PIPE, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert 'not a TTY' in done.stderr
