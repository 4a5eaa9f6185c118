# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the helicopter: flight plans, range and battery, setpoints, failures."""

from dataclasses import replace
import math

from perseverance_nodes.domain.facts import load_mission_facts
from perseverance_nodes.domain.validation import Refusal
from perseverance_nodes.helicopter.logic import abort_outcome, Battery, choose_failure_point
from perseverance_nodes.helicopter.logic import emergency_landing_setpoint, FEEDBACK_STAGE
from perseverance_nodes.helicopter.logic import EMERGENCY_SIDESTEP
from perseverance_nodes.helicopter.logic import FlightLeg, LegTracker, plan_retrieval
from perseverance_nodes.helicopter.logic import ready_time, velocity_setpoint
import pytest

FACTS = load_mission_facts()
HOME, TUBE, DROP = (0.0, 0.0, 0.0), (100.0, 50.0, 0.0), (2.0, 0.0, 0.0)


def test_plan_has_every_leg_in_order_with_feedback_stages():
    """Check that plan has every leg in order with feedback stages."""
    plan = plan_retrieval('tube_02', 1, HOME, TUBE, DROP, FACTS)
    legs = [step.details['leg'] for step in plan.timeline]
    assert legs == [FlightLeg.TAKEOFF, FlightLeg.CRUISE, FlightLeg.DESCEND, FlightLeg.LAND,
                    FlightLeg.DRIVE, FlightLeg.GRASP, FlightLeg.TAKEOFF_RETURN,
                    FlightLeg.CRUISE_RETURN, FlightLeg.LAND_AT_LANDER, FlightLeg.RELEASE,
                    FlightLeg.CLEAR]
    stages = [step.stage for step in plan.timeline]
    assert stages == sorted(stages) and stages[0] == 0 and stages[-1] == 7
    assert set(FEEDBACK_STAGE) == set(FlightLeg)
    cruise = plan.timeline.steps[1]
    assert cruise.details['target'][2] == FACTS.helicopter.cruise_altitude
    assert cruise.duration == pytest.approx(
        (math.hypot(100, 50) - FACTS.helicopter.land_offset) / FACTS.helicopter.cruise_speed)
    grasp, release = plan.timeline.steps[5], plan.timeline.steps[9]
    assert grasp.details['transfer'] == (None, 'helicopter_1/gripper', 'grasp')
    assert release.details['transfer'] == ('helicopter_1/gripper', 'ground', 'release')
    # Lands short of the tube and drives the last metres.
    land = plan.timeline.steps[3].details['target']
    assert math.dist(land[:2], TUBE[:2]) == pytest.approx(FACTS.helicopter.land_offset)


def test_round_trip_beyond_range_is_rejected():
    """Check that round trip beyond range is rejected."""
    with pytest.raises(Refusal) as error:
        plan_retrieval('tube_02', 1, HOME, (360.0, 0.0, 0.0), DROP, FACTS)
    assert error.value.code == 'OUT_OF_RANGE'
    assert '700 m' in error.value.message and 'tube_02' in error.value.message
    plan = plan_retrieval('tube_02', 1, HOME, (340.0, 0.0, 0.0), HOME, FACTS)
    assert plan.flight_distance <= FACTS.helicopter.flight_range


def test_sortie_beyond_the_battery_is_rejected():
    """Check that sortie beyond the battery is rejected."""
    weak = replace(FACTS, helicopter=replace(FACTS.helicopter, battery_capacity=40000.0))
    with pytest.raises(Refusal) as error:
        plan_retrieval('tube_02', 1, HOME, TUBE, DROP, weak)
    assert error.value.code == 'BATTERY_LOW' and 'kJ' in error.value.message


def test_battery_and_ready_time():
    """Check the battery and ready time."""
    plan = plan_retrieval('tube_02', 1, HOME, TUBE, DROP, FACTS)
    heli = FACTS.helicopter
    battery = Battery(heli.battery_capacity)
    assert ready_time(plan, battery, FACTS, 100.0) == 100.0
    battery.drain(1000.0, 100.0)
    needed = plan.energy + heli.battery_capacity * heli.battery_reserve
    assert ready_time(plan, battery, FACTS, 0.0) == pytest.approx(
        (needed - battery.charge) / heli.solar_power)
    assert not Battery(10.0).drain(1.0, 20.0)
    assert Battery(10.0, 5.0).time_to_reach(20.0, 1.0) == math.inf
    with pytest.raises(ValueError):
        Battery(0.0)


def test_setpoints_are_limited_and_slow_down_near_the_target():
    """Check that setpoints are limited and slow down near the target."""
    plan = plan_retrieval('tube_02', 1, HOME, TUBE, DROP, FACTS)
    takeoff, cruise = plan.timeline.steps[0], plan.timeline.steps[1]
    up = velocity_setpoint((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), takeoff)
    assert (up.vx, up.vy) == (0.0, 0.0) and 0.0 < up.vz <= FACTS.helicopter.climb_rate
    far = velocity_setpoint((0.0, 0.0, 20.0), (0.0, 0.0, 0.0), cruise)
    assert math.hypot(far.vx, far.vy) == pytest.approx(FACTS.helicopter.cruise_speed)
    target = cruise.details['target']
    near = velocity_setpoint((target[0] - 1.0, target[1], 20.0), (0.0, 0.0, 0.0), cruise)
    assert math.hypot(near.vx, near.vy) < 2.0 and not near.arrived
    there = velocity_setpoint(target, (0.05, 0.0, 0.0), cruise)
    assert there.arrived
    moving = velocity_setpoint(target, (3.0, 0.0, 0.0), cruise)
    assert not moving.arrived  # not settled yet
    down = emergency_landing_setpoint((5.0, 5.0, 10.0), 0.0, FACTS)
    assert down.vz == pytest.approx(-FACTS.helicopter.landing_speed)


def test_leg_tracker_flies_the_plan_in_a_point_mass_sim():
    """Check that the leg tracker flies the plan in a point mass sim."""
    plan = plan_retrieval('tube_02', 1, HOME, TUBE, DROP, FACTS)
    battery = Battery(FACTS.helicopter.battery_capacity)
    tracker = LegTracker(plan, battery, FACTS, 0.0)
    position, velocity, now, dt, entered = list(HOME), [0.0, 0.0, 0.0], 0.0, 0.1, []
    progress = []
    while now < 1000.0:
        update = tracker.update(now, position, velocity)
        entered += [step.name for step in update.entered]
        progress.append(update.progress)
        if update.done:
            break
        velocity = [update.setpoint.vx, update.setpoint.vy, update.setpoint.vz]
        position = [p + v * dt for p, v in zip(position, velocity)]
        now += dt
    assert update.done and entered == [step.name for step in plan.timeline]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert math.dist(position[:2], plan.timeline.steps[-1].details['target'][:2]) < 0.3
    assert now == pytest.approx(plan.timeline.total_duration, rel=0.1)
    assert 0.0 < battery.fraction < 1.0 and not tracker.battery_ran_flat


def test_failure_point_is_deterministic_and_airborne():
    """Check that failure point is deterministic and airborne."""
    plan = plan_retrieval('tube_02', 1, HOME, TUBE, DROP, FACTS)
    first = choose_failure_point(plan, 7, 3)
    assert first == choose_failure_point(plan, 7, 3)
    assert plan.timeline.steps[first.step_index].details['airborne']
    points = {choose_failure_point(plan, seed, 3) for seed in range(20)}
    assert len(points) > 1


def test_failure_before_grasp_leaves_the_tube_in_place():
    """Check that failure before grasp leaves the tube in place."""
    plan = plan_retrieval('tube_02', 1, HOME, TUBE, DROP, FACTS)
    outcome = abort_outcome(plan, 1, (50.0, 25.0, 20.0), 0.0)  # during the outbound cruise
    assert outcome.transfer is None and outcome.tube_holder is None
    assert outcome.landing_position == (50.0, 25.0, 0.0)


def test_failure_after_grasp_sets_the_tube_down_and_hops_aside():
    """The tube stays where the helicopter came down; the helicopter ends 1 m further away."""
    plan = plan_retrieval('tube_02', 2, HOME, TUBE, DROP, FACTS)
    outcome = abort_outcome(plan, 7, (40.0, 20.0, 20.0), 1.5)  # return cruise, tube on board
    assert outcome.tube_holder == 'ground'
    assert outcome.tube_position == (40.0, 20.0, 1.5)
    assert outcome.transfer == ('helicopter_2/gripper', 'ground', 'emergency_release')
    landing = outcome.landing_position
    assert math.dist(landing[:2], (40.0, 20.0)) == pytest.approx(EMERGENCY_SIDESTEP)
    assert math.dist(landing[:2], DROP[:2]) > math.dist((40.0, 20.0), DROP[:2])  # away from it
    assert landing[2] == 1.5


def test_invalid_points_are_refused():
    """Check that invalid points are refused."""
    with pytest.raises(Refusal) as error:
        plan_retrieval('tube_02', 1, HOME, (math.nan, 0.0, 0.0), DROP, FACTS)
    assert error.value.code == 'INVALID_GOAL'
