# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The teleop's keys and what they do, without ROS or a terminal (unit-tested).

Keys are strings as read from a terminal in raw mode: one character, or an escape sequence for
the arrow keys. ``split_keys`` cuts what one read returned into keys and ``command_for`` maps a
key to a ``domain.driving.Command``, or to one of the terminal's own (HELP, QUIT).
"""

from ..domain.driving import ANGULAR, ARM, Command, KEYS, LINEAR, STOP

# The terminal's own command kinds: the driver never sees them.
HELP = 'help'
QUIT = 'quit'

ARROW_UP, ARROW_DOWN, ARROW_RIGHT, ARROW_LEFT = '\x1b[A', '\x1b[B', '\x1b[C', '\x1b[D'
CTRL_C, CTRL_D, ESCAPE = '\x03', '\x04', '\x1b'

ARM_KEYS = {key: command.value for key, command in KEYS.items() if command.kind == ARM}
ARM_HINT = 'keys 1-{}'.format(len(ARM_KEYS))

KEYMAP = {
    **KEYS,
    ARROW_UP: Command(LINEAR, 1), ARROW_DOWN: Command(LINEAR, -1),
    ARROW_LEFT: Command(ANGULAR, 1), ARROW_RIGHT: Command(ANGULAR, -1), ' ': Command(STOP),
    'h': Command(HELP), '?': Command(HELP),
    'q': Command(QUIT), CTRL_C: Command(QUIT), CTRL_D: Command(QUIT), ESCAPE: Command(QUIT),
}

HELP_LINES = (
    'Perseverance keyboard teleop',
    '  w / Up      faster forward        x / Down   slower / reverse',
    '  a / Left    turn left (faster)    d / Right  turn right (faster)',
    '  s / Space   stop',
    '  ' + '  '.join('{} {}'.format(key, pose) for key, pose in ARM_KEYS.items())
    + '      (arm poses)',
    '  c   collect a sample at the nearest rock (CollectSample)',
    '  e   seal the next cored tube: inspect, seal, store (CacheSample)',
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
