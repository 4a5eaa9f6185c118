# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Message helpers of the rover: poses and arm trajectories to and from the logic's types."""

from builtin_interfaces.msg import Duration as DurationMsg
from geometry_msgs.msg import Point, Pose, Quaternion
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from .arm import ARM_JOINTS
from ..domain.geometry import Pose2D, quaternion_to_yaw, yaw_to_quaternion


def pose2d(pose):
    """Return the Pose2D of a geometry_msgs/Pose (yaw from its quaternion)."""
    q = pose.orientation
    return Pose2D(pose.position.x, pose.position.y, quaternion_to_yaw((q.x, q.y, q.z, q.w)))


def make_pose(position, quaternion=None, yaw=None):
    """Build a geometry_msgs/Pose from (x, y, z) and an (x, y, z, w) quaternion or a yaw."""
    if quaternion is None:
        quaternion = yaw_to_quaternion(yaw or 0.0)
    msg = Pose()
    msg.position = Point(x=float(position[0]), y=float(position[1]), z=float(position[2]))
    msg.orientation = Quaternion(x=float(quaternion[0]), y=float(quaternion[1]),
                                 z=float(quaternion[2]), w=float(quaternion[3]))
    return msg


def xyz(pose):
    """Return (x, y, z) of a geometry_msgs/Pose."""
    return (pose.position.x, pose.position.y, pose.position.z)


def quat(pose):
    """Return the (x, y, z, w) quaternion of a geometry_msgs/Pose."""
    q = pose.orientation
    return (q.x, q.y, q.z, q.w)


def arm_trajectory(positions, seconds):
    """Return a one-point JointTrajectory of the rover arm reaching ``positions`` in seconds."""
    msg = JointTrajectory()
    msg.joint_names = list(ARM_JOINTS)
    point = JointTrajectoryPoint()
    point.positions = [float(p) for p in positions]
    seconds = max(float(seconds), 0.0)
    point.time_from_start = DurationMsg(sec=int(seconds),
                                        nanosec=int(round((seconds % 1.0) * 1e9)) % 1000000000)
    msg.points = [point]
    return msg
