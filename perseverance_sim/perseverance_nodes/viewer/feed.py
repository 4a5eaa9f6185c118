# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Which topics the page shows and how each message lands in the ViewState: one table for both.

The live node subscribes to every route; the replay feeds the recorded messages of the same
topics. Handlers only read attributes, so a live rclpy message and a message decoded from the
bag (mcap_ros2) are taken alike.
"""

from dataclasses import dataclass

import numpy as np

from .view_state import FaultView
from ..ros.contract import (CLOCK, CUSTODY_EVENTS, FAULTS, MISSION_STATUS, model_topic,
                            ROVER_MAST_CAMERA_IMAGE, TUBE_INVENTORY, TUBE_POSES)
from ..ros.stamps import stamp_seconds

# QoS kinds of the routes (the node maps them to ros.contract's profiles).
STREAM, LATCHED_STATE, EVENTS, FAULT_HISTORY = 'stream', 'latched', 'events', 'faults'


@dataclass(frozen=True)
class Route:
    """One topic the page shows: its type ('pkg/msg/Type'), QoS kind and handler."""

    topic: str
    type_name: str
    qos: str
    handler: object


def _xyz(point):
    return (point.x, point.y, point.z)


def _wxyz(quat):
    return (quat.w, quat.x, quat.y, quat.z)


def camera_frame(msg):
    """Return an rgb8 Image's pixels (H x W x 3 uint8), or None for another encoding."""
    if msg.encoding != 'rgb8' or msg.step < 3 * msg.width:
        return None
    rows = np.frombuffer(bytes(msg.data), np.uint8).reshape(msg.height, msg.step)
    return rows[:, :3 * msg.width].reshape(msg.height, msg.width, 3)


class Feed:
    """The routes of the page into one ViewState."""

    def __init__(self, state, fault_kinds, fault_states, clock=None):
        """
        Route into ``state``; ``fault_kinds`` / ``fault_states`` name Fault's constants.

        ``clock()`` returns the wall time for /clock (the real-time factor); without it /clock
        is not routed (a replay sets the sim time itself).
        """
        self.state, self.clock = state, clock
        self.fault_kinds, self.fault_states = fault_kinds, fault_states

    def routes(self):
        """Return every Route: vehicles' odometry, joint states, tubes, mission topics."""
        state, scene = self.state, self.state.scene
        routes = [Route(model_topic(model, 'odometry'), 'nav_msgs/msg/Odometry', STREAM,
                        lambda msg, m=model: state.on_vehicle_pose(
                            m, _xyz(msg.pose.pose.position), _wxyz(msg.pose.pose.orientation)))
                  for model in scene.vehicles]
        routes += [Route(model_topic(model, 'joint_states'), 'sensor_msgs/msg/JointState',
                         STREAM, lambda msg, m=model: state.on_joint_states(
                             m, list(msg.name), list(msg.position)))
                   for model in scene.kinematics]
        routes += [
            Route(TUBE_POSES, 'geometry_msgs/msg/PoseArray', STREAM,
                  lambda msg: state.on_tube_poses(
                      [(_xyz(p.position), _wxyz(p.orientation)) for p in msg.poses])),
            Route(ROVER_MAST_CAMERA_IMAGE, 'sensor_msgs/msg/Image', STREAM, self._on_image),
            Route(TUBE_INVENTORY, 'perseverance_interfaces/msg/TubeInventory', LATCHED_STATE,
                  lambda msg: state.on_inventory(list(msg.tubes))),
            Route(CUSTODY_EVENTS, 'perseverance_interfaces/msg/CustodyEvent', EVENTS,
                  state.on_custody_event),
            Route(FAULTS, 'perseverance_interfaces/msg/Fault', FAULT_HISTORY, self._on_fault),
            Route(MISSION_STATUS, 'perseverance_interfaces/msg/MissionStatus', LATCHED_STATE,
                  state.on_mission_status),
        ]
        if self.clock is not None:
            routes.append(Route(CLOCK, 'rosgraph_msgs/msg/Clock', STREAM, lambda msg: (
                state.on_clock(self.clock(), stamp_seconds(msg.clock)))))
        return routes

    def _on_image(self, msg):
        frame = camera_frame(msg)
        if frame is not None:
            self.state.on_camera_image(frame)

    def _on_fault(self, msg):
        self.state.on_fault(FaultView(
            msg.fault_id, self.fault_kinds.get(msg.kind, str(msg.kind)),
            self.fault_states.get(msg.state, str(msg.state)), msg.target, msg.trigger,
            msg.description, stamp_seconds(msg.header.stamp)))
