# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The lander node: Sample Transfer Arm, Orbiting Sample container and Mars Ascent Vehicle.

Thin over lander.sequences: ``Lander`` plans and plays each goal (lander.logic gives the arm's
joint targets and the container's and MAV's rules); this node translates, implementing
``LanderWorld`` over the world contract, the tube ledger and the goal handle.

Interfaces:
  action  /lander/load_tube  (LoadTube)   arm reaches the tube (ground or the rover's rack),
                                          grasps it, carries it to the container port, inserts it
  action  /lander/launch_mav (LaunchMav)  closes the lid, counts down, lifts off
  sub     /model/lander/joint_states       (JointState)  where the arm is
  pub     /model/lander/arm/joint_trajectory (JointTrajectory)  where the arm goes
  sub     /world/tube_poses (PoseArray)     where the tube is
  sub     /tube_inventory (TubeInventory, transient local)  holder and seal of each tube
  srv cl  /world/attach_tube, /world/detach_tube, /tube_ledger/record

How a tube gets into the container and what lift-off does: see lander/sequences.py.
"""

import threading

from builtin_interfaces.msg import Duration as DurationMsg
from perseverance_interfaces.action import LaunchMav, LoadTube
from rclpy.qos import qos_profile_sensor_data
from rclpy.time import Time
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from .logic import TRANSFER_ARM_JOINTS
from .sequences import ArmSettings, Lander, LanderWorld
from ..domain.facts import load_mission_facts
from ..domain.ports import HandOff, Unanswered
from ..domain.site_layout import LANDER_SITE, LanderSite
from ..domain.tubes import SealState
from ..domain.validation import Refusal
from ..ros.action_server import finish, SingleGoalActionServer
from ..ros.contract import (CONTRACT_QOS, LANDER_ARM_TRAJECTORY, LANDER_JOINT_STATES,
                            LAUNCH_MAV, LOAD_TUBE)
from ..ros.goal_port import RosGoal
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.parameters import declare
from ..ros.service_call import ServiceCallError
from ..ros.tube_client import tube_yaw, TubeClient

LOAD_ERRORS = {
    'INVALID_GOAL': LoadTube.Result.ERROR_INVALID_GOAL,
    'OUT_OF_REACH': LoadTube.Result.ERROR_OUT_OF_REACH,
    'CONTAINER_FULL': LoadTube.Result.ERROR_CONTAINER_FULL,
    'CONTAINER_CLOSED': LoadTube.Result.ERROR_CONTAINER_CLOSED,
    'TUBE_UNSEALED': LoadTube.Result.ERROR_TUBE_UNSEALED,
    'UNKNOWN_TUBE': LoadTube.Result.ERROR_UNKNOWN_TUBE,
    'WORLD': LoadTube.Result.ERROR_WORLD,
    'TIMEOUT': LoadTube.Result.ERROR_TIMEOUT,
    'CANCELED': LoadTube.Result.ERROR_CANCELED,
}
LAUNCH_ERRORS = {
    'INVALID_GOAL': LaunchMav.Result.ERROR_INVALID_GOAL,
    'TOO_FEW_TUBES': LaunchMav.Result.ERROR_TOO_FEW_TUBES,
    'ALREADY_LAUNCHED': LaunchMav.Result.ERROR_ALREADY_LAUNCHED,
    'CANCELED': LaunchMav.Result.ERROR_CANCELED,
}


def _seconds(duration):
    """Return a builtin_interfaces/Duration of ``duration`` seconds."""
    duration = max(float(duration), 0.0)
    whole = int(duration)
    return DurationMsg(sec=whole, nanosec=int(round((duration - whole) * 1e9)) % 1000000000)


class _GoalWorld(RosGoal, LanderWorld):
    """The LanderWorld of one goal: the node's clock, arm and TubeClient, and the goal handle."""

    def __init__(self, node, goal_handle, feedback_type):
        super().__init__(node, goal_handle)
        self.feedback_type = feedback_type

    def feedback(self, stage, progress):
        self.goal_handle.publish_feedback(self.feedback_type(stage=int(stage),
                                                             progress=float(progress)))

    def joints(self):
        return self.node.joints()

    def send_arm(self, waypoints, seconds):
        self.node.send_arm(waypoints, seconds)

    def tube_pose(self, tube_id):
        pose = self.node.world.pose(tube_id)
        if pose is None:
            return None
        return (pose.position.x, pose.position.y, pose.position.z), tube_yaw(pose)

    def ledger_state(self, tube_id):
        state = self.node.world.ledger_state(tube_id)
        return None if state is None else (state.holder, state.seal == SealState.SEALED)

    def attach(self, tube_id, carrier, tolerance):
        try:
            response = self.node.world.attach(tube_id, carrier, tolerance)
        except ServiceCallError as error:
            raise Unanswered(str(error)) from None
        return HandOff(response.success, response.error_msg, response.distance)

    def record(self, tube_id, from_holder, to_holder, action, position):
        self.node.world.record(tube_id, from_holder, to_holder, action, position)


# The transfer arm's parameters: name, default, description, minimum, maximum.
ARM_PARAMETERS = (
    ('duration_scale', 1.0, 'factor on the nominal arm and launch step durations of '
     'mission_facts.yaml (1.0 = nominal; smaller runs them faster)', 0.0, 10.0),
    ('grasp_tolerance', 0.05, 'AttachTube tolerance of the gripper: tube centre to grasp_point '
     '(m); the contract default', 0.001, 0.5),
    ('insert_tolerance', 0.15, 'AttachTube tolerance of the container: tube centre to '
     'container_port (m); the container is a 0.14 m sphere and tubes go in 0.1 m off its '
     'centre', 0.001, 1.0),
    ('reach_tolerance', 0.02, 'the arm has reached a target when every joint is this close '
     '(rad)', 0.001, 0.5),
    ('grasp_accuracy', 0.01, 'before a grasp, the arm corrects its aim until forward kinematics '
     'of the joint states puts the grasp point this close to the target (m)', 0.001, 0.5),
    ('min_move_time', 3.0, 'shortest arm move (s of sim time), whatever duration_scale', 0.1,
     600.0),
    ('settle_timeout', 60.0, 'sim time (s) the arm gets, after a move, to settle within '
     'reach_tolerance before the goal aborts with ERROR_TIMEOUT', 1.0, 3600.0),
)


class LanderNode(LeanNode):
    """ROS wiring of the sample retrieval lander."""

    def __init__(self):
        """Declare parameters, load the facts, subscribe to the world and serve both actions."""
        super().__init__('lander')
        param = self._param
        facts_file = param('facts_file', '', 'mission facts YAML; empty = the packaged '
                           'config/mission_facts.yaml')
        facts = load_mission_facts(facts_file or None)
        capacity = param(
            'container_capacity', facts.lander.container_capacity,
            'tubes the Orbiting Sample container holds (MISSION_FACTS: about 30)',
            1, 99)
        allow_unsealed = param(
            'allow_unsealed', False, 'load tubes that are not sealed (the ledger says which)')
        settings = self._arm_settings()
        service_timeout = param(
            'service_timeout', 10.0, 'wall time (s) a world or ledger service gets to answer',
            0.5, 120.0)

        site = LanderSite(LANDER_SITE)  # where the world puts the lander
        self.lander = Lander(site, facts, settings, capacity, allow_unsealed)
        self.world = TubeClient(self, '/lander', service_timeout)
        self._joints = None
        self._joints_lock = threading.Lock()
        self.create_subscription(JointState, LANDER_JOINT_STATES, self._on_joints,
                                 qos_profile_sensor_data)
        self.arm_pub = self.create_publisher(JointTrajectory, LANDER_ARM_TRAJECTORY,
                                             CONTRACT_QOS)
        self.load_server = SingleGoalActionServer(self, LoadTube, LOAD_TUBE, self._load)
        self.launch_server = SingleGoalActionServer(self, LaunchMav, LAUNCH_MAV, self._launch)
        self.get_logger().info(
            'lander ready at ({:.1f}, {:.1f}): container for {} tubes, unsealed tubes {}'.format(
                site.pose.x, site.pose.y, capacity, 'allowed' if allow_unsealed else 'refused'))

    def _param(self, name, default, description, low=None, high=None):
        return declare(self, name, default, description, low, high, read_only=True)

    def _arm_settings(self):
        """Declare the parameters of the arm's moves and attaches; return ArmSettings."""
        return ArmSettings(**{name: self._param(name, *rest) for name, *rest in ARM_PARAMETERS})

    # -- the arm ----------------------------------------------------------------------------

    def _on_joints(self, msg):
        positions = dict(zip(msg.name, msg.position))
        if all(name in positions for name in TRANSFER_ARM_JOINTS):
            with self._joints_lock:
                self._joints = tuple(positions[name] for name in TRANSFER_ARM_JOINTS)

    def joints(self):
        """Return the latest transfer arm joint positions, or None before any joint states."""
        with self._joints_lock:
            return self._joints

    def send_arm(self, waypoints, seconds):
        """Publish a trajectory through ``waypoints`` (joint vectors), evenly timed."""
        msg = JointTrajectory()
        msg.joint_names = list(TRANSFER_ARM_JOINTS)
        for i, joints in enumerate(waypoints, 1):
            msg.points.append(JointTrajectoryPoint(
                positions=[float(q) for q in joints],
                time_from_start=_seconds(seconds * i / len(waypoints))))
        self.arm_pub.publish(msg)

    # -- the actions ------------------------------------------------------------------------

    def _load(self, goal_handle):
        tube_id = goal_handle.request.tube_id
        result = LoadTube.Result()
        world = _GoalWorld(self, goal_handle, LoadTube.Feedback)
        try:
            plan = self.lander.plan_load(world, tube_id)
        except Refusal as refusal:
            self.get_logger().warning('LoadTube {!r} refused: {}'.format(tube_id, refusal))
            return finish(goal_handle, result, LOAD_ERRORS.get(
                refusal.code, LoadTube.Result.ERROR_INVALID_GOAL), refusal.message)
        outcome = self.lander.load(world, plan)
        if outcome.code:
            self.get_logger().warning('LoadTube {} failed: {}'.format(tube_id, outcome.message))
            return finish(goal_handle, result, LOAD_ERRORS[outcome.code], outcome.message)
        result.container_slot = outcome.slot
        result.tubes_in_container = outcome.tubes_in_container
        return finish(goal_handle, result)

    def _launch(self, goal_handle):
        result = LaunchMav.Result()
        try:
            self.lander.check_launch(goal_handle.request.min_tubes)
        except Refusal as refusal:
            self.get_logger().warning('LaunchMav refused: {}'.format(refusal))
            return finish(goal_handle, result, LAUNCH_ERRORS.get(
                refusal.code, LaunchMav.Result.ERROR_INVALID_GOAL), refusal.message)
        outcome = self.lander.launch(_GoalWorld(self, goal_handle, LaunchMav.Feedback))
        if outcome.code:
            return finish(goal_handle, result, LAUNCH_ERRORS[outcome.code], outcome.message)
        result.tube_ids = list(outcome.tube_ids)
        result.launch_time = Time(nanoseconds=round(outcome.launch_time * 1e9)).to_msg()
        return finish(goal_handle, result)


def main(args=None):
    """Run the lander node."""
    return spin_node(LanderNode, args)
