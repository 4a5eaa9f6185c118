# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
What the teleop shows, without ROS or a terminal (unit-tested).

The rover's limits and the teleop's top speeds under them (domain.driving), what the rover does
(odometry, arm) and the last action's news, as the lines of one screen.
"""

from dataclasses import dataclass
import math
import textwrap

from . import keymap
from ..domain.driving import DriveState, RoverLimits

MOVING_SPEED = 0.005   # m/s or rad/s of measured speed that count as moving
LABEL_WIDTH = 13


@dataclass(frozen=True)
class View:
    """Everything one screen shows."""

    limits: RoverLimits
    state: DriveState
    pose: tuple = None       # (x, y, yaw) from odometry, or None
    speed: tuple = None      # measured (linear m/s, angular rad/s), or None
    missing: tuple = ()      # what the teleop still waits for
    arm: str = ''
    action: str = ''
    show_help: bool = True
    page: str = ''           # the live page's address, if one is served


def _rover_line(pose, speed):
    if pose is None:
        return 'no odometry yet'
    where = 'x {:7.2f}  y {:7.2f}  yaw {:4.0f} deg'.format(
        pose[0], pose[1], math.degrees(pose[2]))
    if speed is None or max(abs(speed[0]), abs(speed[1])) < MOVING_SPEED:
        return where + '  at rest'
    # + 0.0 turns a rounded -0.0 into 0.0: no '-0.000' for a straight drive
    return where + '  moving {:+.3f} m/s {:+.3f} rad/s'.format(*(round(v, 3) + 0.0 for v in speed))


def screen_lines(view, width):
    """Return the screen's lines for ``view``, wrapped to ``width`` columns."""
    limits, state = view.limits, view.state
    rows = [
        ('rover limits', '{:.3f} m/s  {:.3f} rad/s  accel {:.3f} m/s2  {:.3f} rad/s2  ({})'
         .format(limits.linear, limits.angular, limits.linear_accel, limits.angular_accel,
                 limits.source)),
        ('teleop top', '{:.3f} m/s  {:.3f} rad/s  in {} key presses'.format(
            state.max_linear, state.max_angular, state.steps)),
        ('status', 'waiting for ' + ', '.join(view.missing) if view.missing else 'ready'),
        ('rover', _rover_line(view.pose, view.speed)),
        ('command', '{:+.3f} m/s {:+.3f} rad/s'.format(state.linear, state.angular)),
        ('arm', view.arm),
        ('action', view.action or 'no action yet'),
    ] + ([('live page', view.page)] if view.page else [])
    lines = list(keymap.HELP_LINES) if view.show_help else ['Perseverance teleop (h: help)']
    lines.append('')
    indent = ' ' * LABEL_WIDTH
    for label, text in rows:
        lines += textwrap.wrap(text or '-', max(width, LABEL_WIDTH + 20),
                               initial_indent=label.ljust(LABEL_WIDTH), subsequent_indent=indent)
    return lines
