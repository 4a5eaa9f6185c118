# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
ROS message conversion for the world node.

Engine values (numpy arrays, plugins.Odometry, plugins.JointStates, transforms.Transform) in,
ROS messages out; incoming commands are validated here and turned into engine arguments, raising
``ValueError`` with the reason when they are unusable (NaN, unknown names, inconsistent sizes).
"""

import array
import math

from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point, Pose, PoseArray, Quaternion
from nav_msgs.msg import Odometry
import numpy as np
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import CameraInfo, Image, JointState

from .plugins import TrajectoryPoint
from ..ros.stamps import stamp_seconds

WORLD_FRAME = 'world'


# ---------------------------------------------------------------------- out
def stamp(seconds):
    """builtin_interfaces/Time of a sim time in seconds."""
    nanoseconds = int(round(seconds * 1e9))
    return Time(sec=nanoseconds // 1_000_000_000, nanosec=nanoseconds % 1_000_000_000)


def clock(seconds):
    """rosgraph_msgs/Clock at a sim time."""
    return Clock(clock=stamp(seconds))


def odometry(odom):
    """nav_msgs/Odometry from plugins.Odometry (pose in frame_id, twist in child_frame_id)."""
    msg = Odometry()
    msg.header.stamp = stamp(odom.stamp)
    msg.header.frame_id = odom.frame_id
    msg.child_frame_id = odom.child_frame_id
    p, q = msg.pose.pose.position, msg.pose.pose.orientation
    p.x, p.y, p.z = np.asarray(odom.position, dtype=float).tolist()
    q.x, q.y, q.z, q.w = np.asarray(odom.orientation_xyzw, dtype=float).tolist()
    lin, ang = msg.twist.twist.linear, msg.twist.twist.angular
    lin.x, lin.y, lin.z = np.asarray(odom.linear, dtype=float).tolist()
    ang.x, ang.y, ang.z = np.asarray(odom.angular, dtype=float).tolist()
    return msg


def joint_state(states):
    """sensor_msgs/JointState from plugins.JointStates."""
    msg = JointState()
    msg.header.stamp = stamp(states.stamp)
    msg.name = list(states.names)
    msg.position = np.asarray(states.position, dtype=float).tolist()
    msg.velocity = np.asarray(states.velocity, dtype=float).tolist()
    msg.effort = np.asarray(states.effort, dtype=float).tolist()
    return msg


def pose_array(positions, quaternions, seconds, frame_id=WORLD_FRAME):
    """geometry_msgs/PoseArray of (n, 3) positions and (n, 4) w-x-y-z quaternions, in order."""
    msg = PoseArray()
    msg.header.stamp = stamp(seconds)
    msg.header.frame_id = frame_id
    msg.poses = [Pose(position=Point(x=x, y=y, z=z), orientation=Quaternion(x=qx, y=qy, z=qz,
                                                                            w=qw))
                 for (x, y, z), (qw, qx, qy, qz) in zip(np.asarray(positions).tolist(),
                                                        np.asarray(quaternions).tolist())]
    return msg


def image(pixels, seconds, frame_id):
    """sensor_msgs/Image (rgb8) of an (height, width, 3) uint8 array."""
    msg = Image()
    msg.header.stamp = stamp(seconds)
    msg.header.frame_id = frame_id
    msg.height, msg.width = int(pixels.shape[0]), int(pixels.shape[1])
    msg.encoding = 'rgb8'
    msg.is_bigendian = 0
    msg.step = msg.width * 3
    msg.data = array.array('B', pixels.tobytes())
    return msg


def camera_info(camera, seconds, frame_id):
    """sensor_msgs/CameraInfo of an ideal pinhole with the sensor's size and horizontal FOV."""
    fx = camera.width / (2.0 * math.tan(camera.horizontal_fov / 2.0))
    cx, cy = camera.width / 2.0, camera.height / 2.0
    msg = CameraInfo()
    msg.header.stamp = stamp(seconds)
    msg.header.frame_id = frame_id
    msg.width, msg.height = int(camera.width), int(camera.height)
    msg.distortion_model = 'plumb_bob'
    msg.d = [0.0] * 5
    msg.k = [fx, 0.0, cx, 0.0, fx, cy, 0.0, 0.0, 1.0]
    msg.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    msg.p = [fx, 0.0, cx, 0.0, 0.0, fx, cy, 0.0, 0.0, 0.0, 1.0, 0.0]
    return msg


def camera_topics(sensor):
    """(image topic, camera_info topic, frame_id) of a camera sensor, as gz-sim names them."""
    model = sensor.scoped_name.split('::')[0]
    topic = sensor.topic or '/model/{}/{}/image'.format(model, sensor.name)
    info = topic.rsplit('/', 1)[0] + '/camera_info'
    return topic, info, '{}/{}'.format(model, sensor.name)


# ---------------------------------------------------------------------- in
def _finite(values, what):
    values = [float(v) for v in values]
    if not all(math.isfinite(v) for v in values):
        raise ValueError('{} has a non-finite value: {}'.format(what, values))
    return values


def twist(msg):
    """(linear xyz, angular xyz) of a geometry_msgs/Twist; ValueError on NaN or inf."""
    linear = _finite((msg.linear.x, msg.linear.y, msg.linear.z), 'twist linear')
    angular = _finite((msg.angular.x, msg.angular.y, msg.angular.z), 'twist angular')
    return linear, angular


def finite(value, what):
    """Return a float, ValueError if NaN or inf."""
    return _finite([value], what)[0]


def trajectory(msg, known_joints):
    """
    (joint names, [TrajectoryPoint]) of a trajectory_msgs/JointTrajectory.

    ``known_joints`` are the joint names (without model prefix) the target controller drives.
    Raises ValueError naming the problem: no joints, duplicated or unknown joints, points whose
    sizes do not match, non-finite values, negative times.
    """
    names = list(msg.joint_names)
    if not names:
        raise ValueError('trajectory names no joints')
    if len(set(names)) != len(names):
        raise ValueError('trajectory names a joint twice: {}'.format(names))
    unknown = [n for n in names if n not in known_joints]
    if unknown:
        raise ValueError('unknown joint(s) {} (known: {})'.format(unknown, sorted(known_joints)))
    points = []
    for i, pt in enumerate(msg.points):
        tfs = stamp_seconds(pt.time_from_start)
        if tfs < 0:
            raise ValueError('point {} has a negative time_from_start'.format(i))
        if len(pt.positions) != len(names):
            raise ValueError('point {} has {} positions for {} joints'.format(
                i, len(pt.positions), len(names)))
        positions = _finite(pt.positions, 'point {} positions'.format(i))
        velocities = None
        if len(pt.velocities):
            if len(pt.velocities) != len(names):
                raise ValueError('point {} has {} velocities for {} joints'.format(
                    i, len(pt.velocities), len(names)))
            velocities = _finite(pt.velocities, 'point {} velocities'.format(i))
        points.append(TrajectoryPoint(tfs, positions, velocities))
    return names, points
