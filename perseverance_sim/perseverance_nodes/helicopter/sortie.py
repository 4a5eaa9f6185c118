# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
One RetrieveTube sortie as a step executor: the flight plan flown against a ``SortieWorld``.

``plan_sortie`` checks a goal and plans it (logic.plan_retrieval); ``Sortie`` then flies the
plan's legs with logic.LegTracker: velocity setpoints at the control period (sim time) against
odometry, turned into the body frame the world's MulticopterVelocityControl takes. The contract
has no wheel drive for the helicopter, so the "drive the last metres" legs (DRIVE, CLEAR) are a
hover-taxi a few decimetres up with a precise position loop, then a slow touchdown: the gripper's
grasp point (GRASP_REACH ahead of the body, arm down) ends within centimetres of the tube and the
world's attach tolerance decides. Grasp and release are the contract's attach and detach, each
recorded with the ledger right after the world confirms it.

Faults: a HELICOPTER_FAILURE whose ``target`` is this helicopter, ARMED or ACTIVE, strikes:
  - trigger ``now``: at once (or at the start of the next sortie);
  - ACTIVE with trigger ``flight:<n>``: mission_control fired it for the flight it is dispatching
    (the campaign counts flights across helicopters, so it names the target when it fires): it
    strikes this or the next sortie at choose_failure_point(plan, seed, n);
  - ARMED with trigger ``flight:<n>``: this helicopter's own n-th sortie (use without
    mission_control).
The helicopter then lands straight down where it is (logic.abort_outcome); if it held the tube it
opens the gripper (custody helicopter_N/gripper -> ground) and hops EMERGENCY_SIDESTEP aside so
that another helicopter can reach the tube; it cuts its rotors, reports the fault ACTIVE with what
happened, ends with HELICOPTER_FAILED and refuses later goals until the fault is CLEARED.

Nothing here imports ROS: the node implements ``SortieWorld`` over its topics and services, and
the unit tests over a point-mass world.
"""

from dataclasses import dataclass, replace
import math
import re
import threading
from typing import NamedTuple, Optional

from .logic import (choose_failure_point, emergency_sidestep, FlightLeg, GRASP_REACH, LegTracker,
                    plan_retrieval, ready_time)
from ..domain.ports import TubeHandsPort, Unanswered
from ..domain.tubes import check_tube_id, GROUND, helicopter_gripper
from ..domain.validation import Refusal

DEPOT_SLOT = re.compile(r'^depot/slot_\d{2}$')
ARM_DOWN, ARM_STOWED = 0.0, 1.4   # rad, arm/cmd_pos (world contract)
POSITION_GAIN = 0.8               # 1/s, position error -> velocity command in the hover loops
HOLD_SPEED = 0.5                  # m/s, cap of the corrections holding a leg's other axes
TOUCHDOWN_SPEED = 0.3             # m/s, last descent of a touchdown
# Legs whose start runs a blocking manoeuvre or hand-off.
_SYNCHRONOUS = (FlightLeg.DRIVE, FlightLeg.GRASP, FlightLeg.RELEASE, FlightLeg.CLEAR)


# ---------------------------------------------------------------------------------------------
# What the sortie works with


class Motion(NamedTuple):
    """The helicopter's measured state: sim time (s), position (m), world velocity (m/s), yaw."""

    now: float
    position: tuple
    velocity: tuple
    yaw: float


@dataclass(frozen=True)
class FailureFault:
    """A HELICOPTER_FAILURE aimed at this helicopter, as plain values."""

    fault_id: str
    trigger: str
    active: bool   # ACTIVE (fired by mission_control), not only ARMED


class SortieWorld(TubeHandsPort):
    """
    What a sortie needs from the vehicle, the world and the goal; the node implements it.

    Beyond TubeHandsPort's time, waits, cancel, log (here also at error level), attach and
    record. Times are sim seconds, points (x, y, z) m in frame "world". Every method raises
    NotImplementedError: subclass it.
    """

    def motion(self):
        """Return the latest ``Motion`` from odometry."""
        raise NotImplementedError

    def send_velocity(self, vx, vy, vz):
        """Command a body-frame velocity (m/s): the contract's cmd_vel."""
        raise NotImplementedError

    def enable_rotors(self, on):
        """Switch the rotors on or off."""
        raise NotImplementedError

    def move_arm(self, angle):
        """Command the gripper arm to ``angle`` (rad: ARM_DOWN or ARM_STOWED)."""
        raise NotImplementedError

    def tube_position(self, tube_id):
        """Return a tube's (x, y, z) as the world last published it, or None."""
        raise NotImplementedError

    def detach(self, tube_id):
        """Ask the world to let a tube go; return a HandOff (or Unanswered)."""
        raise NotImplementedError

    def feedback(self, stage, progress, position, altitude, battery):
        """Publish RetrieveTube feedback: stage, progress 0..1, position, altitude, charge."""
        raise NotImplementedError

    def report_failure(self, fault, description):
        """Publish ``fault`` (a FailureFault) ACTIVE with what happened."""
        raise NotImplementedError

    def log(self, message, warning=False, error=False):
        """Log ``message`` as information, a warning or an error."""
        raise NotImplementedError


@dataclass(frozen=True)
class SortieConfig:
    """The helicopter's parameters a sortie uses."""

    name: str                   # helicopter_<i>, the world model
    number: int                 # <i>
    seed: int                   # of the failure point draws
    facts: object               # MissionFacts, nominal (range and battery checks)
    duration_scale: float       # on the grasp and release holds and on charging waits
    period: float               # s of sim time per control tick
    grasp_tolerance: float      # m, AttachTube tolerance
    taxi_height: float          # m, height of the hover-taxi
    position_tolerance: float   # m, hover-taxi error before the touchdown over the tube
    arm_settle: float           # s the arm takes to go down or up
    leg_margin: float           # s a leg may overrun twice its planned time

    @property
    def flight_facts(self):
        """Return the facts flown: holds are timeline steps, scaled; flight legs are physics."""
        heli = self.facts.helicopter
        return replace(self.facts, helicopter=replace(
            heli, grasp_duration=heli.grasp_duration * self.duration_scale,
            release_duration=heli.release_duration * self.duration_scale))

    @property
    def gripper(self):
        """Return the gripper's holder name in the ledger."""
        return helicopter_gripper(self.number)

    @property
    def carrier(self):
        """Return the gripper's carrier name in the world."""
        return f'{self.name}::gripper'


@dataclass(frozen=True)
class SortieOutcome:
    """How a sortie ended: ``code`` None or a RetrieveTube error key, and the result values."""

    code: Optional[str]
    message: str
    distance_flown: float       # m
    battery_remaining: float    # fraction


class Vehicle:
    """What outlives a sortie: battery, the gripper's tube, faults; shared with callbacks."""

    def __init__(self, battery, solar_power):
        """Start on the ground with ``battery`` (logic.Battery), charged at ``solar_power`` W."""
        self.lock = threading.Lock()    # guards everything here
        self.battery = battery
        self.solar_power = solar_power
        self.flying = False             # rotors in use: no solar charging
        self.flights = 0
        self.holding = None             # tube id in the gripper
        self.out_of_service = None      # FailureFault that took the helicopter out of service
        self._faults = {}               # fault_id -> FailureFault aimed here, pending
        self._consumed = set()          # fault ids that already struck
        self._last_charge = None

    def solar_tick(self, now):
        """Charge from the sun since the last tick unless flying; return (fraction, flying)."""
        with self.lock:
            if self._last_charge is not None and not self.flying:
                self.battery.recharge(self.solar_power, now - self._last_charge)
            self._last_charge = now
            return self.battery.fraction, self.flying

    def note_fault(self, fault, pending, cleared):
        """
        Track a fault: ``pending`` (ARMED or ACTIVE) or not; ``cleared`` by an operator.

        Return True when that puts the helicopter back in service.
        """
        with self.lock:
            if pending:
                if fault.fault_id not in self._consumed:
                    self._faults[fault.fault_id] = fault
                return False
            self._faults.pop(fault.fault_id, None)
            failed = self.out_of_service
            if cleared and failed and failed.fault_id == fault.fault_id:
                self.out_of_service = None
                return True
            return False

    def next_fault(self, flight):
        """Return (FailureFault, flight number of its draw) striking sortie ``flight``, or None."""
        with self.lock:
            for fault in self._faults.values():
                trigger = fault.trigger.strip()
                if trigger in ('now', ''):
                    return fault, flight
                if trigger.startswith('flight:') and trigger[7:].isdigit():
                    number = int(trigger[7:])
                    if fault.active or number == flight:
                        return fault, number
        return None

    def consume(self, fault_id):
        """Note that a fault struck: it strikes once."""
        with self.lock:
            self._consumed.add(fault_id)
            self._faults.pop(fault_id, None)


# ---------------------------------------------------------------------------------------------
# Goals


def check_goal(config, vehicle, tube_id, drop):
    """Refuse a goal the helicopter cannot take whatever the world says (Refusal)."""
    if vehicle.out_of_service is not None:
        fault = vehicle.out_of_service
        raise Refusal('HELICOPTER_FAILED', f'{config.name} is out of service since '
                      f'{fault.fault_id}; clear that fault to fly again')
    check_tube_id(tube_id)
    if not all(math.isfinite(c) for c in drop):
        raise Refusal('INVALID_GOAL', f'drop_point = {drop!r} is invalid; allowed: finite '
                      'x, y, z in frame "world" (m)')
    if vehicle.holding:
        raise Refusal('INVALID_GOAL', f'the gripper still holds {vehicle.holding}; one tube '
                      'per flight')


def plan_sortie(config, vehicle, tube_id, start, ground, drop, holder):
    """
    Return (nominal plan, flown plan, holder) of a sortie, or raise Refusal.

    ``ground`` is the ground point under the tube, ``holder`` the tube's holder in the ledger.
    Range and battery are checked on the nominal plan; the flown one has scaled holds.
    """
    if holder != GROUND and not DEPOT_SLOT.match(holder):
        raise Refusal('INVALID_GOAL', f'{tube_id} is held by {holder}; a helicopter fetches '
                      'tubes lying on the ground (ground or depot/slot_NN)')
    nominal = plan_retrieval(tube_id, config.number, start, ground, drop, config.facts)
    flown = plan_retrieval(tube_id, config.number, start, ground, drop, config.flight_facts)
    with vehicle.lock:  # refuses when even a full battery could not hold it and its reserve
        ready_time(nominal, vehicle.battery, config.facts, 0.0)
    return nominal, flown, holder


# ---------------------------------------------------------------------------------------------
# The sortie


class SortieEnded(Exception):
    """A sortie stops early: ``code`` is a RetrieveTube error key, ``message`` says why."""

    def __init__(self, code, message):
        """Store the error key and reason."""
        super().__init__(f'{code}: {message}')
        self.code, self.message = code, message


class Strike(Exception):
    """The injected failure strikes now."""


def _clamp(value, limit):
    return max(-limit, min(limit, value))


class Sortie:
    """One RetrieveTube sortie: the control loop, the hand-offs and the failure handling."""

    def __init__(self, world, config, vehicle, tube_id, nominal, plan, holder):
        """Prepare to fly ``plan`` (``nominal`` gives its time limits) for ``tube_id``."""
        self.world, self.config, self.vehicle = world, config, vehicle
        self.tube_id, self.nominal, self.plan, self.holder = tube_id, nominal, plan, holder
        self.flight = None
        self.distance_flown = 0.0
        self.failure = None             # (FailurePoint or None for 'now', FailureFault)
        self.last_position = None
        self.last_feedback = -math.inf
        self.grounds = [step.details['target'][2] for step in plan.timeline
                        if step.details['leg'] in (FlightLeg.LAND, FlightLeg.LAND_AT_LANDER)]
        self.tracker = None

    def run(self):
        """Fly the sortie; return its SortieOutcome."""
        vehicle = self.vehicle
        with vehicle.lock:
            vehicle.flights += 1
            vehicle.flying = True
            self.flight = vehicle.flights
        try:
            code, message = self._attempt()
        finally:
            with vehicle.lock:
                vehicle.flying = False
        return SortieOutcome(code, message, self.distance_flown, vehicle.battery.fraction)

    def _attempt(self):
        """Fly; return (None, '') or (error key, message) after landing safely."""
        try:
            self._charge()
            self._check_failure()
            return self._fly()
        except Refusal as refusal:
            return refusal.code, refusal.message
        except SortieEnded as ended:
            if ended.code == 'CANCELED':
                return self._land_after_cancel(ended.message)
            self._safe_stop()
            return ended.code, ended.message
        except Strike:
            return self._fail()

    # -- plumbing ---------------------------------------------------------------------------

    def _tick(self, cancellable=True):
        """
        Wait one control period of sim time.

        Raises SortieEnded on cancel or shutdown and, when ``cancellable``, Strike when an
        injected failure's moment has come (never inside a hand-off or the emergency landing).
        """
        if not self.world.wait(self.config.period, cancellable):
            if self.world.cancel_requested():
                raise SortieEnded('CANCELED', 'cancelled')
            raise SortieEnded('CANCELED', 'shutting down')
        if cancellable:
            self._check_failure()

    def _wait(self, seconds):
        """Wait ``seconds`` of sim time (not cancellable: used inside hand-offs)."""
        if not self.world.wait(seconds, False):
            raise SortieEnded('CANCELED', 'shutting down')

    def _command(self, world_velocity, yaw):
        """Command a world-frame velocity as the body-frame one the contract takes."""
        vx, vy, vz = world_velocity
        c, s = math.cos(yaw), math.sin(yaw)
        self.world.send_velocity(c * vx + s * vy, -s * vx + c * vy, vz)

    def _rotors(self, on):
        self.world.enable_rotors(on)
        if not on:
            self.world.send_velocity(0.0, 0.0, 0.0)

    def _track(self, position):
        if self.last_position is not None and self.vehicle.flying:
            self.distance_flown += math.dist(position, self.last_position)
        self.last_position = position

    def _feedback(self, stage, progress, position, now, force=False):
        if not force and now - self.last_feedback < 0.5:
            return
        self.last_feedback = now
        ground = min(self.grounds, key=lambda z: abs(position[2] - z)) if self.grounds else 0.0
        self.world.feedback(int(stage), float(progress), position, float(position[2] - ground),
                            float(self.vehicle.battery.fraction))

    # -- flying the plan --------------------------------------------------------------------

    def _charge(self):
        """Wait on the pad until the battery holds the sortie and its reserve (scaled wait)."""
        vehicle, config = self.vehicle, self.config
        now = self.world.now()
        with vehicle.lock:
            ready = ready_time(self.nominal, vehicle.battery, config.facts, now)  # may refuse
        if ready <= now:
            return
        wait = (ready - now) * config.duration_scale
        self.world.log('{}: charging for {:.0f} s of sun ({:.0f} s at duration_scale '
                       '{})'.format(config.name, ready - now, wait, config.duration_scale))
        with vehicle.lock:
            vehicle.flying = False
        self._feedback(0, 0.0, self.world.motion().position, now, force=True)
        if not self.world.wait(wait, True):
            raise SortieEnded('CANCELED', 'cancelled while charging')
        with vehicle.lock:
            vehicle.battery.recharge(config.facts.helicopter.solar_power, ready - now)
            vehicle.flying = True

    def _fly(self):
        now, position, velocity, yaw = self.world.motion()
        self.tracker = LegTracker(self.plan, self.vehicle.battery, self.config.facts, now)
        self.last_position = position
        while True:
            now, position, velocity, yaw = self.world.motion()
            with self.vehicle.lock:
                update = self.tracker.update(now, position, velocity)
            self._track(position)
            if update.entered:
                for step in update.entered:
                    self._feedback(step.stage, update.progress, position, now, force=True)
                    self._enter(step)
                if any(s.details['leg'] in _SYNCHRONOUS for s in update.entered):
                    continue  # the hand-off took time: measure again before commanding
            if update.done:
                self._feedback(update.stage, 1.0, position, now, force=True)
                self._rotors(False)
                return None, ''
            step = self.tracker.step
            elapsed = now - self.tracker.step_start
            if elapsed > 2.0 * self.nominal.timeline.steps[self.tracker.index].duration \
                    + self.config.leg_margin:
                raise SortieEnded('TIMEOUT', '{}: leg {} not finished after {:.0f} s of sim '
                                  'time ({:.1f} m from its target)'.format(
                                      self.config.name, step.name, elapsed,
                                      update.setpoint.distance))
            if step.details['airborne']:
                self._command(self._hold(update.setpoint, step, position), yaw)
            self._feedback(update.stage, update.progress, position, now)
            self._tick()

    @staticmethod
    def _hold(setpoint, step, position):
        """Return the setpoint with gentle corrections on the axes the leg does not fly."""
        target = step.details['target']
        vx, vy, vz = setpoint.vx, setpoint.vy, setpoint.vz
        if step.details['horizontal_speed'] == 0.0:  # climb or descent: stay over the spot
            vx = _clamp(POSITION_GAIN * (target[0] - position[0]), HOLD_SPEED)
            vy = _clamp(POSITION_GAIN * (target[1] - position[1]), HOLD_SPEED)
        if step.details['vertical_speed'] == 0.0:    # cruise: hold the altitude
            vz = _clamp(POSITION_GAIN * (target[2] - position[2]), HOLD_SPEED)
        return vx, vy, vz

    def _enter(self, step):
        """Do what starting a leg needs beyond velocity setpoints."""
        leg = step.details['leg']
        if leg in (FlightLeg.TAKEOFF, FlightLeg.TAKEOFF_RETURN):
            self.world.move_arm(ARM_STOWED)
            self._rotors(True)
        elif leg == FlightLeg.DRIVE:
            self._hover_taxi(self._grasp_spot(), self.config.position_tolerance)
        elif leg == FlightLeg.GRASP:
            self._grasp_with_reapproach()
        elif leg == FlightLeg.RELEASE:
            self._release()
        elif leg == FlightLeg.CLEAR:
            self._hover_taxi(step.details['target'][:2], 0.1)

    # -- failure, cancel, errors ------------------------------------------------------------

    def _check_failure(self):
        """Raise Strike when an injected HELICOPTER_FAILURE's moment has come."""
        if self.failure is None:
            found = self.vehicle.next_fault(self.flight)
            if found is None:
                return
            fault, number = found
            point = None if fault.trigger.strip() in ('now', '') else \
                choose_failure_point(self.plan, self.config.seed, number)
            self.failure = (point, fault)
            self.vehicle.consume(fault.fault_id)
        point = self.failure[0]
        if point is None:
            raise Strike()
        if self.tracker is None:
            return
        index = self.tracker.index
        step = self.plan.timeline.steps[index]
        now = self.world.now()
        fraction = (now - self.tracker.step_start) / step.duration if step.duration else 1.0
        if index > point.step_index or (
                index == point.step_index and fraction >= point.fraction):
            raise Strike()

    def _fail(self):
        """Emergency landing where it is, drop the tube if held, report; return the result."""
        config, vehicle = self.config, self.vehicle
        fault = self.failure[1]
        position = self.world.motion().position
        leg = self.tracker.step.name if self.tracker else 'takeoff'
        where = '({:.1f}, {:.1f}, {:.1f})'.format(*position)
        self.world.report_failure(fault, f'{config.name} failed in flight during {leg} at '
                                  f'{where}; emergency landing straight down (a held tube is '
                                  'set down and the helicopter hops aside)')
        self.world.log(f'{fault.fault_id}: {config.name} failed during {leg} at {where}',
                       error=True)
        with vehicle.lock:
            vehicle.out_of_service = fault
        try:
            self._touchdown(config.facts.helicopter.landing_speed, cancellable=False)
        except SortieEnded:
            pass  # landing took too long: cut the rotors anyway
        fate = f'{self.tube_id} left where it was (held by {self.holder})'
        if vehicle.holding:
            try:
                fate = self._drop('emergency_release')
                down = self.world.motion().position
                self._hover_taxi(emergency_sidestep(self.plan, down), 0.1, cancellable=False)
            except SortieEnded as ended:
                fate = f'{self.tube_id}: {ended.message}'
        self._rotors(False)
        landed = self.world.motion().position
        description = (f'{config.name} failed in flight during {leg} at {where}; emergency '
                       'landing at ({:.1f}, {:.1f}); {}'.format(landed[0], landed[1], fate))
        return 'HELICOPTER_FAILED', description

    def _safe_stop(self):
        """After a timeout or world error: land where it is and cut the rotors."""
        try:
            self._touchdown(self.config.facts.helicopter.landing_speed, cancellable=False)
        except SortieEnded:
            pass
        self._rotors(False)

    def _land_after_cancel(self, message):
        """Land where it is after a cancel; a tube in the gripper stays there."""
        self._safe_stop()
        held = self.vehicle.holding
        what = f'{held} still in the gripper' if held else f'{self.tube_id} left where it was'
        return 'CANCELED', f'{message}; {self.config.name} landed where it was, {what}'

    # -- close-range manoeuvres -------------------------------------------------------------

    def _touchdown(self, speed, cancellable=True):
        """Descend straight down at ``speed`` until the ground stops the helicopter."""
        config = self.config
        began, start, _, _ = self.world.motion()
        hold = start[:2]
        # Heights here are above the lowest planned landing spot: a generous bound.
        limit = max(start[2] - min(self.grounds, default=0.0), 0.0) / speed + config.leg_margin
        still = 0
        while True:
            now, position, velocity, yaw = self.world.motion()
            self._track(position)
            still = 0 if velocity[2] < -0.05 else still + 1
            if still * config.period >= 0.5 and now - began >= 1.0:
                return
            if now - began > limit:
                raise SortieEnded('TIMEOUT', f'{config.name}: no touchdown within {limit:.0f} s')
            with self.vehicle.lock:
                self.vehicle.battery.drain(config.facts.helicopter.hover_power, config.period)
            self._command((_clamp(POSITION_GAIN * (hold[0] - position[0]), HOLD_SPEED),
                           _clamp(POSITION_GAIN * (hold[1] - position[1]), HOLD_SPEED),
                           -speed), yaw)
            self._tick(cancellable)

    def _hover_taxi(self, target, tolerance, cancellable=True):
        """
        Move a few metres close to the ground, then touch down at ``target`` (x, y).

        Stands in for driving on the wheels, which the contract does not actuate: rise to
        taxi_height, fly to the spot slowly with a position loop, settle, descend.
        ``cancellable`` as for ``_tick`` (False during the emergency procedure).
        """
        config = self.config
        speed = config.facts.helicopter.drive_speed
        start = self.world.motion().position
        height = start[2] + config.taxi_height
        self._rotors(True)
        settled = 0
        limit = self.world.now() + math.dist(start[:2], target) / speed + config.leg_margin
        while True:
            now, position, velocity, yaw = self.world.motion()
            self._track(position)
            ex, ey = target[0] - position[0], target[1] - position[1]
            error = math.hypot(ex, ey)
            up = abs(height - position[2]) < 0.1
            gain = POSITION_GAIN if error > 0.2 else 2.0 * POSITION_GAIN  # firm near the spot
            scale = min(1.0, speed / max(gain * error, 1e-9))
            vx, vy = (gain * ex * scale, gain * ey * scale) if up else (0.0, 0.0)
            self._command((vx, vy, _clamp(POSITION_GAIN * 2.0 * (height - position[2]), 0.5)),
                          yaw)
            settled = settled + 1 if up and error < tolerance and \
                math.hypot(velocity[0], velocity[1]) < 0.03 else 0
            if settled * config.period >= 0.5:
                break
            if now > limit:
                raise SortieEnded('TIMEOUT', '{}: hover-taxi to ({:.2f}, {:.2f}) still {:.2f} m '
                                  'off'.format(config.name, target[0], target[1], error))
            self._tick(cancellable)
        self._descend_onto(target, cancellable)
        self._rotors(False)

    def _descend_onto(self, target, cancellable=True):
        """Slow touchdown holding ``target`` (x, y) firmly."""
        config = self.config
        still, start = 0, self.world.now()
        while True:
            now, position, velocity, yaw = self.world.motion()
            self._track(position)
            vx = _clamp(2.0 * POSITION_GAIN * (target[0] - position[0]), 0.2)
            vy = _clamp(2.0 * POSITION_GAIN * (target[1] - position[1]), 0.2)
            self._command((vx, vy, -TOUCHDOWN_SPEED), yaw)
            still = 0 if velocity[2] < -0.05 else still + 1
            if still * config.period >= 0.5 and now - start > 0.5:
                return
            if now - start > config.taxi_height / TOUCHDOWN_SPEED + config.leg_margin:
                raise SortieEnded('TIMEOUT', f'{config.name}: no touchdown at the tube')
            self._tick(cancellable)

    def _grasp_spot(self):
        """Return where the body must stand for the grasp point (arm down) to be on the tube."""
        tube = self.world.tube_position(self.tube_id)
        yaw = self.world.motion().yaw
        return (tube[0] - GRASP_REACH * math.cos(yaw), tube[1] - GRASP_REACH * math.sin(yaw))

    # -- hand-offs --------------------------------------------------------------------------

    def _grasp_with_reapproach(self, attempts=3):
        """
        Grasp; when the world finds the tube out of tolerance, hover-taxi to it again and retry.

        A touchdown can end a few decimetres off (a tube left where another helicopter came
        down lies among its wheels); the tube's measured pose gives a fresh grasp spot.
        """
        for attempt in range(1, attempts + 1):
            try:
                return self._grasp()
            except SortieEnded as ended:
                if ended.code != 'GRASP_FAILED' or attempt == attempts:
                    raise
                self.world.log('{}; re-approaching ({}/{})'.format(
                    ended.message, attempt, attempts - 1), warning=True)
                self._hover_taxi(self._grasp_spot(), self.config.position_tolerance)

    def _grasp(self):
        """Arm down, attach within tolerance (the world decides), record, arm up."""
        config = self.config
        self._rotors(False)
        self.world.move_arm(ARM_DOWN)
        self._wait(config.arm_settle)
        answer = None
        for _ in range(5):  # the arm may still be settling: a few tries, 0.5 s apart
            try:
                answer = self.world.attach(self.tube_id, config.carrier, config.grasp_tolerance)
            except Unanswered as error:
                raise SortieEnded('WORLD', f'{self.tube_id}: grasp: {error}') from None
            if answer.success or not answer.out_of_tolerance:
                break
            self._wait(0.5)
        if not answer.success:
            self.world.move_arm(ARM_STOWED)
            raise SortieEnded('GRASP_FAILED', '{}: the world refused the grasp ({:.3f} m from '
                              'the grasp point, tolerance {:.3f} m): {}'.format(
                                  self.tube_id, answer.distance, config.grasp_tolerance,
                                  answer.error_msg))
        self.vehicle.holding = self.tube_id
        self.world.record(self.tube_id, self.holder, config.gripper, 'grasp',
                          self.world.tube_position(self.tube_id))
        self.holder = config.gripper
        self.world.move_arm(ARM_STOWED)
        self._wait(config.arm_settle)

    def _release(self):
        """Touch down, arm down, detach, record the tube on the ground, arm up."""
        self._touchdown(TOUCHDOWN_SPEED)
        self._rotors(False)
        self.world.move_arm(ARM_DOWN)
        self._wait(self.config.arm_settle)
        self._drop('release')
        self.world.move_arm(ARM_STOWED)
        self._wait(self.config.arm_settle)

    def _drop(self, action):
        """Detach the held tube, let it settle, record it on the ground; return what happened."""
        try:
            answer = self.world.detach(self.tube_id)
        except Unanswered as error:
            raise SortieEnded('WORLD', f'{self.tube_id}: release: {error}') from None
        if not answer.success:
            raise SortieEnded('WORLD', f'{self.tube_id}: the world refused the release: '
                              f'{answer.error_msg}')
        self.vehicle.holding = None
        self._wait(1.0)  # a fresh tube pose after the short fall
        where = self.world.tube_position(self.tube_id)
        self.world.record(self.tube_id, self.config.gripper, GROUND, action, where)
        self.holder = GROUND
        return '{} left on the ground at ({:.2f}, {:.2f})'.format(self.tube_id, *where[:2])
