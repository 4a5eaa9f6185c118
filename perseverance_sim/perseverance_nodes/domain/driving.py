# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Driving the rover by hand, as every UI does it (the keyboard teleop, the web viewer); no ROS.

A UI turns its input into ``Command``s; ``DriveState.apply`` turns drive commands into the speeds
to publish, in steps, clamped to the top speeds: the UI's caps within the rover's limits
(``RoverLimits``, read from the rover node's parameters; ``top_speeds``). ``nearest``,
``nearest_slot``, ``belly_point`` and ``next_sealed_tube`` pick what a collect or a deposit goal
names; ``ArmWatch`` tells what the arm did with a named pose; ``feedback_text`` and
``result_text`` put an action's news into words. ``DriveGate`` refuses to drive while another
party (a campaign) has the rover. ros.rover_driver wires all of it to ROS.
"""

from dataclasses import dataclass, replace
import math

from .tubes import ROVER_CACHING_ASSEMBLY, SealState, tube_index, TubeKind

# Command kinds.
LINEAR = 'linear'      # value +1 / -1: one speed step forward / back
ANGULAR = 'angular'    # value +1 / -1: one turn-rate step left / right
STOP = 'stop'
ARM = 'arm'            # value: a name of ARM_POSES
COLLECT = 'collect'    # CollectSample at the nearest rock
SEAL = 'seal'          # CacheSample of the next cored tube: inspect, seal and store it
DEPOSIT = 'deposit'    # DepositTube of the next sealed tube at the nearest depot slot
CANCEL = 'cancel'      # cancel the running action
KINDS = (LINEAR, ANGULAR, STOP, ARM, COLLECT, SEAL, DEPOSIT, CANCEL)
# What a disabled gate refuses: everything that moves the rover or its tubes. Cancel only ends a
# goal of ours.
GATED = frozenset((LINEAR, ANGULAR, STOP, ARM, COLLECT, SEAL, DEPOSIT))

# The rover's named arm poses (rover.arm), in the order a UI offers them.
ARM_POSES = ('stow', 'ready', 'core_at_rock', 'bit_carousel', 'drop')


@dataclass(frozen=True)
class Command:
    """What a UI asks for: a kind (LINEAR, ARM, ...) and its value."""

    kind: str
    value: object = None


# The keys both UIs share, lower case: the terminal teleop adds arrows, help and quit; the page
# presses the button of the same command.
KEYS = {
    'w': Command(LINEAR, 1), 'x': Command(LINEAR, -1),
    'a': Command(ANGULAR, 1), 'd': Command(ANGULAR, -1), 's': Command(STOP),
    'c': Command(COLLECT), 'e': Command(SEAL), 'p': Command(DEPOSIT), 'k': Command(CANCEL),
    **{str(number): Command(ARM, pose) for number, pose in enumerate(ARM_POSES, 1)},
}


def key_of(command):
    """Return the shared key of ``command`` (e.g. 'w'), or None."""
    return next((key for key, bound in KEYS.items() if bound == command), None)


# The rover's safety-filter parameters, in RoverLimits field order.
LIMIT_PARAMETERS = ('max_linear_speed', 'max_angular_speed', 'max_linear_accel',
                    'max_angular_accel')
# s (wall) between twists while moving: the rover's watchdog stops it when they stop coming.
PUBLISH_PERIOD = 0.1
ARM_STEP = 1e-3        # rad between two joint states that count as arm motion
ARM_SETTLE = 0.5       # s without arm motion after which the arm is still
ARM_START = 3.0        # s for the arm to start moving after a pose was sent


def check_command(command):
    """Return ``command`` if a driver can act on it; raise ValueError naming what is wrong."""
    if command.kind not in KINDS:
        raise ValueError('command kind {!r} is not one of {}'.format(
            command.kind, ', '.join(KINDS)))
    if command.kind in (LINEAR, ANGULAR) and command.value not in (1, -1):
        raise ValueError('{} command value {!r} must be +1 or -1'.format(
            command.kind, command.value))
    if command.kind == ARM and command.value not in ARM_POSES:
        raise ValueError('arm pose {!r} is not one of {}'.format(
            command.value, ', '.join(ARM_POSES)))
    return command


def _clamp(value, limit):
    return max(-limit, min(limit, value))


@dataclass(frozen=True)
class DriveState:
    """The speeds to publish, the step per command and the top speeds."""

    max_linear: float         # m/s
    max_angular: float        # rad/s
    linear: float = 0.0       # m/s
    angular: float = 0.0      # rad/s
    steps: int = 5            # commands from stop to full speed

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
        if command.kind == STOP:
            return replace(self, linear=0.0, angular=0.0)
        return self

    def with_limits(self, max_linear, max_angular):
        """Return the state with new top speeds, its speeds clamped to them."""
        return replace(self, max_linear=max_linear, max_angular=max_angular,
                       linear=_clamp(self.linear, max_linear),
                       angular=_clamp(self.angular, max_angular))


class DriveGate:
    """Whether a UI may drive the rover now (enabled), or why not."""

    def __init__(self):
        """Start enabled."""
        self.reason = ''

    @property
    def enabled(self):
        """Return True unless driving is disabled."""
        return not self.reason

    def set_enabled(self, enabled, reason=''):
        """
        Enable, or disable for ``reason`` (required); return True if this call disabled it.

        True means the caller must stop the rover, once: it was driven until now.
        """
        if enabled:
            self.reason = ''
            return False
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError('disabling driving needs a reason to show, got {!r}'.format(reason))
        was_enabled, self.reason = self.enabled, reason.strip()
        return was_enabled

    def refusal(self, command):
        """Return why ``command`` is refused now, or None if it may go ahead."""
        if self.enabled or command.kind not in GATED:
            return None
        return 'driving is disabled: ' + self.reason


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


def next_cored_tube(tubes):
    """
    Return the lowest cored sample tube in the rover's rack that is not sealed yet, or None.

    What the caching assembly takes next (CacheSample): coring leaves the tube unsealed, and
    only a sealed tube can be dropped at the depot.
    """
    candidates = [t.tube_id for t in tubes
                  if t.holder == ROVER_CACHING_ASSEMBLY and t.seal != int(SealState.SEALED)
                  and t.kind == int(TubeKind.SAMPLE) and t.core_length > 0.0]
    return min(candidates, key=tube_index) if candidates else None


@dataclass(frozen=True)
class RoverLimits:
    """The rover's safety-filter limits and where the driver learnt them."""

    linear: float          # m/s
    angular: float         # rad/s
    linear_accel: float    # m/s2
    angular_accel: float   # rad/s2
    source: str            # shown to the user


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
    """Return the top (linear, angular) speeds: the UI's caps (0 = none) within ``limits``."""
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
            return 'no pose sent yet'
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


def seal_summary(result):
    """Return a CacheSample result: sealed (with its dispenser) or stored unsealed."""
    if result.sealed:
        return 'sealed (dispenser {}), {:.1f} ml'.format(result.dispenser, result.volume * 1e6)
    return 'stored UNSEALED (the seal did not activate; seal again to retry)'


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
