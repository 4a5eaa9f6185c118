# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The teleop's keys and what they do, without ROS or a terminal (unit-tested).

Keys are strings as read from a terminal in raw mode: one character, or an escape sequence for
the arrow keys. ``split_keys`` cuts what one read returned into keys, ``command_for`` maps a key
to a ``Command``, and ``DriveState.apply`` turns drive commands into the speeds to publish,
clamped to the top speeds (at most the rover's limits).
"""

from dataclasses import dataclass, replace
import math

from ..domain.tubes import ROVER_CACHING_ASSEMBLY, SealState, tube_index, TubeKind

# Command kinds.
LINEAR = 'linear'      # value +1 / -1: one speed step forward / back
ANGULAR = 'angular'    # value +1 / -1: one turn-rate step left / right
STOP = 'stop'
ARM = 'arm'            # value: named arm pose
COLLECT = 'collect'    # CollectSample at the nearest rock
DEPOSIT = 'deposit'    # DepositTube of the next sealed tube at the nearest depot slot
CANCEL = 'cancel'      # cancel the running action
HELP = 'help'
QUIT = 'quit'

ARROW_UP, ARROW_DOWN, ARROW_RIGHT, ARROW_LEFT = '\x1b[A', '\x1b[B', '\x1b[C', '\x1b[D'
CTRL_C, CTRL_D, ESCAPE = '\x03', '\x04', '\x1b'


@dataclass(frozen=True)
class Command:
    """What a key asks for."""

    kind: str
    value: object = None


ARM_KEYS = {'1': 'stow', '2': 'ready', '3': 'core_at_rock', '4': 'bit_carousel', '5': 'drop'}

KEYMAP = {
    'w': Command(LINEAR, 1), ARROW_UP: Command(LINEAR, 1),
    'x': Command(LINEAR, -1), ARROW_DOWN: Command(LINEAR, -1),
    'a': Command(ANGULAR, 1), ARROW_LEFT: Command(ANGULAR, 1),
    'd': Command(ANGULAR, -1), ARROW_RIGHT: Command(ANGULAR, -1),
    's': Command(STOP), ' ': Command(STOP),
    'c': Command(COLLECT), 'p': Command(DEPOSIT), 'k': Command(CANCEL),
    'h': Command(HELP), '?': Command(HELP),
    'q': Command(QUIT), CTRL_C: Command(QUIT), CTRL_D: Command(QUIT), ESCAPE: Command(QUIT),
    **{key: Command(ARM, pose) for key, pose in ARM_KEYS.items()},
}

HELP_LINES = (
    'Perseverance keyboard teleop',
    '  w / Up      faster forward        x / Down   slower / reverse',
    '  a / Left    turn left (faster)    d / Right  turn right (faster)',
    '  s / Space   stop',
    '  1 stow  2 ready  3 core_at_rock  4 bit_carousel  5 drop      (arm poses)',
    '  c   collect a sample at the nearest rock (CollectSample)',
    '  p   drop the next sealed tube at the nearest depot slot (DepositTube)',
    '  k   cancel the running action',
    '  h / ?   show or hide this help        q / Esc / Ctrl-C   quit (the rover stops)',
)


def split_keys(data):
    """Split what one read returned into keys: arrow escape sequences stay whole."""
    keys, index = [], 0
    while index < len(data):
        if data.startswith(ESCAPE + '[', index) and index + 2 < len(data):
            keys.append(data[index:index + 3])
            index += 3
        else:
            keys.append(data[index])
            index += 1
    return keys


def command_for(key):
    """Return the ``Command`` of a key (letters in either case), or None for an unknown key."""
    return KEYMAP.get(key, KEYMAP.get(key.lower()) if len(key) == 1 else None)


def _clamp(value, limit):
    return max(-limit, min(limit, value))


@dataclass(frozen=True)
class DriveState:
    """The speeds the teleop publishes, the step per key press and the top speeds."""

    max_linear: float         # m/s
    max_angular: float        # rad/s
    linear: float = 0.0       # m/s
    angular: float = 0.0      # rad/s
    steps: int = 5            # key presses from stop to full speed

    def __post_init__(self):
        """Reject limits that are not finite and positive, and a step count below one."""
        for name in ('max_linear', 'max_angular'):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0.0):
                raise ValueError(f'{name} = {value!r} must be a finite speed > 0')
        if not isinstance(self.steps, int) or self.steps < 1:
            raise ValueError(f'steps = {self.steps!r} must be an integer >= 1')

    def apply(self, command):
        """Return the state after a drive command (other commands leave it as it is)."""
        if command.kind == LINEAR:
            step = self.max_linear / self.steps
            value = _clamp(round((self.linear + command.value * step) / step) * step,
                           self.max_linear)
            return replace(self, linear=value)
        if command.kind == ANGULAR:
            step = self.max_angular / self.steps
            value = _clamp(round((self.angular + command.value * step) / step) * step,
                           self.max_angular)
            return replace(self, angular=value)
        if command.kind in (STOP, QUIT):
            return replace(self, linear=0.0, angular=0.0)
        return self

    def with_limits(self, max_linear, max_angular):
        """Return the state with new top speeds, its speeds clamped to them."""
        return replace(self, max_linear=max_linear, max_angular=max_angular,
                       linear=_clamp(self.linear, max_linear),
                       angular=_clamp(self.angular, max_angular))


def nearest(points, x, y):
    """Return (name, distance) of the nearest of ``points`` {name: (x, y)}, or (None, inf)."""
    best = (None, math.inf)
    for name, (px, py) in points.items():
        distance = math.hypot(px - x, py - y)
        if distance < best[1]:
            best = (name, distance)
    return best


def belly_point(pose, offset):
    """Return the (x, y) where a rover at ``pose`` (x, y, yaw) drops a tube from its belly."""
    x, y, yaw = pose
    return (x + offset * math.cos(yaw), y + offset * math.sin(yaw))


def nearest_slot(slots, x, y):
    """Return (holder ``depot/slot_NN``, distance) of the slot nearest (x, y), 1-based names."""
    named = {f'depot/slot_{number:02d}': xy for number, xy in enumerate(slots, 1)}
    return nearest(named, x, y)


def next_sealed_tube(tubes):
    """
    Return the lowest sealed sample tube in the rover's rack, or None.

    ``tubes`` are TubeState-like objects (tube_id, kind, seal, holder), e.g. the ledger's
    /tube_inventory entries.
    """
    candidates = [t.tube_id for t in tubes
                  if t.holder == ROVER_CACHING_ASSEMBLY and t.seal == int(SealState.SEALED)
                  and t.kind == int(TubeKind.SAMPLE)]
    return min(candidates, key=tube_index) if candidates else None
