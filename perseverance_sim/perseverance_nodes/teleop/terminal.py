# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The teleop's terminal: raw keys in, one redrawn screen out, no ROS.

The terminal is put in raw mode (termios) on the alternate screen and restored on every exit of
the ``RawTerminal`` context. ``run_ui`` reads keys, hands their commands to the rover driver,
has it publish and redraws, until a quit key.
"""

import os
import select
import termios
import time
import tty

from . import keymap
from ..domain.driving import PUBLISH_PERIOD

DRAW_PERIOD = 0.2      # s (wall) between screen refreshes


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

    def width(self):
        """Return the usable screen width in columns (at least 40)."""
        return max(os.get_terminal_size(self.fd).columns - 1, 40)

    def draw(self, lines):
        """Redraw the screen with ``lines`` (raw mode needs explicit carriage returns)."""
        self.out.write('\x1b[H\x1b[2J' + '\r\n'.join(lines) + '\r\n')
        self.out.flush()


def run_ui(driver, screen, terminal):
    """
    Read keys, publish, redraw until a quit key (ROS callbacks run in another thread).

    ``driver`` offers ``on_command(command)`` and ``publish_twist()`` (ros.rover_driver);
    ``screen(show_help, width)`` returns the lines to draw.
    """
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
            else:
                driver.on_command(command)
            last_draw = 0.0
        now = time.monotonic()
        if now - last_publish >= PUBLISH_PERIOD:
            driver.publish_twist()
            last_publish = now
        if now - last_draw >= DRAW_PERIOD:
            terminal.draw(screen(show_help, terminal.width()))
            last_draw = now
