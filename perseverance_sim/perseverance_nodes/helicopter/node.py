# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The helicopter node: one sample recovery helicopter serving RetrieveTube over helicopter.logic.

One process per vehicle, by namespace: ``--ros-args -r __ns:=/helicopter_1 -p
helicopter:=helicopter_1``. Relative names land in the namespace, the world contract's are
absolute.

Interfaces:
  action  retrieve_tube (RetrieveTube)     one tube per sortie, from where it lies to the lander
  pub     battery       (sensor_msgs/BatteryState, 1 Hz sim time)
  pub/sub /faults       (Fault, transient local)  HELICOPTER_FAILURE aimed at this helicopter
  world   /model/<helicopter>/{cmd_vel,enable,arm/cmd_pos} out, /model/<helicopter>/odometry in,
          /world/tube_poses, /world/attach_tube, /world/detach_tube
  ledger  /tube_inventory in, /tube_ledger/record

A sortie flies plan_retrieval's legs with SortieExecutor: velocity setpoints at control_rate (sim
time) against odometry, turned into the body frame for the world's MulticopterVelocityControl.
The contract has no wheel drive for the helicopter, so the "drive the last metres" legs (DRIVE,
CLEAR) are a hover-taxi a few decimetres up with a precise position loop, then a slow touchdown:
the gripper's grasp point (0.06 m ahead of the body, arm down) ends within centimetres of the
tube and the world's attach tolerance decides. Grasp and release are the contract's attach and
detach, each recorded with the ledger right after the world confirms it.

Faults: a HELICOPTER_FAILURE whose ``target`` is this helicopter, ARMED or ACTIVE, strikes:
  - trigger ``now``: at once (or at the start of the next sortie);
  - ACTIVE with trigger ``flight:<n>``: mission_control fired it for the flight it is dispatching
    (the campaign counts flights across helicopters, so it names the target when it fires): it
    strikes this or the next sortie at choose_failure_point(plan, seed, n);
  - ARMED with trigger ``flight:<n>``: this helicopter's own n-th sortie (use without
    mission_control).
The helicopter then lands straight down where it is (abort_outcome); if it held the tube it opens
the gripper (custody helicopter_N/gripper -> ground) and hops EMERGENCY_SIDESTEP aside so that
another helicopter can reach the tube; it cuts its rotors, publishes the fault ACTIVE
with what happened, aborts with ERROR_HELICOPTER_FAILED and refuses later goals until the fault
is CLEARED.
"""

import dataclasses
import math
import re
import threading

from geometry_msgs.msg import Point, Pose, Twist
from nav_msgs.msg import Odometry
from perseverance_interfaces.action import RetrieveTube
from perseverance_interfaces.msg import Fault
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import BatteryState
from std_msgs.msg import Bool, Float64

from .logic import (Battery, choose_failure_point, emergency_sidestep, FlightLeg, GRASP_REACH,
                    plan_retrieval, ready_time, SortieExecutor)
from ..domain.facts import load_mission_facts
from ..domain.geometry import quaternion_to_yaw
from ..domain.tubes import check_tube_id, GROUND, helicopter_gripper
from ..domain.validation import Refusal
from ..ros.action_server import finish, SingleGoalActionServer, wait_on_clock
from ..ros.contract import CONTRACT_QOS, FAULT_QOS
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.parameters import declare
from ..ros.service_call import ServiceCallError
from ..ros.stamps import clock_seconds
from ..ros.tube_client import TUBE_RADIUS, TubeWorld

_NAME = re.compile(r'^helicopter_([1-9]\d?)$')
_DEPOT_SLOT = re.compile(r'^depot/slot_\d{2}$')
ARM_DOWN, ARM_STOWED = 0.0, 1.4   # rad, arm/cmd_pos (world contract)
POSITION_GAIN = 0.8               # 1/s, position error -> velocity command in the hover loops
HOLD_SPEED = 0.5                  # m/s, cap of the corrections holding a leg's other axes
TOUCHDOWN_SPEED = 0.3             # m/s, last descent of a touchdown
PACK_VOLTAGE = 22.2               # V, six Li-ion cells in series (Ingenuity-like); guess
Result = RetrieveTube.Result

ERRORS = {
    'INVALID_GOAL': Result.ERROR_INVALID_GOAL,
    'UNKNOWN_TUBE': Result.ERROR_UNKNOWN_TUBE,
    'OUT_OF_RANGE': Result.ERROR_OUT_OF_RANGE,
    'BATTERY_LOW': Result.ERROR_BATTERY_LOW,
    'GRASP_FAILED': Result.ERROR_GRASP_FAILED,
    'HELICOPTER_FAILED': Result.ERROR_HELICOPTER_FAILED,
    'WORLD': Result.ERROR_WORLD,
    'TIMEOUT': Result.ERROR_TIMEOUT,
    'CANCELED': Result.ERROR_CANCELED,
}


class SortieEnded(Exception):
    """A sortie stops early: ``code`` is an ERRORS key, ``message`` says why."""

    def __init__(self, code, message):
        """Store the error key and reason."""
        super().__init__(f'{code}: {message}')
        self.code, self.message = code, message


class Strike(Exception):
    """The injected failure strikes now."""


def _clamp(value, limit):
    return max(-limit, min(limit, value))


class HelicopterNode(LeanNode):
    """ROS wiring of one sample recovery helicopter."""

    def __init__(self):
        """Declare parameters, connect to the world and the ledger, serve RetrieveTube."""
        super().__init__('helicopter')

        def param(name, default, description, low=None, high=None):
            return declare(self, name, default, description, low, high, read_only=True)
        self.name = param('helicopter', '', 'world model this node flies (helicopter_<i>, as '
                          'in the world contract); empty = the node namespace, e.g. '
                          '/helicopter_2 -> helicopter_2') or self.get_namespace().strip('/')
        match = _NAME.match(self.name)
        if not match:
            raise ValueError(f'parameter helicopter = {self.name!r} is invalid; allowed: '
                             'helicopter_<i> with i in 1..99 (or run in namespace '
                             '/helicopter_<i>)')
        self.number = int(match.group(1))
        self.seed = param('seed', 1, 'seed of the failure point draws; same seed, same outcome',
                          0, 2**31 - 1)
        self.duration_scale = param(
            'duration_scale', 1.0, 'factor on the grasp and release holds and on solar charging '
            'waits of mission_facts.yaml (flight itself is physics)',
            0.0, 10.0)
        facts_file = param('facts_file', '', 'mission facts YAML; empty = the packaged '
                           'config/mission_facts.yaml')
        self.period = 1.0 / param('control_rate', 20.0, 'velocity setpoints per second of sim '
                                  'time (Hz)', 1.0, 200.0)
        charge = param('battery_charge', 1.0, 'state of charge at start (fraction)',
                       0.0, 1.0)
        self.grasp_tolerance = param(
            'grasp_tolerance', 0.05, 'AttachTube tolerance of the gripper: tube centre to '
            'grasp_point (m); the contract default', 0.001, 0.5)
        self.taxi_height = param('taxi_height', 0.4, 'height of the hover-taxi that replaces '
                                 'driving on wheels (m)', 0.1, 3.0)
        self.position_tolerance = param(
            'position_tolerance', 0.015, 'hover-taxi: horizontal error to reach before the '
            'touchdown over the tube (m)', 0.002, 0.5)
        self.arm_settle = param('arm_settle_time', 2.0, 'sim time (s) the arm takes to go down '
                                'or up', 0.1, 60.0)
        self.leg_margin = param(
            'leg_timeout_margin', 60.0, 'a leg may take twice its planned time plus this (s of '
            'sim time) before the sortie aborts with ERROR_TIMEOUT',
            1.0, 3600.0)
        service_timeout = param('service_timeout', 10.0, 'wall time (s) a world or ledger '
                                'service gets to answer', 0.5, 120.0)

        self.facts = load_mission_facts(facts_file or None)
        heli = self.facts.helicopter
        # Holds are timeline steps: duration_scale compresses them; flight legs are physics.
        self.flight_facts = dataclasses.replace(self.facts, helicopter=dataclasses.replace(
            heli, grasp_duration=heli.grasp_duration * self.duration_scale,
            release_duration=heli.release_duration * self.duration_scale))
        self.battery = Battery(heli.battery_capacity, heli.battery_capacity * charge)
        self.gripper = helicopter_gripper(self.number)
        self.carrier = f'{self.name}::gripper'
        self._lock = threading.Lock()   # battery and fault state, shared with callbacks
        self._odom = None
        self._flying = False            # rotors in use: no solar charging
        self._flights = 0
        self._faults = {}               # fault_id -> Fault aimed at this helicopter, pending
        self._consumed = set()          # fault ids that already struck
        self._out_of_service = None     # Fault that took the helicopter out of service
        self._holding = None            # tube id in the gripper
        self._last_battery_time = None

        prefix = f'/model/{self.name}'
        self.cmd_pub = self.create_publisher(Twist, prefix + '/cmd_vel', CONTRACT_QOS)
        self.enable_pub = self.create_publisher(Bool, prefix + '/enable', CONTRACT_QOS)
        self.arm_pub = self.create_publisher(Float64, prefix + '/arm/cmd_pos', CONTRACT_QOS)
        self.create_subscription(Odometry, prefix + '/odometry', self._on_odom,
                                 qos_profile_sensor_data)
        self.battery_pub = self.create_publisher(BatteryState, 'battery', 10)
        self.fault_pub = self.create_publisher(Fault, '/faults', FAULT_QOS)
        self.create_subscription(Fault, '/faults', self._on_fault, FAULT_QOS)
        self.world = TubeWorld(self, '/' + self.name, service_timeout)
        self.create_timer(1.0, self._battery_tick)
        self.server = SingleGoalActionServer(self, RetrieveTube, 'retrieve_tube', self._execute)
        self.get_logger().info('{} ready: battery {:.0f} %, range {:.0f} m per flight'.format(
            self.name, 100.0 * self.battery.fraction, heli.flight_range))

    # -- state from the world ---------------------------------------------------------------

    def _on_odom(self, msg):
        self._odom = msg

    def _state(self):
        """Return (now s, position, world velocity, yaw) from the latest odometry."""
        msg = self._odom
        pose, twist = msg.pose.pose, msg.twist.twist.linear
        q = pose.orientation
        yaw = quaternion_to_yaw((q.x, q.y, q.z, q.w))
        c, s = math.cos(yaw), math.sin(yaw)
        velocity = (c * twist.x - s * twist.y, s * twist.x + c * twist.y, twist.z)
        position = (pose.position.x, pose.position.y, pose.position.z)
        return clock_seconds(self.get_clock()), position, velocity, yaw

    # -- battery ----------------------------------------------------------------------------

    def _battery_tick(self):
        now = clock_seconds(self.get_clock())
        with self._lock:
            if self._last_battery_time is not None and not self._flying:
                self.battery.recharge(self.facts.helicopter.solar_power,
                                      now - self._last_battery_time)
            self._last_battery_time = now
            fraction, flying = self.battery.fraction, self._flying
        self._publish_battery(fraction, flying)

    def _publish_battery(self, fraction, flying):
        msg = BatteryState()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = f'{self.name}/base_footprint'
        msg.voltage = PACK_VOLTAGE
        msg.temperature = math.nan
        msg.current = math.nan
        capacity = self.battery.capacity / 3600.0 / PACK_VOLTAGE  # J -> Ah
        msg.charge = capacity * fraction
        msg.capacity = msg.design_capacity = capacity
        msg.percentage = fraction
        msg.power_supply_status = (BatteryState.POWER_SUPPLY_STATUS_DISCHARGING if flying else
                                   BatteryState.POWER_SUPPLY_STATUS_FULL if fraction >= 1.0 else
                                   BatteryState.POWER_SUPPLY_STATUS_CHARGING)
        msg.power_supply_technology = BatteryState.POWER_SUPPLY_TECHNOLOGY_LION
        msg.present = True
        self.battery_pub.publish(msg)

    # -- faults -----------------------------------------------------------------------------

    def _on_fault(self, msg):
        if msg.kind != Fault.KIND_HELICOPTER_FAILURE or msg.target != self.name:
            return
        with self._lock:
            if msg.state in (Fault.STATE_ARMED, Fault.STATE_ACTIVE):
                if msg.fault_id not in self._consumed:
                    self._faults[msg.fault_id] = msg
            else:
                self._faults.pop(msg.fault_id, None)
                failed = self._out_of_service
                if msg.state == Fault.STATE_CLEARED and failed and \
                        failed.fault_id == msg.fault_id:
                    self._out_of_service = None
                    self.get_logger().info(f'{msg.fault_id} cleared: {self.name} back in service')

    def _next_fault(self, flight):
        """Return (Fault, flight number for its draw) striking sortie ``flight``, or None."""
        with self._lock:
            for fault in self._faults.values():
                trigger = fault.trigger.strip()
                if trigger in ('now', ''):
                    return fault, flight
                if trigger.startswith('flight:') and trigger[7:].isdigit():
                    number = int(trigger[7:])
                    if fault.state == Fault.STATE_ACTIVE or number == flight:
                        return fault, number
        return None

    def _publish_fault(self, fault, description):
        msg = Fault(fault_id=fault.fault_id, kind=fault.kind, state=Fault.STATE_ACTIVE,
                    target=self.name, trigger=fault.trigger, description=description)
        msg.header.stamp = self.get_clock().now().to_msg()
        self.fault_pub.publish(msg)

    # -- RetrieveTube -----------------------------------------------------------------------

    def _execute(self, goal_handle):
        goal = goal_handle.request
        result = Result()
        try:
            plans = self._plan(goal.tube_id, goal.drop_point)
        except Refusal as refusal:
            self.get_logger().warning(
                'RetrieveTube {!r} refused: {}'.format(goal.tube_id, refusal.message))
            return finish(goal_handle, result, ERRORS.get(refusal.code, Result.ERROR_INVALID_GOAL),
                          refusal.message)
        with self._lock:
            self._flights += 1
            self._flying = True
        sortie = _Sortie(self, goal_handle, goal.tube_id, *plans)
        try:
            code, message = sortie.run()
        finally:
            with self._lock:
                self._flying = False
        result.tube_pose = self.world.pose(goal.tube_id) or Pose()
        result.distance_flown = float(sortie.distance_flown)
        result.battery_remaining = float(self.battery.fraction)
        if code:
            self.get_logger().warning(f'RetrieveTube {goal.tube_id}: {message}')
            return finish(goal_handle, result, ERRORS[code], message)
        self.get_logger().info('{} delivered to ({:.2f}, {:.2f}); flew {:.0f} m, battery {:.0f} %'
                               .format(goal.tube_id, result.tube_pose.position.x,
                                       result.tube_pose.position.y, sortie.distance_flown,
                                       100.0 * self.battery.fraction))
        return finish(goal_handle, result)

    def _plan(self, tube_id, drop_point):
        """Check the goal; return (nominal plan, executed plan, source holder) or Refusal."""
        if self._out_of_service is not None:
            fault = self._out_of_service
            raise Refusal('HELICOPTER_FAILED', f'{self.name} is out of service since '
                          f'{fault.fault_id}; clear that fault to fly again')
        check_tube_id(tube_id)
        drop = (drop_point.x, drop_point.y, drop_point.z)
        if not all(math.isfinite(c) for c in drop):
            raise Refusal('INVALID_GOAL', f'drop_point = {drop!r} is invalid; allowed: finite '
                          'x, y, z in frame "world" (m)')
        if self._holding:
            raise Refusal('INVALID_GOAL', f'the gripper still holds {self._holding}; one tube '
                          'per flight')
        if self._odom is None:
            raise Refusal('WORLD', f'no odometry from the world on /model/{self.name}/odometry')
        tube = self.world.position(tube_id)
        if tube is None:
            raise Refusal('WORLD', 'no /world/tube_poses from the world yet')
        state = self.world.ledger_state(tube_id)
        holder = state.holder if state is not None else GROUND
        if holder != GROUND and not _DEPOT_SLOT.match(holder):
            raise Refusal('INVALID_GOAL', f'{tube_id} is held by {holder}; a helicopter fetches '
                          'tubes lying on the ground (ground or depot/slot_NN)')
        _, start, _, _ = self._state()
        ground = (tube[0], tube[1], tube[2] - TUBE_RADIUS)
        # Range and battery are checked on the nominal plan; the flown one has scaled holds.
        nominal = plan_retrieval(tube_id, self.number, start, ground, drop, self.facts)
        flown = plan_retrieval(tube_id, self.number, start, ground, drop, self.flight_facts)
        with self._lock:  # refuses when even a full battery could not hold it and its reserve
            ready_time(nominal, self.battery, self.facts, 0.0)
        return nominal, flown, holder


class _Sortie:
    """One RetrieveTube sortie: the control loop, the hand-offs and the failure handling."""

    def __init__(self, node, goal_handle, tube_id, nominal, plan, holder):
        """Prepare to fly ``plan`` for ``goal_handle``."""
        self.node, self.goal_handle, self.tube_id = node, goal_handle, tube_id
        self.nominal, self.plan, self.holder = nominal, plan, holder
        self.flight = node._flights
        self.distance_flown = 0.0
        self.failure = None             # (FailurePoint or None for 'now', Fault)
        self.last_position = None
        self.last_feedback = -math.inf
        self.grounds = [step.details['target'][2] for step in plan.timeline
                        if step.details['leg'] in (FlightLeg.LAND, FlightLeg.LAND_AT_LANDER)]
        self.executor = None

    # -- plumbing ---------------------------------------------------------------------------

    def _tick(self, cancellable=True):
        """
        Wait one control period of sim time.

        Raises SortieEnded on cancel or shutdown and, when ``cancellable``, Strike when an
        injected failure's moment has come (never inside a hand-off or the emergency landing).
        """
        handle = self.goal_handle if cancellable else None
        if not wait_on_clock(self.node, self.node.period, handle):
            if self.goal_handle.is_cancel_requested:
                raise SortieEnded('CANCELED', 'cancelled')
            raise SortieEnded('CANCELED', 'shutting down')
        if cancellable:
            self._check_failure()

    def _command(self, world_velocity, yaw):
        """Publish a world-frame velocity as the body-frame cmd_vel the contract takes."""
        vx, vy, vz = world_velocity
        c, s = math.cos(yaw), math.sin(yaw)
        msg = Twist()
        msg.linear.x, msg.linear.y = c * vx + s * vy, -s * vx + c * vy
        msg.linear.z = vz
        self.node.cmd_pub.publish(msg)

    def _rotors(self, on):
        self.node.enable_pub.publish(Bool(data=bool(on)))
        if not on:
            self.node.cmd_pub.publish(Twist())

    def _arm(self, position):
        self.node.arm_pub.publish(Float64(data=float(position)))

    def _wait(self, seconds):
        """Wait ``seconds`` of sim time (not cancellable: used inside hand-offs)."""
        if not wait_on_clock(self.node, seconds):
            raise SortieEnded('CANCELED', 'shutting down')

    def _track(self, position):
        if self.last_position is not None and self.node._flying:
            self.distance_flown += math.dist(position, self.last_position)
        self.last_position = position

    def _feedback(self, stage, progress, position, now, force=False):
        if not force and now - self.last_feedback < 0.5:
            return
        self.last_feedback = now
        ground = min(self.grounds, key=lambda z: abs(position[2] - z)) if self.grounds else 0.0
        msg = RetrieveTube.Feedback(stage=int(stage), progress=float(progress),
                                    position=Point(x=position[0], y=position[1], z=position[2]),
                                    altitude=float(position[2] - ground),
                                    battery=float(self.node.battery.fraction))
        self.goal_handle.publish_feedback(msg)

    # -- the sortie -------------------------------------------------------------------------

    def run(self):
        """Fly the sortie; return (None, '') or (error key, message)."""
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

    def _charge(self):
        """Wait on the pad until the battery holds the sortie and its reserve (scaled wait)."""
        node = self.node
        now = clock_seconds(node.get_clock())
        with node._lock:
            ready = ready_time(self.nominal, node.battery, node.facts, now)  # may refuse
        if ready <= now:
            return
        wait = (ready - now) * node.duration_scale
        node.get_logger().info('{}: charging for {:.0f} s of sun ({:.0f} s at duration_scale '
                               '{})'.format(node.name, ready - now, wait, node.duration_scale))
        with node._lock:
            node._flying = False
        _, position, _, _ = node._state()
        self._feedback(0, 0.0, position, now, force=True)
        if not wait_on_clock(node, wait, self.goal_handle):
            raise SortieEnded('CANCELED', 'cancelled while charging')
        with node._lock:
            node.battery.recharge(node.facts.helicopter.solar_power, ready - now)
            node._flying = True

    def _fly(self):
        node = self.node
        now, position, velocity, yaw = node._state()
        self.executor = SortieExecutor(self.plan, node.battery, node.facts, now)
        self.last_position = position
        while True:
            now, position, velocity, yaw = node._state()
            with node._lock:
                update = self.executor.update(now, position, velocity)
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
            step = self.executor.step
            if now - self.executor.step_start > 2.0 * self.nominal.timeline.steps[
                    self.executor.index].duration + node.leg_margin:
                raise SortieEnded('TIMEOUT', '{}: leg {} not finished after {:.0f} s of sim '
                                  'time ({:.1f} m from its target)'.format(
                                      node.name, step.name, now - self.executor.step_start,
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
            self._arm(ARM_STOWED)
            self._rotors(True)
        elif leg == FlightLeg.DRIVE:
            self._hover_taxi(self._grasp_spot(), self.node.position_tolerance)
        elif leg == FlightLeg.GRASP:
            self._grasp_with_reapproach()
        elif leg == FlightLeg.RELEASE:
            self._release()
        elif leg == FlightLeg.CLEAR:
            self._hover_taxi(step.details['target'][:2], 0.1)

    # -- failure ----------------------------------------------------------------------------

    def _check_failure(self):
        """Raise Strike when an injected HELICOPTER_FAILURE's moment has come."""
        if self.failure is None:
            found = self.node._next_fault(self.flight)
            if found is None:
                return
            fault, number = found
            point = None if fault.trigger.strip() in ('now', '') else \
                choose_failure_point(self.plan, self.node.seed, number)
            self.failure = (point, fault)
            with self.node._lock:
                self.node._consumed.add(fault.fault_id)
                self.node._faults.pop(fault.fault_id, None)
        point = self.failure[0]
        if point is None:
            raise Strike()
        if self.executor is None:
            return
        index = self.executor.index
        step = self.plan.timeline.steps[index]
        now = clock_seconds(self.node.get_clock())
        fraction = (now - self.executor.step_start) / step.duration if step.duration else 1.0
        if index > point.step_index or (
                index == point.step_index and fraction >= point.fraction):
            raise Strike()

    def _fail(self):
        """Emergency landing where it is, drop the tube if held, report; return the result."""
        node = self.node
        point, fault = self.failure
        _, position, _, _ = node._state()
        leg = self.executor.step.name if self.executor else 'takeoff'
        where = '({:.1f}, {:.1f}, {:.1f})'.format(*position)
        node._publish_fault(fault, f'{node.name} failed in flight during {leg} at {where}; '
                            'emergency landing straight down (a held tube is set down and '
                            'the helicopter hops aside)')
        node.get_logger().error(f'{fault.fault_id}: {node.name} failed during {leg} at {where}')
        with node._lock:
            node._out_of_service = fault
        try:
            self._touchdown(node.facts.helicopter.landing_speed, cancellable=False)
        except SortieEnded:
            pass  # landing took too long: cut the rotors anyway
        fate = f'{self.tube_id} left where it was (held by {self.holder})'
        if node._holding:
            try:
                fate = self._drop('emergency_release')
                _, down, _, _ = node._state()
                self._hover_taxi(emergency_sidestep(self.plan, down), 0.1, cancellable=False)
            except SortieEnded as ended:
                fate = f'{self.tube_id}: {ended.message}'
        self._rotors(False)
        _, landed, _, _ = node._state()
        description = (f'{node.name} failed in flight during {leg} at {where}; emergency '
                       'landing at ({:.1f}, {:.1f}); {}'.format(landed[0], landed[1], fate))
        return 'HELICOPTER_FAILED', description

    def _safe_stop(self):
        """After a timeout or world error: land where it is and cut the rotors."""
        try:
            self._touchdown(self.node.facts.helicopter.landing_speed, cancellable=False)
        except SortieEnded:
            pass
        self._rotors(False)

    def _land_after_cancel(self, message):
        """Land where it is after a cancel; a tube in the gripper stays there."""
        self._safe_stop()
        held = self.node._holding
        what = f'{held} still in the gripper' if held else f'{self.tube_id} left where it was'
        return 'CANCELED', f'{message}; {self.node.name} landed where it was, {what}'

    # -- close-range manoeuvres -------------------------------------------------------------

    def _touchdown(self, speed, cancellable=True):
        """Descend straight down at ``speed`` until the ground stops the helicopter."""
        node = self.node
        began, start, _, _ = node._state()
        hold = start[:2]
        # Heights here are above the lowest planned landing spot: a generous bound.
        limit = max(start[2] - min(self.grounds, default=0.0), 0.0) / speed + node.leg_margin
        still = 0
        while True:
            now, position, velocity, yaw = node._state()
            self._track(position)
            still = 0 if velocity[2] < -0.05 else still + 1
            if still * node.period >= 0.5 and now - began >= 1.0:
                return
            if now - began > limit:
                raise SortieEnded('TIMEOUT', f'{node.name}: no touchdown within {limit:.0f} s')
            with node._lock:
                node.battery.drain(node.facts.helicopter.hover_power, node.period)
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
        node = self.node
        speed = node.facts.helicopter.drive_speed
        _, start, _, _ = node._state()
        height = start[2] + node.taxi_height
        self._rotors(True)
        settled = 0
        limit = clock_seconds(node.get_clock()) + math.dist(start[:2], target) / speed \
            + node.leg_margin
        while True:
            now, position, velocity, yaw = node._state()
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
            if settled * node.period >= 0.5:
                break
            if now > limit:
                raise SortieEnded('TIMEOUT', '{}: hover-taxi to ({:.2f}, {:.2f}) still {:.2f} m '
                                  'off'.format(node.name, target[0], target[1], error))
            self._tick(cancellable)
        self._descend_onto(target, cancellable)
        self._rotors(False)

    def _descend_onto(self, target, cancellable=True):
        """Slow touchdown holding ``target`` (x, y) firmly."""
        node = self.node
        still, start = 0, clock_seconds(node.get_clock())
        while True:
            now, position, velocity, yaw = node._state()
            self._track(position)
            vx = _clamp(2.0 * POSITION_GAIN * (target[0] - position[0]), 0.2)
            vy = _clamp(2.0 * POSITION_GAIN * (target[1] - position[1]), 0.2)
            self._command((vx, vy, -TOUCHDOWN_SPEED), yaw)
            still = 0 if velocity[2] < -0.05 else still + 1
            if still * node.period >= 0.5 and now - start > 0.5:
                return
            if now - start > node.taxi_height / TOUCHDOWN_SPEED + node.leg_margin:
                raise SortieEnded('TIMEOUT', f'{node.name}: no touchdown at the tube')
            self._tick(cancellable)

    def _grasp_spot(self):
        """Return where the body must stand for the grasp point (arm down) to be on the tube."""
        tube = self.node.world.position(self.tube_id)
        _, _, _, yaw = self.node._state()
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
                self.node.get_logger().warning('{}; re-approaching ({}/{})'.format(
                    ended.message, attempt, attempts - 1))
                self._hover_taxi(self._grasp_spot(), self.node.position_tolerance)

    def _grasp(self):
        """Arm down, attach within tolerance (the world decides), record, arm up."""
        node = self.node
        self._rotors(False)
        self._arm(ARM_DOWN)
        self._wait(node.arm_settle)
        response = None
        for _ in range(5):  # the arm may still be settling: a few tries, 0.5 s apart
            try:
                response = node.world.attach(self.tube_id, node.carrier, node.grasp_tolerance)
            except ServiceCallError as error:
                raise SortieEnded('WORLD', f'{self.tube_id}: grasp: {error}') from None
            if response.success:
                break
            if response.error_code != response.ERROR_OUT_OF_TOLERANCE:
                break
            self._wait(0.5)
        if not response.success:
            self._arm(ARM_STOWED)
            raise SortieEnded('GRASP_FAILED', '{}: the world refused the grasp ({:.3f} m from '
                              'the grasp point, tolerance {:.3f} m): {}'.format(
                                  self.tube_id, response.distance, node.grasp_tolerance,
                                  response.error_msg))
        node._holding = self.tube_id
        node.world.record(self.tube_id, self.holder, node.gripper, 'grasp',
                          node.world.position(self.tube_id))
        self.holder = node.gripper
        self._arm(ARM_STOWED)
        self._wait(node.arm_settle)

    def _release(self):
        """Touch down, arm down, detach, record the tube on the ground, arm up."""
        node = self.node
        self._touchdown(TOUCHDOWN_SPEED)
        self._rotors(False)
        self._arm(ARM_DOWN)
        self._wait(node.arm_settle)
        self._drop('release')
        self._arm(ARM_STOWED)
        self._wait(node.arm_settle)

    def _drop(self, action):
        """Detach the held tube, let it settle, record it on the ground; return what happened."""
        node = self.node
        try:
            response = node.world.detach(self.tube_id)
        except ServiceCallError as error:
            raise SortieEnded('WORLD', f'{self.tube_id}: release: {error}') from None
        if not response.success:
            raise SortieEnded('WORLD', f'{self.tube_id}: the world refused the release: '
                              f'{response.error_msg}')
        node._holding = None
        self._wait(1.0)  # a fresh tube pose after the short fall
        where = node.world.position(self.tube_id)
        node.world.record(self.tube_id, node.gripper, GROUND, action, where)
        self.holder = GROUND
        return '{} left on the ground at ({:.2f}, {:.2f})'.format(self.tube_id, *where[:2])


# Legs whose start runs a blocking manoeuvre or hand-off.
_SYNCHRONOUS = (FlightLeg.DRIVE, FlightLeg.GRASP, FlightLeg.RELEASE, FlightLeg.CLEAR)


def main(args=None):
    """Run the helicopter node."""
    return spin_node(HelicopterNode, args)
