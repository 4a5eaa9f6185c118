# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
What the teleop shows, without ROS or a terminal (unit-tested).

The rover's limits as the rover node applies them (its parameters; 0 there means the mission
facts), the teleop's top speeds under them, what the rover does (odometry, arm joints) and the
last action's news, as the lines of one screen.
"""

from dataclasses import dataclass
import math
import textwrap

from . import keymap

# The rover node's safety-filter parameters, in RoverLimits field order.
LIMIT_PARAMETERS = ('max_linear_speed', 'max_angular_speed', 'max_linear_accel',
                    'max_angular_accel')
MOVING_SPEED = 0.005   # m/s or rad/s of measured speed that count as moving
ARM_STEP = 1e-3        # rad between two joint states that count as arm motion
ARM_SETTLE = 0.5       # s without arm motion after which the arm is still
ARM_START = 3.0        # s for the arm to start moving after a pose was sent
LABEL_WIDTH = 13


@dataclass(frozen=True)
class RoverLimits:
    """The rover's safety-filter limits and where the teleop learnt them."""

    linear: float          # m/s
    angular: float         # rad/s
    linear_accel: float    # m/s2
    angular_accel: float   # rad/s2
    source: str            # shown on screen


def limits_from_parameters(values, rover_facts, source):
    """
    Return the RoverLimits of the rover's parameters ``values`` {name: value}.

    0 or a missing value means the mission facts' limit (``rover_facts``), as in the rover node.
    """
    fallback = (rover_facts.max_linear_speed, rover_facts.max_angular_speed,
                rover_facts.max_linear_accel, rover_facts.max_angular_accel)
    return RoverLimits(*(float(values.get(name) or default)
                         for name, default in zip(LIMIT_PARAMETERS, fallback)), source=source)


def top_speeds(cap_linear, cap_angular, limits):
    """Return the teleop's top (linear, angular) speeds: its caps (0 = none) within ``limits``."""
    return (min(cap_linear or math.inf, limits.linear),
            min(cap_angular or math.inf, limits.angular))


class ArmWatch:
    """Whether the arm moved after a pose was sent: the rover's only answer to a pose."""

    def __init__(self):
        """Start with no pose sent and no joint state seen."""
        self.pose, self.sent_at, self.moved_at, self.moved = '', None, None, False
        self._last = None

    def request(self, pose, now):
        """Note that ``pose`` was sent at ``now`` (s)."""
        self.pose, self.sent_at, self.moved = pose, now, False

    def update(self, positions, now):
        """Take the arm joints' ``positions`` (rad, a fixed order) seen at ``now`` (s)."""
        if self._last is not None and len(positions) == len(self._last) and any(
                abs(a - b) > ARM_STEP for a, b in zip(positions, self._last)):
            self.moved_at = now
            self.moved = self.moved or self.sent_at is not None
        self._last = tuple(positions)

    def describe(self, now):
        """Return what the arm did with the last pose, as of ``now`` (s)."""
        if not self.pose:
            return 'no pose sent yet (keys 1-5)'
        if self.moved_at is not None and now - self.moved_at < ARM_SETTLE:
            return self.pose + ' requested: moving'
        if self.moved:
            return self.pose + ' requested: moved, now still'
        if now - self.sent_at < ARM_START:
            return self.pose + ' requested: sent'
        return self.pose + ' requested: the arm did not move (already there, or an action ' \
            'holds it)'


def feedback_text(label, stages, stage, progress):
    """Return an action's progress: its stage (a ``stages`` value) and per cent done."""
    return '{}: {} {:.0f}%'.format(label, stages.get(stage, '?').lower(), 100.0 * progress)


def collect_summary(result):
    """Return a CollectSample result's tubes: id, designation, core length."""
    return 'tubes ' + ', '.join('{} {} {:.0f} mm'.format(t, d, 1000 * c) for t, d, c in zip(
        result.tube_ids, result.designations, result.core_lengths))


def deposit_summary(result):
    """Return where a DepositTube result's tube came to rest and what recovery it needed."""
    p = result.tube_pose.position
    return 'tube at ({:.2f}, {:.2f}, {:.3f}), rolled {:.2f} m{}{}'.format(
        p.x, p.y, p.z, result.roll_distance, ', was on end' if result.was_on_end else '',
        ', was in wheel path' if result.was_in_wheel_path else '')


def result_text(label, result, summary, errors):
    """Return an action's outcome: OK with ``summary(result)``, or FAILED with the error name."""
    if result.success:
        return '{}: OK, {}'.format(label, summary(result))
    return '{}: FAILED ({}): {}'.format(label, errors.get(result.error_code, result.error_code),
                                        result.error_msg)


@dataclass(frozen=True)
class View:
    """Everything one screen shows."""

    limits: RoverLimits
    state: keymap.DriveState
    pose: tuple = None       # (x, y, yaw) from odometry, or None
    speed: tuple = None      # measured (linear m/s, angular rad/s), or None
    missing: tuple = ()      # what the teleop still waits for
    arm: str = ''
    action: str = ''
    show_help: bool = True


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
    ]
    lines = list(keymap.HELP_LINES) if view.show_help else ['Perseverance teleop (h: help)']
    lines.append('')
    indent = ' ' * LABEL_WIDTH
    for label, text in rows:
        lines += textwrap.wrap(text or '-', max(width, LABEL_WIDTH + 20),
                               initial_indent=label.ljust(LABEL_WIDTH), subsequent_indent=indent)
    return lines
