# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The helicopter node: one sample recovery helicopter serving RetrieveTube over helicopter.sortie.

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

What a sortie does (flight, hand-offs, failures) is sortie.Sortie; this module only wires it:
parameters, topics, services and the action server, and messages to and from plain values
(``_RosSortieWorld``).
"""

import math
import re

from geometry_msgs.msg import Point, Pose, Twist
from nav_msgs.msg import Odometry
from perseverance_interfaces.action import RetrieveTube
from perseverance_interfaces.msg import Fault
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import BatteryState
from std_msgs.msg import Bool, Float64

from .logic import Battery
from .sortie import (check_goal, FailureFault, Motion, plan_sortie, Sortie, SortieConfig,
                     SortieWorld, Vehicle)
from ..domain.facts import load_mission_facts
from ..domain.geometry import quaternion_to_yaw
from ..domain.ports import HandOff, Unanswered
from ..domain.tubes import GROUND
from ..domain.validation import Refusal
from ..ros.action_server import finish, SingleGoalActionServer
from ..ros.contract import CONTRACT_QOS, FAULT_QOS
from ..ros.goal_port import RosGoal
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.parameters import declare
from ..ros.service_call import ServiceCallError
from ..ros.stamps import clock_seconds
from ..ros.tube_client import TUBE_RADIUS, TubeClient

_NAME = re.compile(r'^helicopter_([1-9]\d?)$')
PACK_VOLTAGE = 22.2               # V, six Li-ion cells in series (Ingenuity-like); guess
Result = RetrieveTube.Result

ERRORS = {key: getattr(Result, 'ERROR_' + key) for key in (  # sortie error key -> code
    'INVALID_GOAL', 'UNKNOWN_TUBE', 'OUT_OF_RANGE', 'BATTERY_LOW', 'GRASP_FAILED',
    'HELICOPTER_FAILED', 'WORLD', 'TIMEOUT', 'CANCELED')}


class HelicopterNode(LeanNode):
    """ROS wiring of one sample recovery helicopter."""

    def __init__(self):
        """Declare parameters, connect to the world and the ledger, serve RetrieveTube."""
        super().__init__('helicopter')
        self.config, charge, service_timeout = self._declare_parameters()
        self.name = self.config.name
        heli = self.config.facts.helicopter
        self.vehicle = Vehicle(Battery(heli.battery_capacity, heli.battery_capacity * charge),
                               heli.solar_power)
        self._odom = None

        prefix = f'/model/{self.name}'
        self.cmd_pub = self.create_publisher(Twist, prefix + '/cmd_vel', CONTRACT_QOS)
        self.enable_pub = self.create_publisher(Bool, prefix + '/enable', CONTRACT_QOS)
        self.arm_pub = self.create_publisher(Float64, prefix + '/arm/cmd_pos', CONTRACT_QOS)
        self.create_subscription(Odometry, prefix + '/odometry', self._on_odom,
                                 qos_profile_sensor_data)
        self.battery_pub = self.create_publisher(BatteryState, 'battery', 10)
        self.fault_pub = self.create_publisher(Fault, '/faults', FAULT_QOS)
        self.create_subscription(Fault, '/faults', self._on_fault, FAULT_QOS)
        self.world = TubeClient(self, '/' + self.name, service_timeout)
        self.create_timer(1.0, self._battery_tick)
        self.server = SingleGoalActionServer(self, RetrieveTube, 'retrieve_tube', self._execute)
        self.get_logger().info('{} ready: battery {:.0f} %, range {:.0f} m per flight'.format(
            self.name, 100.0 * self.vehicle.battery.fraction, heli.flight_range))

    def _declare_parameters(self):
        """Return (SortieConfig, initial charge fraction, service timeout s)."""
        def param(name, default, description, low=None, high=None):
            return declare(self, name, default, description, low, high, read_only=True)
        name = param('helicopter', '', 'world model this node flies (helicopter_<i>, as '
                     'in the world contract); empty = the node namespace, e.g. '
                     '/helicopter_2 -> helicopter_2') or self.get_namespace().strip('/')
        match = _NAME.match(name)
        if not match:
            raise ValueError(f'parameter helicopter = {name!r} is invalid; allowed: '
                             'helicopter_<i> with i in 1..99 (or run in namespace '
                             '/helicopter_<i>)')
        seed = param('seed', 1, 'seed of the failure point draws; same seed, same outcome',
                     0, 2**31 - 1)
        duration_scale = param(
            'duration_scale', 1.0, 'factor on the grasp and release holds and on solar charging '
            'waits of mission_facts.yaml (flight itself is physics)', 0.0, 10.0)
        facts_file = param('facts_file', '', 'mission facts YAML; empty = the packaged '
                           'config/mission_facts.yaml')
        period = 1.0 / param('control_rate', 20.0, 'velocity setpoints per second of sim '
                             'time (Hz)', 1.0, 200.0)
        charge = param('battery_charge', 1.0, 'state of charge at start (fraction)', 0.0, 1.0)
        grasp_tolerance = param(
            'grasp_tolerance', 0.05, 'AttachTube tolerance of the gripper: tube centre to '
            'grasp_point (m); the contract default', 0.001, 0.5)
        taxi_height = param('taxi_height', 0.4, 'height of the hover-taxi that replaces '
                            'driving on wheels (m)', 0.1, 3.0)
        position_tolerance = param(
            'position_tolerance', 0.015, 'hover-taxi: horizontal error to reach before the '
            'touchdown over the tube (m)', 0.002, 0.5)
        arm_settle = param('arm_settle_time', 2.0, 'sim time (s) the arm takes to go down '
                           'or up', 0.1, 60.0)
        leg_margin = param(
            'leg_timeout_margin', 60.0, 'a leg may take twice its planned time plus this (s of '
            'sim time) before the sortie aborts with ERROR_TIMEOUT', 1.0, 3600.0)
        service_timeout = param('service_timeout', 10.0, 'wall time (s) a world or ledger '
                                'service gets to answer', 0.5, 120.0)
        config = SortieConfig(
            name, int(match.group(1)), seed, load_mission_facts(facts_file or None),
            duration_scale, period, grasp_tolerance, taxi_height, position_tolerance,
            arm_settle, leg_margin)
        return config, charge, service_timeout

    # -- state from the world ---------------------------------------------------------------

    def _on_odom(self, msg):
        self._odom = msg

    def motion(self):
        """Return the Motion (now s, position, world velocity, yaw) of the latest odometry."""
        msg = self._odom
        pose, twist = msg.pose.pose, msg.twist.twist.linear
        q = pose.orientation
        yaw = quaternion_to_yaw((q.x, q.y, q.z, q.w))
        c, s = math.cos(yaw), math.sin(yaw)
        velocity = (c * twist.x - s * twist.y, s * twist.x + c * twist.y, twist.z)
        position = (pose.position.x, pose.position.y, pose.position.z)
        return Motion(clock_seconds(self.get_clock()), position, velocity, yaw)

    # -- battery and faults -----------------------------------------------------------------

    def _battery_tick(self):
        fraction, flying = self.vehicle.solar_tick(clock_seconds(self.get_clock()))
        msg = BatteryState()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = f'{self.name}/base_footprint'
        msg.voltage = PACK_VOLTAGE
        msg.temperature = math.nan
        msg.current = math.nan
        capacity = self.vehicle.battery.capacity / 3600.0 / PACK_VOLTAGE  # J -> Ah
        msg.charge = capacity * fraction
        msg.capacity = msg.design_capacity = capacity
        msg.percentage = fraction
        msg.power_supply_status = (BatteryState.POWER_SUPPLY_STATUS_DISCHARGING if flying else
                                   BatteryState.POWER_SUPPLY_STATUS_FULL if fraction >= 1.0 else
                                   BatteryState.POWER_SUPPLY_STATUS_CHARGING)
        msg.power_supply_technology = BatteryState.POWER_SUPPLY_TECHNOLOGY_LION
        msg.present = True
        self.battery_pub.publish(msg)

    def _on_fault(self, msg):
        if msg.kind != Fault.KIND_HELICOPTER_FAILURE or msg.target != self.name:
            return
        fault = FailureFault(msg.fault_id, msg.trigger, msg.state == Fault.STATE_ACTIVE)
        pending = msg.state in (Fault.STATE_ARMED, Fault.STATE_ACTIVE)
        if self.vehicle.note_fault(fault, pending, msg.state == Fault.STATE_CLEARED):
            self.get_logger().info(f'{msg.fault_id} cleared: {self.name} back in service')

    def publish_fault(self, fault, description):
        """Publish a FailureFault ACTIVE on /faults with ``description``."""
        msg = Fault(fault_id=fault.fault_id, kind=Fault.KIND_HELICOPTER_FAILURE,
                    state=Fault.STATE_ACTIVE, target=self.name, trigger=fault.trigger,
                    description=description)
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
        outcome = Sortie(_RosSortieWorld(self, goal_handle), self.config, self.vehicle,
                         goal.tube_id, *plans).run()
        result.tube_pose = self.world.pose(goal.tube_id) or Pose()
        result.distance_flown = float(outcome.distance_flown)
        result.battery_remaining = float(outcome.battery_remaining)
        if outcome.code:
            self.get_logger().warning(f'RetrieveTube {goal.tube_id}: {outcome.message}')
            return finish(goal_handle, result, ERRORS[outcome.code], outcome.message)
        self.get_logger().info('{} delivered to ({:.2f}, {:.2f}); flew {:.0f} m, battery {:.0f} %'
                               .format(goal.tube_id, result.tube_pose.position.x,
                                       result.tube_pose.position.y, outcome.distance_flown,
                                       100.0 * outcome.battery_remaining))
        return finish(goal_handle, result)

    def _plan(self, tube_id, drop_point):
        """Check the goal; return (nominal plan, flown plan, source holder) or Refusal."""
        drop = (drop_point.x, drop_point.y, drop_point.z)
        check_goal(self.config, self.vehicle, tube_id, drop)
        if self._odom is None:
            raise Refusal('WORLD', f'no odometry from the world on /model/{self.name}/odometry')
        tube = self.world.position(tube_id)
        if tube is None:
            raise Refusal('WORLD', 'no /world/tube_poses from the world yet')
        state = self.world.ledger_state(tube_id)
        holder = state.holder if state is not None else GROUND
        ground = (tube[0], tube[1], tube[2] - TUBE_RADIUS)
        return plan_sortie(self.config, self.vehicle, tube_id, self.motion().position, ground,
                           drop, holder)


class _RosSortieWorld(RosGoal, SortieWorld):
    """SortieWorld over the node's topics and services and one goal handle."""

    def motion(self):
        """Return the latest Motion."""
        return self.node.motion()

    def send_velocity(self, vx, vy, vz):
        """Publish cmd_vel (body frame)."""
        msg = Twist()
        msg.linear.x, msg.linear.y, msg.linear.z = vx, vy, vz
        self.node.cmd_pub.publish(msg)

    def enable_rotors(self, on):
        """Publish enable."""
        self.node.enable_pub.publish(Bool(data=bool(on)))

    def move_arm(self, angle):
        """Publish arm/cmd_pos."""
        self.node.arm_pub.publish(Float64(data=float(angle)))

    def tube_position(self, tube_id):
        """Return the tube's latest position from /world/tube_poses."""
        return self.node.world.position(tube_id)

    def attach(self, tube_id, carrier, tolerance):
        """Call /world/attach_tube."""
        try:
            response = self.node.world.attach(tube_id, carrier, tolerance)
        except ServiceCallError as error:
            raise Unanswered(str(error)) from None
        return HandOff(response.success, response.error_msg, response.distance,
                       response.error_code == response.ERROR_OUT_OF_TOLERANCE)

    def detach(self, tube_id):
        """Call /world/detach_tube."""
        try:
            response = self.node.world.detach(tube_id)
        except ServiceCallError as error:
            raise Unanswered(str(error)) from None
        return HandOff(response.success, response.error_msg)

    def record(self, tube_id, from_holder, to_holder, action, position):
        """Report custody to the ledger; TubeClient logs a failure."""
        self.node.world.record(tube_id, from_holder, to_holder, action, position)

    def feedback(self, stage, progress, position, altitude, battery):
        """Publish RetrieveTube feedback."""
        self.goal_handle.publish_feedback(RetrieveTube.Feedback(
            stage=stage, progress=progress,
            position=Point(x=position[0], y=position[1], z=position[2]),
            altitude=altitude, battery=battery))

    def report_failure(self, fault, description):
        """Publish the fault ACTIVE."""
        self.node.publish_fault(fault, description)


def main(args=None):
    """Run the helicopter node."""
    return spin_node(HelicopterNode, args)
