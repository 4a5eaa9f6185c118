# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Rover driving: the /rover/cmd_vel safety filter and the NavigateTo waypoint follower.

The arm lives in ``rover.arm``; sample collection and depot drops in ``rover.sampling``.
"""

from dataclasses import dataclass
import enum
import math

from ..domain.validation import check_number

# Longest gap between two commands over which acceleration is integrated. A longer gap (the first
# command, a paused publisher) must not license an arbitrarily large jump in speed.
MAX_COMMAND_GAP = 0.5  # s


@dataclass(frozen=True)
class DriveLimits:
    """Speed and acceleration limits of the rover base."""

    max_linear_speed: float   # m/s
    max_angular_speed: float  # rad/s
    max_linear_accel: float   # m/s2
    max_angular_accel: float  # rad/s2

    def __post_init__(self):
        """Reject non-positive or non-finite limits, naming the field."""
        for name in ('max_linear_speed', 'max_angular_speed', 'max_linear_accel',
                     'max_angular_accel'):
            check_number(name, getattr(self, name), 1e-6, 100.0)

    @classmethod
    def from_facts(cls, rover_facts):
        """Build the limits from ``MissionFacts.rover``."""
        return cls(rover_facts.max_linear_speed, rover_facts.max_angular_speed,
                   rover_facts.max_linear_accel, rover_facts.max_angular_accel)


@dataclass(frozen=True)
class FilteredCommand:
    """A command after the safety filter, and what the filter changed (empty when nothing)."""

    linear: float
    angular: float
    violations: tuple

    @property
    def modified(self):
        """Return True if the filter changed or rejected the request."""
        return bool(self.violations)


def _clamp(value, limit):
    """Clamp ``value`` to [-limit, limit]."""
    return max(-limit, min(limit, value))


class DriveSafetyFilter:
    """
    Clamp speed and acceleration of velocity commands; stop on non-finite input.

    Stateful: the acceleration limit is applied against the last command passed on, using the sim
    time given with each call. A request with NaN or infinity is rejected and answered with a
    stop (the safest command, even if it exceeds the deceleration limit).
    """

    def __init__(self, limits):
        """Start from rest with the given ``DriveLimits``."""
        self.limits = limits
        self.reset()

    def reset(self):
        """Forget the previous command (rover at rest), e.g. after a sim reset."""
        self._last = (0.0, 0.0)
        self._last_time = None

    def apply(self, linear, angular, now):
        """Return the ``FilteredCommand`` to send for a request at sim time ``now`` (s)."""
        violations = []
        for name, value in (('linear', linear), ('angular', angular)):
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                violations.append(f'{name} velocity {value!r} is not finite: stopping')
        if violations:
            return self._accept(0.0, 0.0, now, violations)

        limits = self.limits
        requested = {'linear': (linear, limits.max_linear_speed, 'm/s'),
                     'angular': (angular, limits.max_angular_speed, 'rad/s')}
        clamped = {}
        for name, (value, limit, unit) in requested.items():
            clamped[name] = _clamp(value, limit)
            if clamped[name] != value:
                violations.append(f'{name} velocity {value:.4g} {unit} exceeds the limit '
                                  f'{limit:.4g} {unit}: clamped')

        gap = self._gap(now, violations)
        previous = dict(zip(('linear', 'angular'), self._last))
        accels = {'linear': (limits.max_linear_accel, 'm/s2'),
                  'angular': (limits.max_angular_accel, 'rad/s2')}
        for name, (accel, unit) in accels.items():
            step = accel * gap
            limited = previous[name] + _clamp(clamped[name] - previous[name], step)
            if not math.isclose(limited, clamped[name], abs_tol=1e-12):
                violations.append(f'{name} acceleration above {accel:.4g} {unit}: '
                                  f'{clamped[name]:.4g} limited to {limited:.4g}')
                clamped[name] = limited
        return self._accept(clamped['linear'], clamped['angular'], now, violations)

    def _gap(self, now, violations):
        """Return the time (s) over which acceleration may act since the last command."""
        if self._last_time is None:
            return MAX_COMMAND_GAP
        gap = now - self._last_time
        if gap < 0.0:
            violations.append(f'time went backwards ({self._last_time:.3f} s -> {now:.3f} s): '
                              'holding the last command')
            return 0.0
        return min(gap, MAX_COMMAND_GAP)

    def _accept(self, linear, angular, now, violations):
        """Remember and return the command passed on."""
        self._last = (linear, angular)
        if self._last_time is None or now >= self._last_time:
            self._last_time = now
        return FilteredCommand(linear, angular, tuple(violations))


# Corner wheel centres (m, model frame: x forward, y left) and their steering limit (rad), as in
# models/perseverance/model.sdf. The middle wheels do not steer.
CORNER_WHEELS = {'front_left': (1.2, 1.15), 'front_right': (1.2, -1.15),
                 'rear_left': (-1.2, 1.15), 'rear_right': (-1.2, -1.15)}
STEER_LIMIT = 1.2
AT_REST = 1e-6  # m/s or rad/s: below this on both axes the rover is not asked to move


def corner_steering(linear, angular, previous=None):
    """
    Return the steering angle (rad) of each corner wheel for a body twist (m/s, rad/s).

    Each corner wheel points along the velocity of its centre, so that it rolls instead of
    being dragged sideways: for a turn in place that is tangent to the circle about the rover's
    centre (+-0.806 rad). A wheel never points more than 90 deg off straight ahead (it rolls
    backwards instead) and stays within ``STEER_LIMIT``. At rest the angles of ``previous`` (a
    dict from an earlier call; straight ahead when None) are kept, so stopping does not swing
    the wheels.
    """
    if abs(linear) < AT_REST and abs(angular) < AT_REST:
        return dict(previous) if previous else dict.fromkeys(CORNER_WHEELS, 0.0)
    angles = {}
    for corner, (x, y) in CORNER_WHEELS.items():
        angle = math.atan2(angular * x, linear - angular * y)
        if angle > math.pi / 2:
            angle -= math.pi
        elif angle <= -math.pi / 2:
            angle += math.pi
        angles[corner] = _clamp(angle, STEER_LIMIT)
    return angles


class NavStage(enum.IntEnum):
    """NavigateTo feedback stages (NavigateTo.action STAGE_*)."""

    TURNING = 0
    DRIVING = 1
    ARRIVED = 2


@dataclass(frozen=True)
class NavCommand:
    """What the follower asks of the base, and why."""

    linear: float             # m/s
    angular: float            # rad/s
    stage: NavStage
    distance_remaining: float  # m, straight line to the goal


class WaypointFollower:
    """
    Turn in place towards a goal, then drive to it, steering and slowing on the way.

    A slow rover turns in place (on its steered corner wheels) when the heading error is large;
    the follower keeps turning until the error falls to half the threshold (hysteresis, so it
    does not chatter between turning and driving).
    """

    def __init__(self, limits, tolerance=0.5, heading_tolerance=0.35, heading_gain=1.5,
                 slow_radius=2.0):
        """Set arrival radius (m), heading threshold (rad), gain (1/s), slow-down radius (m)."""
        self.limits = limits
        self.tolerance = check_number('tolerance', tolerance, 1e-3, 100.0, 'm')
        self.heading_tolerance = check_number('heading_tolerance', heading_tolerance, 1e-3,
                                              math.pi, 'rad')
        self.heading_gain = check_number('heading_gain', heading_gain, 1e-3, 100.0, '1/s')
        self.slow_radius = check_number('slow_radius', slow_radius, 0.0, 1000.0, 'm')
        self._turning = True

    def command(self, pose, goal_x, goal_y, max_speed=0.0):
        """
        Return the ``NavCommand`` for the rover at ``pose`` (Pose2D) heading to the goal.

        ``max_speed`` (m/s) caps the speed below the drive limit; 0 means the limit itself.
        """
        check_number('max_speed', max_speed, 0.0, 100.0, 'm/s')
        speed_cap = self.limits.max_linear_speed
        if max_speed > 0.0:
            speed_cap = min(speed_cap, max_speed)
        remaining = pose.distance_to(goal_x, goal_y)
        if remaining <= self.tolerance:
            self._turning = True
            return NavCommand(0.0, 0.0, NavStage.ARRIVED, remaining)

        error = pose.bearing_to(goal_x, goal_y)
        threshold = self.heading_tolerance / 2.0 if self._turning else self.heading_tolerance
        self._turning = abs(error) > threshold
        angular = _clamp(self.heading_gain * error, self.limits.max_angular_speed)
        if self._turning:
            return NavCommand(0.0, angular, NavStage.TURNING, remaining)
        slow = min(1.0, remaining / self.slow_radius) if self.slow_radius > 0.0 else 1.0
        # Drive slower when the heading is off, so the arc stays close to the straight line.
        linear = speed_cap * max(slow, 0.2) * math.cos(error)
        return NavCommand(linear, angular, NavStage.DRIVING, remaining)


def navigation_progress(start, pose, goal_x, goal_y):
    """Return the fraction (0..1) of the straight-line distance from ``start`` covered so far."""
    total = math.hypot(goal_x - start[0], goal_y - start[1])
    if total <= 0.0:
        return 1.0
    return min(max(1.0 - pose.distance_to(goal_x, goal_y) / total, 0.0), 1.0)
