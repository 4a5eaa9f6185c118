# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Unit tests of a helicopter sortie (helicopter.sortie) flown against a point-mass world, no ROS.

The world moves the body at the commanded velocity while the rotors turn (never below the
ground), turns the body-frame command into the world frame with a fixed yaw, and attaches a tube
only when the gripper's grasp point is within tolerance of it with the arm down: a sortie that
flew to the wrong place, or turned its commands the wrong way, does not get its tube.
"""

from dataclasses import replace
import math

from perseverance_nodes.domain.facts import load_mission_facts
from perseverance_nodes.domain.ports import HandOff, Unanswered
from perseverance_nodes.domain.validation import Refusal
from perseverance_nodes.helicopter.logic import (Battery, choose_failure_point, FlightLeg,
                                                 GRASP_REACH, ready_time)
from perseverance_nodes.helicopter.sortie import (ARM_DOWN, ARM_STOWED, check_goal,
                                                  FailureFault, Motion, plan_sortie, Sortie,
                                                  SortieConfig, SortieWorld, Vehicle)
import pytest

_BASE = load_mission_facts()
# As in test_helicopter_node: a lower, faster flight keeps the simulated sortie short.
FACTS = replace(_BASE, helicopter=replace(_BASE.helicopter, cruise_altitude=8.0, climb_rate=2.0,
                                          drive_speed=0.5))
TUBE_RADIUS = 0.0085   # m, centre height of a tube lying on flat ground (world contract)
TUBE_ID, SLOT, GRIPPER = 'tube_05', 'depot/slot_01', 'helicopter_1/gripper'
START, TUBE, DROP = (0.0, 0.0, 0.0), (12.0, 5.0, TUBE_RADIUS), (2.0, -1.0, 0.0)
YAW = 0.4              # rad, the body's fixed heading
CONFIG = SortieConfig('helicopter_1', 1, 1, FACTS, duration_scale=0.05, period=0.05,
                      grasp_tolerance=0.05, taxi_height=0.4, position_tolerance=0.015,
                      arm_settle=2.0, leg_margin=60.0)


class PointMassWorld(SortieWorld):
    """A SortieWorld of one body and one tube on flat ground at z = 0."""

    def __init__(self):
        """Start at rest on the pad at START, the tube lying at TUBE."""
        self.time = 0.0
        self.position, self.velocity = list(START), [0.0, 0.0, 0.0]
        self.body_command = (0.0, 0.0, 0.0)
        self.rotors, self.arm, self.attached = False, None, False
        self.tube = list(TUBE)
        self.cancel_if = None          # predicate on the world: the client cancels once true
        self.cancelled = False
        self.stuck = False             # the body ignores its commands
        self.refuse_attaches = 0       # answer this many attaches out of tolerance
        self.attach_error = None       # raise Unanswered(this) on attach
        self.attach_refusal = None     # refuse every attach with this reason (not the distance)
        self.attach_calls = 0
        self.records, self.feedbacks, self.failures, self.logs = [], [], [], []
        self.rotor_switches = []       # (time, on)

    # -- the simulation ---------------------------------------------------------------------

    def _grasp_point(self):
        c, s = math.cos(YAW), math.sin(YAW)
        return [self.position[0] + GRASP_REACH * c, self.position[1] + GRASP_REACH * s]

    def _step(self, dt):
        bx, by, bz = self.body_command
        c, s = math.cos(YAW), math.sin(YAW)
        if self.stuck:
            self.velocity = [0.0, 0.0, 0.0]
        elif self.rotors:
            self.velocity = [c * bx - s * by, s * bx + c * by, bz]
        else:
            self.velocity = [0.0, 0.0, -3.0 if self.position[2] > 0.0 else 0.0]
        self.position = [p + v * dt for p, v in zip(self.position, self.velocity)]
        if self.position[2] <= 0.0:
            self.position[2] = 0.0
            self.velocity[2] = max(self.velocity[2], 0.0)
        self.time += dt
        if self.attached:
            self.tube = self._grasp_point() + [self.position[2] + TUBE_RADIUS]

    # -- SortieWorld ------------------------------------------------------------------------

    def motion(self):
        """Return the body's Motion."""
        return Motion(self.time, tuple(self.position), tuple(self.velocity), YAW)

    def now(self):
        """Return the sim time."""
        return self.time

    def wait(self, seconds, cancellable):
        """Step the simulation ``seconds``; stop early on a cancel if ``cancellable``."""
        end = self.time + max(seconds, 0.0)
        while self.time < end - 1e-9:
            if cancellable and self.cancel_requested():
                return False
            self._step(min(0.05, end - self.time))
        return not (cancellable and self.cancel_requested())

    def cancel_requested(self):
        """Return True once ``cancel_if`` held."""
        self.cancelled = self.cancelled or bool(self.cancel_if and self.cancel_if(self))
        return self.cancelled

    def send_velocity(self, vx, vy, vz):
        """Take a body-frame velocity command."""
        self.body_command = (vx, vy, vz)

    def enable_rotors(self, on):
        """Switch the rotors."""
        self.rotors = on
        self.rotor_switches.append((self.time, on))

    def move_arm(self, angle):
        """Move the arm at once."""
        self.arm = angle

    def tube_position(self, tube_id):
        """Return the tube's position."""
        assert tube_id == TUBE_ID
        return tuple(self.tube)

    def attach(self, tube_id, carrier, tolerance):
        """Attach when the grasp point is within ``tolerance`` of the tube, arm down."""
        assert (tube_id, carrier) == (TUBE_ID, 'helicopter_1::gripper')
        self.attach_calls += 1
        if self.attach_error:
            raise Unanswered(self.attach_error)
        grasp = self._grasp_point() + [self.position[2] + TUBE_RADIUS]
        distance = math.dist(grasp, self.tube)
        if self.arm != ARM_DOWN or self.attached:
            return HandOff(False, 'arm not down or already attached')
        if self.attach_refusal:
            return HandOff(False, self.attach_refusal, distance)
        if self.refuse_attaches > 0 or distance > tolerance:
            self.refuse_attaches -= 1
            return HandOff(False, 'tube out of tolerance', distance, True)
        self.attached = True
        return HandOff(True)

    def detach(self, tube_id):
        """Let the tube fall to the ground under the grasp point."""
        if not self.attached:
            return HandOff(False, 'not attached')
        self.attached = False
        self.tube = self._grasp_point() + [TUBE_RADIUS]
        return HandOff(True)

    def record(self, tube_id, from_holder, to_holder, action, position):
        """Keep the custody record."""
        self.records.append((tube_id, from_holder, to_holder, action, tuple(position)))

    def feedback(self, stage, progress, position, altitude, battery):
        """Keep the feedback."""
        self.feedbacks.append((stage, progress, altitude, battery))

    def report_failure(self, fault, description):
        """Keep the reported fault."""
        self.failures.append((fault, description))

    def log(self, message, warning=False, error=False):
        """Keep the log line with its level."""
        self.logs.append(('error' if error else 'warning' if warning else 'info', message))


def _vehicle(charge=1.0):
    heli = FACTS.helicopter
    return Vehicle(Battery(heli.battery_capacity, heli.battery_capacity * charge),
                   heli.solar_power)


def _plans(world, vehicle, config=CONFIG, holder=SLOT):
    ground = (TUBE[0], TUBE[1], TUBE[2] - TUBE_RADIUS)
    return plan_sortie(config, vehicle, TUBE_ID, world.motion().position, ground, DROP, holder)


def _fly(world, vehicle=None, config=CONFIG):
    vehicle = vehicle or _vehicle()
    return Sortie(world, config, vehicle, TUBE_ID, *_plans(world, vehicle, config)).run()


def _landed(world):
    return world.position[2] == 0.0 and not world.rotors and world.body_command == (0, 0, 0)


def _distinct(values):
    return [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v]


def test_nominal_sortie_grasps_delivers_and_records_custody():
    """Fly out, grasp within tolerance, fly back, release by the drop point, back away."""
    world, vehicle = PointMassWorld(), _vehicle()
    outcome = _fly(world, vehicle)
    assert (outcome.code, outcome.message) == (None, '')

    grasp, release = world.records  # exactly these two, in this order
    assert grasp[:4] == (TUBE_ID, SLOT, GRIPPER, 'grasp')
    assert math.dist(grasp[4][:2], TUBE[:2]) < CONFIG.grasp_tolerance
    assert release[:4] == (TUBE_ID, GRIPPER, 'ground', 'release')
    assert math.dist(release[4][:2], DROP[:2]) < 0.2
    assert release[4] == tuple(world.tube) and world.tube[2] == TUBE_RADIUS
    assert not world.attached and vehicle.holding is None

    # Landed, backed away from the tube by about the landing offset, rotors off, arm stowed.
    assert _landed(world) and world.arm == ARM_STOWED
    assert math.dist(world.position[:2], DROP[:2]) == pytest.approx(
        FACTS.helicopter.land_offset, abs=0.15)
    assert outcome.distance_flown > 2 * math.dist(START[:2], TUBE[:2]) + 2 * 8.0
    assert 0.0 < outcome.battery_remaining < 1.0
    assert outcome.battery_remaining == vehicle.battery.fraction
    assert not vehicle.flying and vehicle.flights == 1
    assert _distinct([f[0] for f in world.feedbacks]) == list(range(8))
    assert max(f[2] for f in world.feedbacks) > 7.0
    progress = [f[1] for f in world.feedbacks]
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_grasp_out_of_tolerance_is_retried_after_a_fresh_approach():
    """Five refusals use up the first grasp; a re-approach and the second grasp succeed."""
    world = PointMassWorld()
    world.refuse_attaches = 5
    outcome = _fly(world)
    assert outcome.code is None, outcome.message
    assert world.attach_calls == 6
    assert [m for level, m in world.logs if level == 'warning'] == [
        'tube_05: the world refused the grasp (0.000 m from the grasp point, tolerance 0.050 '
        'm): tube out of tolerance; re-approaching (1/2)']
    assert [r[3] for r in world.records] == ['grasp', 'release']


def test_grasp_refused_every_time_fails_the_sortie_on_the_ground():
    """Three grasps of five tries each refused: GRASP_FAILED, the tube left where it was."""
    world = PointMassWorld()
    world.refuse_attaches = 1000
    outcome = _fly(world)
    assert outcome.code == 'GRASP_FAILED'
    assert outcome.message.startswith('tube_05: the world refused the grasp')
    assert world.attach_calls == 15
    assert len([level for level, _ in world.logs if level == 'warning']) == 2
    assert world.records == [] and tuple(world.tube) == TUBE
    assert _landed(world) and world.arm == ARM_STOWED
    assert math.dist(world.position[:2], TUBE[:2]) < 0.1  # it got there


def test_grasp_refused_for_another_reason_is_not_retried_in_place():
    """Only an out-of-tolerance refusal is tried again on the spot; others re-approach."""
    world = PointMassWorld()
    world.attach_refusal = 'tube_05 is held by another carrier'
    outcome = _fly(world)
    assert outcome.code == 'GRASP_FAILED'
    assert outcome.message.endswith('tolerance 0.050 m): tube_05 is held by another carrier')
    assert world.attach_calls == 3 and world.records == [] and _landed(world)


def test_unanswered_attach_ends_the_sortie_with_a_world_error():
    """The world's attach service not answering is ERROR_WORLD, the helicopter landed."""
    world = PointMassWorld()
    world.attach_error = 'service /world/attach_tube did not answer within 10 s'
    outcome = _fly(world)
    assert (outcome.code, outcome.message) == (
        'WORLD', 'tube_05: grasp: service /world/attach_tube did not answer within 10 s')
    assert world.attach_calls == 1 and world.records == [] and _landed(world)


def test_cancel_in_the_outbound_cruise_lands_where_it_is():
    """A cancel mid-cruise: straight down, rotors off, nothing recorded."""
    world = PointMassWorld()
    world.cancel_if = lambda w: math.dist(w.position[:2], START[:2]) > 4.0
    outcome = _fly(world)
    assert outcome.code == 'CANCELED'
    assert outcome.message == ('cancelled; helicopter_1 landed where it was, tube_05 left '
                               'where it was')
    assert _landed(world) and world.records == []
    assert 4.0 < math.dist(world.position[:2], START[:2]) < 5.0
    assert outcome.distance_flown > 2 * 8.0


def test_cancel_after_the_grasp_keeps_the_tube_and_refuses_the_next_goal():
    """A cancel on the way back lands with the tube still held; a new goal is refused."""
    world, vehicle = PointMassWorld(), _vehicle()
    world.cancel_if = lambda w: w.attached and w.position[2] > 3.0
    outcome = _fly(world, vehicle)
    assert outcome.code == 'CANCELED'
    assert outcome.message.endswith('landed where it was, tube_05 still in the gripper')
    assert [r[3] for r in world.records] == ['grasp']
    assert world.attached and vehicle.holding == TUBE_ID and _landed(world)
    with pytest.raises(Refusal) as refusal:
        check_goal(CONFIG, vehicle, 'tube_06', DROP)
    assert refusal.value.code == 'INVALID_GOAL' and 'still holds tube_05' in refusal.value.message


def test_failure_now_lands_at_once_and_takes_the_helicopter_out_of_service():
    """A HELICOPTER_FAILURE triggered 'now' strikes before takeoff; CLEARED ends it."""
    world, vehicle = PointMassWorld(), _vehicle()
    fault = FailureFault('fault_0001', 'now', active=False)
    vehicle.note_fault(fault, pending=True, cleared=False)
    outcome = _fly(world, vehicle)
    assert outcome.code == 'HELICOPTER_FAILED'
    assert 'failed in flight during takeoff' in outcome.message
    assert 'tube_05 left where it was (held by depot/slot_01)' in outcome.message
    assert [f for f, _ in world.failures] == [fault] and vehicle.out_of_service == fault
    assert world.records == [] and _landed(world)
    with pytest.raises(Refusal) as refusal:
        check_goal(CONFIG, vehicle, TUBE_ID, DROP)
    assert refusal.value.code == 'HELICOPTER_FAILED' and 'out of service' in refusal.value.message
    # A fault strikes once: seen again, it is not pending; cleared, the helicopter flies again.
    assert not vehicle.note_fault(fault, pending=True, cleared=False)
    assert vehicle.next_fault(2) is None
    assert vehicle.note_fault(fault, pending=False, cleared=True)
    check_goal(CONFIG, vehicle, TUBE_ID, DROP)


def test_failure_with_the_tube_held_sets_it_down_and_hops_aside():
    """Struck on the way back: land, emergency release (recorded), hop ~1 m from the tube."""
    world, vehicle = PointMassWorld(), _vehicle()
    plan = _plans(world, vehicle)[1]
    legs = [step.details['leg'] for step in plan.timeline]
    after = {legs.index(FlightLeg.TAKEOFF_RETURN), legs.index(FlightLeg.CRUISE_RETURN)}
    seed = next(seed for seed in range(1000)
                if choose_failure_point(plan, seed, 1).step_index in after)
    vehicle.note_fault(FailureFault('fault_0002', 'flight:1', active=False), True, False)
    outcome = _fly(world, vehicle, replace(CONFIG, seed=seed))
    assert outcome.code == 'HELICOPTER_FAILED' and 'emergency landing' in outcome.message
    assert [r[1:4] for r in world.records] == [(SLOT, GRIPPER, 'grasp'),
                                               (GRIPPER, 'ground', 'emergency_release')]
    assert world.records[1][4] == tuple(world.tube) and world.tube[2] == TUBE_RADIUS
    assert not world.attached and vehicle.holding is None and _landed(world)
    assert 0.85 < math.dist(world.position[:2], world.tube[:2]) < 1.15
    # Away from the drop point, where another helicopter would come from.
    assert math.dist(world.position[:2], DROP[:2]) > math.dist(world.tube[:2], DROP[:2])
    assert math.dist(world.tube[:2], DROP[:2]) > 1.0  # it did not get home
    assert 'helicopter_1 failed in flight' in world.failures[0][1]


def test_flight_triggers_strike_their_own_sortie_unless_fired():
    """ARMED 'flight:<n>' waits for sortie n; ACTIVE (fired by mission_control) strikes now."""
    vehicle = _vehicle()
    armed = FailureFault('fault_0003', 'flight:2', active=False)
    vehicle.note_fault(armed, True, False)
    assert vehicle.next_fault(1) is None and vehicle.next_fault(2) == (armed, 2)
    fired = FailureFault('fault_0003', 'flight:7', active=True)
    vehicle.note_fault(fired, True, False)
    assert vehicle.next_fault(1) == (fired, 7)
    vehicle.note_fault(fired, False, False)  # recovered: no longer pending
    assert vehicle.next_fault(7) is None


def test_a_leg_that_never_ends_times_out():
    """A body that does not climb: the takeoff leg times out, the rotors are cut."""
    world = PointMassWorld()
    world.stuck = True
    outcome = _fly(world, config=replace(CONFIG, leg_margin=5.0))
    assert outcome.code == 'TIMEOUT'
    assert outcome.message.startswith('helicopter_1: leg takeoff not finished after 13 s')
    assert not world.rotors and world.records == []


def test_a_low_battery_charges_on_the_pad_first():
    """The sortie waits (scaled by duration_scale) for the sun, then flies."""
    world, vehicle = PointMassWorld(), _vehicle(charge=0.3)
    nominal = _plans(world, vehicle)[0]
    wait = ready_time(nominal, vehicle.battery, FACTS, 0.0) * CONFIG.duration_scale
    assert wait > 1.0
    outcome = _fly(world, vehicle)
    assert outcome.code is None, outcome.message
    assert world.feedbacks[0][:2] == (0, 0.0)
    assert world.rotor_switches[0] == (pytest.approx(wait, abs=0.06), True)
    assert any('charging for' in m for _, m in world.logs)


def test_cancel_while_charging():
    """A cancel on the pad ends the sortie before takeoff."""
    world = PointMassWorld()
    world.cancel_if = lambda w: w.time > 1.0
    outcome = _fly(world, _vehicle(charge=0.3))
    assert outcome.code == 'CANCELED'
    assert outcome.message.startswith('cancelled while charging; ')
    assert world.position == list(START) and world.records == []


def test_goals_the_helicopter_refuses():
    """Refusals before any flight: unknown tube, bad drop point, a tube still in the rack."""
    world, vehicle = PointMassWorld(), _vehicle()
    with pytest.raises(Refusal) as refusal:
        check_goal(CONFIG, vehicle, 'tube_99', DROP)
    assert refusal.value.code == 'UNKNOWN_TUBE'
    with pytest.raises(Refusal) as refusal:
        check_goal(CONFIG, vehicle, TUBE_ID, (math.nan, 0.0, 0.0))
    assert refusal.value.code == 'INVALID_GOAL' and 'drop_point' in refusal.value.message
    with pytest.raises(Refusal) as refusal:
        _plans(world, vehicle, holder='rover/caching_assembly')
    assert refusal.value.code == 'INVALID_GOAL' and 'held by rover/caching_assembly' in \
        refusal.value.message
    nominal, flown, holder = _plans(world, vehicle, holder='ground')
    assert holder == 'ground'
    # Holds are flown scaled by duration_scale; the nominal plan keeps the facts' durations.
    index = [s.details['leg'] for s in flown.timeline].index(FlightLeg.GRASP)
    assert flown.timeline.steps[index].duration == pytest.approx(
        FACTS.helicopter.grasp_duration * CONFIG.duration_scale)
    assert nominal.timeline.steps[index].duration == FACTS.helicopter.grasp_duration


def test_solar_charging_only_on_the_ground():
    """The battery tick charges while parked, not while flying."""
    vehicle = _vehicle(charge=0.5)
    assert vehicle.solar_tick(0.0) == (0.5, False)
    fraction, _ = vehicle.solar_tick(100.0)
    assert fraction == pytest.approx(
        0.5 + 100.0 * FACTS.helicopter.solar_power / FACTS.helicopter.battery_capacity)
    vehicle.flying = True
    assert vehicle.solar_tick(200.0) == (fraction, True)
