# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""The rover's ``RoverPort`` over ROS for one goal: its body, its tube client, the goal handle."""

from .executors import RoverPort
from .ros_io import quat, xyz
from ..domain.validation import Refusal
from ..ros.goal_port import RosGoal
from ..ros.service_call import ServiceCallError


class RosRoverPort(RosGoal, RoverPort):
    """The ``RoverPort`` of one goal: the node's body and tubes, the goal's cancel and feedback."""

    def __init__(self, node, goal_handle, feedback_type):
        """Serve one goal of ``node``; feedback messages are of ``feedback_type``."""
        super().__init__(node, goal_handle)
        self.feedback_type = feedback_type
        self.pose, self.at_rest = node.body.pose, node.body.at_rest
        self.drive, self.send_arm, self.faults = (node.body.drive, node.body.send_arm,
                                                  node.faults_for)

    def tube_pose(self, tube_id):
        """Return the tube's ((x, y, z), quaternion) from /world/tube_poses; Refusal WORLD."""
        pose = self.node.tubes.pose(tube_id)
        if pose is None:
            raise Refusal('WORLD', 'no tube poses for {} on the world contract'.format(tube_id))
        return xyz(pose), quat(pose)

    def release(self, tube_id):
        """Detach the tube in the world; return where it was released from."""
        try:
            response = self.node.tubes.detach(tube_id)
        except ServiceCallError as error:
            raise Refusal('TIMEOUT', str(error)) from error
        if not response.success:
            raise Refusal('WORLD', 'the world refused to release {}: {}'.format(
                tube_id, response.error_msg))
        return response.released_from

    def record(self, tube_id, from_holder, to_holder, action, position, changes=None):
        """Record a custody event with the ledger; Refusal WORLD when it is not recorded."""
        ok, message = self.node.tubes.record(tube_id, from_holder, to_holder, action, position,
                                             changes)
        if not ok:
            raise Refusal('WORLD', message)

    def feedback(self, stage, progress, **fields):
        """Publish a feedback message of the goal; NavigateTo's carries the current pose too."""
        msg = self.feedback_type(stage=int(stage), progress=float(progress))
        for name, value in fields.items():
            setattr(msg, name, type(getattr(msg, name))(value))
        if hasattr(msg, 'current_pose') and self.node.body.odometry is not None:
            msg.current_pose = self.node.body.odometry.pose.pose
        self.goal_handle.publish_feedback(msg)
