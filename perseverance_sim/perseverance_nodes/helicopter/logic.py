# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Sample recovery helicopter: RetrieveTube flight plans, battery, velocity setpoints, failures.

A retrieval is one sortie: take off, cruise at altitude to the tube, descend and land a few
metres short (the downwash must not blow the tube away), drive the last metres on the wheels,
grasp, take off, cruise back, land at the drop point by the lander, release, back away. The world
backend's MulticopterVelocityControl flies the velocity setpoints this module produces.
"""

from dataclasses import dataclass
import enum
import math
import random

from ..domain.timeline import Step, Timeline
from ..domain.tubes import derive_seed, GROUND
from ..domain.validation import Refusal


class FlightLeg(enum.Enum):
    """Legs of a retrieval sortie."""

    TAKEOFF = 'takeoff'
    CRUISE = 'cruise'
    DESCEND = 'descend'
    LAND = 'land'
    DRIVE = 'drive'
    GRASP = 'grasp'
    TAKEOFF_RETURN = 'takeoff_return'
    CRUISE_RETURN = 'cruise_return'
    LAND_AT_LANDER = 'land_at_lander'
    RELEASE = 'release'
    CLEAR = 'clear'


# RetrieveTube.action STAGE_* reported for each leg (the interface groups the approach legs).
FEEDBACK_STAGE = {
    FlightLeg.TAKEOFF: 0, FlightLeg.CRUISE: 1, FlightLeg.DESCEND: 2, FlightLeg.LAND: 2,
    FlightLeg.DRIVE: 2, FlightLeg.GRASP: 3, FlightLeg.TAKEOFF_RETURN: 4,
    FlightLeg.CRUISE_RETURN: 5, FlightLeg.LAND_AT_LANDER: 6, FlightLeg.RELEASE: 7,
    FlightLeg.CLEAR: 7,
}
AIRBORNE_LEGS = (FlightLeg.TAKEOFF, FlightLeg.CRUISE, FlightLeg.DESCEND, FlightLeg.LAND,
                 FlightLeg.TAKEOFF_RETURN, FlightLeg.CRUISE_RETURN, FlightLeg.LAND_AT_LANDER)

FLARE_HEIGHT = 1.0        # m above ground where the slow final landing starts; guess
GRASP_REACH = 0.06        # m, helicopter centre to its grasp point, arm down (world contract)
EMERGENCY_SIDESTEP = 1.0  # m a failed helicopter hops away from the tube it set down
ARRIVAL_TOLERANCE = 0.25  # m, position error that counts as arrived; guess
SETTLED_SPEED = 0.2       # m/s, speed below which the helicopter counts as settled; guess
MAX_DECELERATION = 1.0    # m/s2 used to slow down before a target; guess


class Battery:
    """An energy store drained by flight and recharged by the solar panel on the ground."""

    def __init__(self, capacity, charge=None):
        """Create a battery of ``capacity`` joules, full unless ``charge`` (J) is given."""
        if not capacity > 0.0:
            raise ValueError(f'battery capacity {capacity!r} must be > 0 J')
        self.capacity = float(capacity)
        self.charge = self.capacity if charge is None else min(max(charge, 0.0), self.capacity)

    @property
    def fraction(self):
        """Return the state of charge (0..1)."""
        return self.charge / self.capacity

    def drain(self, power, seconds):
        """Use ``power`` watts for ``seconds``; return False if the battery ran flat."""
        self.charge -= power * max(seconds, 0.0)
        if self.charge <= 0.0:
            self.charge = 0.0
            return False
        return True

    def recharge(self, power, seconds):
        """Add ``power`` watts of solar charging for ``seconds``, up to full."""
        self.charge = min(self.capacity, self.charge + power * max(seconds, 0.0))

    def time_to_reach(self, energy, power):
        """Return the charging time (s) until ``energy`` joules are available (0 if already)."""
        missing = energy - self.charge
        if missing <= 0.0:
            return 0.0
        if energy > self.capacity or power <= 0.0:
            return math.inf
        return missing / power


@dataclass(frozen=True)
class FlightPlan:
    """A retrieval sortie: its timeline (one step per leg) and its totals."""

    tube_id: str
    helicopter: int
    timeline: Timeline
    flight_distance: float   # m of horizontal flight (what the range limits)
    path_length: float       # m of flight and driving, vertical included
    energy: float            # J for the whole sortie


def _leg_power(leg, heli):
    """Return the electrical power (W) a leg draws."""
    if leg in (FlightLeg.CRUISE, FlightLeg.CRUISE_RETURN):
        return heli.cruise_power
    if leg in AIRBORNE_LEGS:
        return heli.hover_power
    return heli.drive_power


def _along(origin, toward, distance):
    """Return the (x, y) point ``distance`` metres from ``origin`` towards ``toward``."""
    dx, dy = toward[0] - origin[0], toward[1] - origin[1]
    length = math.hypot(dx, dy)
    if length < 1e-9:
        dx, dy, length = 1.0, 0.0, 1.0  # no direction to follow: use +x
    return (origin[0] + dx / length * distance, origin[1] + dy / length * distance)


def _sortie_legs(start, tube, drop, heli):
    """Return the legs as (leg, target (x, y, z), horizontal speed, vertical speed, transfer)."""
    land_xy = _along(tube, start, heli.land_offset)
    grasp_xy = _along(tube, land_xy, GRASP_REACH)
    drop_xy = (drop[0], drop[1])
    clear_xy = _along(drop, grasp_xy, heli.land_offset)  # back away so the arm can reach the tube
    out_alt = max(start[2], tube[2]) + heli.cruise_altitude
    back_alt = max(tube[2], drop[2]) + heli.cruise_altitude
    return [
        (FlightLeg.TAKEOFF, (start[0], start[1], out_alt), 0.0, heli.climb_rate, None),
        (FlightLeg.CRUISE, (land_xy[0], land_xy[1], out_alt), heli.cruise_speed, 0.0, None),
        (FlightLeg.DESCEND, (land_xy[0], land_xy[1], tube[2] + FLARE_HEIGHT), 0.0,
         heli.climb_rate, None),
        (FlightLeg.LAND, (land_xy[0], land_xy[1], tube[2]), 0.0, heli.landing_speed, None),
        (FlightLeg.DRIVE, (grasp_xy[0], grasp_xy[1], tube[2]), heli.drive_speed, 0.0, None),
        (FlightLeg.GRASP, (grasp_xy[0], grasp_xy[1], tube[2]), 0.0, 0.0, 'grasp'),
        (FlightLeg.TAKEOFF_RETURN, (grasp_xy[0], grasp_xy[1], back_alt), 0.0, heli.climb_rate,
         None),
        (FlightLeg.CRUISE_RETURN, (drop_xy[0], drop_xy[1], back_alt), heli.cruise_speed, 0.0,
         None),
        (FlightLeg.LAND_AT_LANDER, (drop_xy[0], drop_xy[1], drop[2]), 0.0, heli.climb_rate,
         None),
        (FlightLeg.RELEASE, (drop_xy[0], drop_xy[1], drop[2]), 0.0, 0.0, 'release'),
        (FlightLeg.CLEAR, (clear_xy[0], clear_xy[1], drop[2]), heli.drive_speed, 0.0, None),
    ]


def _leg_duration(leg, horizontal, vertical, h_speed, v_speed, heli):
    """Return a leg's planned duration (s) over ``horizontal`` and ``vertical`` metres."""
    if leg == FlightLeg.GRASP:
        return heli.grasp_duration
    if leg == FlightLeg.RELEASE:
        return heli.release_duration
    if leg == FlightLeg.LAND_AT_LANDER:  # fast descent, then the slow flare
        flare = min(FLARE_HEIGHT, vertical)
        return (vertical - flare) / heli.climb_rate + flare / heli.landing_speed
    return (horizontal / h_speed if h_speed else 0.0) + (vertical / v_speed if v_speed else 0.0)


def plan_retrieval(tube_id, helicopter, start, tube, drop, facts):
    """
    Plan a sortie from ``start`` to the tube at ``tube`` and back to ``drop``.

    All points are (x, y, z) in frame "world" with z the ground height there. Raises
    ``Refusal('OUT_OF_RANGE')`` when the horizontal flight exceeds ``helicopter.flight_range``
    and ``Refusal('BATTERY_LOW')`` when even a full battery minus its reserve cannot fly it.
    """
    heli = facts.helicopter
    for name, point in (('start', start), ('tube', tube), ('drop', drop)):
        if len(point) != 3 or not all(math.isfinite(c) for c in point):
            raise Refusal('INVALID_GOAL', f'{name} {point!r} is not a finite (x, y, z) point')
    steps, position = [], (start[0], start[1], start[2])
    flight_distance = path_length = energy = 0.0
    gripper = f'helicopter_{helicopter}/gripper'
    for leg, target, h_speed, v_speed, transfer in _sortie_legs(start, tube, drop, heli):
        horizontal = math.hypot(target[0] - position[0], target[1] - position[1])
        vertical = abs(target[2] - position[2])
        duration = _leg_duration(leg, horizontal, vertical, h_speed, v_speed, heli)
        if leg in (FlightLeg.CRUISE, FlightLeg.CRUISE_RETURN):
            flight_distance += horizontal
        path_length += horizontal + vertical
        energy += _leg_power(leg, heli) * duration
        details = {'leg': leg, 'target': target, 'horizontal_speed': h_speed,
                   'vertical_speed': v_speed, 'power': _leg_power(leg, heli),
                   'airborne': leg in AIRBORNE_LEGS, 'tube_id': tube_id}
        if transfer == 'grasp':
            details['transfer'] = (None, gripper, 'grasp')  # from: wherever the tube lies
        elif transfer == 'release':
            details['transfer'] = (gripper, GROUND, 'release')
        steps.append(Step(FEEDBACK_STAGE[leg], leg.value, duration, details))
        position = target
    if flight_distance > heli.flight_range:
        raise Refusal('OUT_OF_RANGE', f'{tube_id}: round trip of {flight_distance:.0f} m exceeds '
                      f'the range of {heli.flight_range:.0f} m per flight')
    usable = heli.battery_capacity * (1.0 - heli.battery_reserve)
    if energy > usable:
        raise Refusal('BATTERY_LOW', f'{tube_id}: sortie needs {energy / 1000:.1f} kJ; a full '
                      f'battery gives {usable / 1000:.1f} kJ above its reserve')
    return FlightPlan(tube_id, helicopter, Timeline(steps), flight_distance, path_length, energy)


def ready_time(plan, battery, facts, now):
    """Return the sim time (s) when ``battery`` holds the plan's energy plus the reserve."""
    heli = facts.helicopter
    needed = plan.energy + heli.battery_capacity * heli.battery_reserve
    wait = battery.time_to_reach(needed, heli.solar_power)
    if math.isinf(wait):
        raise Refusal('BATTERY_LOW', f'{plan.tube_id}: needs {needed / 1000:.1f} kJ, more than '
                      'the battery can hold or with no solar power')
    return now + wait


# ---------------------------------------------------------------------------------------------
# Velocity setpoints


@dataclass(frozen=True)
class Setpoint:
    """A velocity command (m/s, frame "world") and whether the leg's target is reached."""

    vx: float
    vy: float
    vz: float
    arrived: bool
    distance: float  # m to the leg's target


def _approach_speed(distance, limit):
    """Return the speed to hold at ``distance`` from a target to stop there without overshoot."""
    return min(limit, math.sqrt(2.0 * MAX_DECELERATION * max(distance, 0.0)))


def velocity_setpoint(position, velocity, step):
    """
    Return the ``Setpoint`` flying the leg ``step`` from ``position`` (m) at ``velocity`` (m/s).

    Horizontal and vertical motion are limited separately to the leg's speeds and slowed near the
    target; a hold leg (grasp, release) commands zero. ``arrived`` needs the helicopter within
    ARRIVAL_TOLERANCE of the target and settled below SETTLED_SPEED.
    """
    details = step.details
    target = details['target']
    dx, dy, dz = (target[i] - position[i] for i in range(3))
    horizontal, vertical = math.hypot(dx, dy), abs(dz)
    distance = math.hypot(horizontal, vertical)
    speed = math.sqrt(sum(v * v for v in velocity))
    h_limit, v_limit = details['horizontal_speed'], details['vertical_speed']
    vx = vy = vz = 0.0
    if horizontal > 1e-9 and h_limit > 0.0:
        h_speed = _approach_speed(horizontal, h_limit)
        vx, vy = dx / horizontal * h_speed, dy / horizontal * h_speed
    if vertical > 1e-9 and v_limit > 0.0:
        vz = math.copysign(_approach_speed(vertical, v_limit), dz)
    arrived = distance <= ARRIVAL_TOLERANCE and speed <= SETTLED_SPEED
    return Setpoint(vx, vy, vz, arrived, distance)


# ---------------------------------------------------------------------------------------------
# Failure (Ingenuity flight 33 lost a piece of a leg and still landed; here the helicopter must
# make an emergency landing and is out of service).


@dataclass(frozen=True)
class FailurePoint:
    """Where in a sortie an injected HELICOPTER_FAILURE strikes."""

    step_index: int
    fraction: float  # of that leg


@dataclass(frozen=True)
class AbortOutcome:
    """Where the helicopter and the tube end up after a failure."""

    landing_position: tuple   # (x, y, z) where the helicopter comes down
    tube_holder: str          # holder of the tube afterwards
    tube_position: tuple      # (x, y, z) of the tube afterwards, or None if unchanged
    transfer: tuple           # (from, to, action) for the ledger, or None if it did not move


def choose_failure_point(plan, seed, flight_number):
    """Pick, deterministically for the seed, the airborne leg and moment a failure strikes."""
    rng = random.Random(derive_seed(seed, 'helicopter_failure', flight_number))
    airborne = [i for i, step in enumerate(plan.timeline) if step.details['airborne']]
    return FailurePoint(rng.choice(airborne), rng.uniform(0.2, 0.8))


def emergency_sidestep(plan, position):
    """
    Return (x, y) EMERGENCY_SIDESTEP metres from ``position``, away from the sortie's drop point.

    A tube set down by a failed helicopter lies under its body, where no other helicopter's
    gripper can get at it; so the failed one hops aside before it is grounded. Away from the
    drop point (the lander) is away from where the helicopter that takes over comes from.
    """
    drop = next(step.details['target'] for step in plan.timeline
                if step.details['leg'] == FlightLeg.RELEASE)
    away = (2.0 * position[0] - drop[0], 2.0 * position[1] - drop[1])
    return _along(position, away, EMERGENCY_SIDESTEP)


def abort_outcome(plan, step_index, position, ground_z):
    """
    Return the ``AbortOutcome`` of a failure during step ``step_index`` at ``position``.

    Before the grasp the tube stays where it lies (holder unchanged) and the helicopter lands
    where it is. After it the helicopter lands where it is, sets the tube down there and hops
    ``emergency_sidestep`` aside, leaving the tube free for another helicopter to fetch.
    """
    landing = (position[0], position[1], ground_z)
    names = [step.details['leg'] for step in plan.timeline]
    grasp_index = names.index(FlightLeg.GRASP)
    release_index = names.index(FlightLeg.RELEASE)
    if step_index <= grasp_index or step_index > release_index:
        return AbortOutcome(landing, None, None, None)
    gripper = f'helicopter_{plan.helicopter}/gripper'
    aside = emergency_sidestep(plan, position)
    return AbortOutcome((aside[0], aside[1], ground_z), GROUND, landing,
                        (gripper, GROUND, 'emergency_release'))


def emergency_landing_setpoint(position, ground_z, facts):
    """Return the ``Setpoint`` of a straight-down emergency landing."""
    step = Step(0, 'emergency_landing', 0.0, {
        'target': (position[0], position[1], ground_z), 'horizontal_speed': 0.0,
        'vertical_speed': facts.helicopter.landing_speed})
    return velocity_setpoint(position, (0.0, 0.0, 0.0), step)


# ---------------------------------------------------------------------------------------------
# Following the legs (sortie.Sortie flies them with this)


@dataclass(frozen=True)
class FlightUpdate:
    """What to command and report at one control tick."""

    setpoint: Setpoint
    step_index: int
    stage: int                # RetrieveTube STAGE_*
    progress: float           # 0..1 of the sortie
    entered: tuple            # steps entered at this tick (their 'transfer' go to the ledger)
    done: bool
    battery_fraction: float


class LegTracker:
    """
    Walk a FlightPlan leg by leg from measured state; drains the battery as it goes.

    Flying legs end when the helicopter has arrived; hold legs (grasp, release) when their
    duration has passed. The sortie calls ``update`` at its control rate with sim time.
    """

    def __init__(self, plan, battery, facts, start_time):
        """Start the sortie at sim time ``start_time`` (s)."""
        self.plan, self.battery, self.facts = plan, battery, facts
        self.index = 0
        self.step_start = start_time
        self.last_time = start_time
        self.battery_ran_flat = False
        self._entered = [plan.timeline.steps[0]]

    @property
    def step(self):
        """Return the current step."""
        return self.plan.timeline.steps[self.index]

    def update(self, now, position, velocity):
        """Advance with the measured position and velocity at sim time ``now``."""
        timeline = self.plan.timeline
        if not self.battery.drain(self.step.details['power'], now - self.last_time):
            self.battery_ran_flat = True
        self.last_time = now
        setpoint = velocity_setpoint(position, velocity, self.step)
        held = self.step.details['horizontal_speed'] == 0.0 and \
            self.step.details['vertical_speed'] == 0.0
        finished = (now - self.step_start >= self.step.duration) if held else setpoint.arrived
        while finished and self.index + 1 < len(timeline):
            self.index += 1
            self.step_start = now
            self._entered.append(self.step)
            setpoint = velocity_setpoint(position, velocity, self.step)
            finished = False
        done = finished and self.index + 1 == len(timeline)
        fraction = 1.0 if done else self._leg_fraction(now, position)
        entered, self._entered = tuple(self._entered), []
        return FlightUpdate(setpoint, self.index, self.step.stage,
                            timeline.progress(self.index, fraction), entered, done,
                            self.battery.fraction)

    def _leg_fraction(self, now, position):
        """Estimate how far through the current leg the helicopter is (0..1)."""
        if self.step.duration <= 0.0:
            return 0.0
        return min((now - self.step_start) / self.step.duration, 0.99)
