# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Planar poses and small vector helpers in frame "world" (x east, y north, z up; metres).

Quaternions here use the ROS message order (x, y, z, w), as in geometry_msgs/Quaternion.
"""

from dataclasses import dataclass
import math

from .validation import check_number


@dataclass(frozen=True)
class Pose2D:
    """A pose on the crater floor: position (m) and heading yaw (rad, counter-clockwise from x)."""

    x: float
    y: float
    yaw: float = 0.0

    def to_local(self, x, y):
        """Express the world point (x, y) in this pose's frame (forward, left)."""
        dx, dy = x - self.x, y - self.y
        cos_yaw, sin_yaw = math.cos(self.yaw), math.sin(self.yaw)
        return (cos_yaw * dx + sin_yaw * dy, -sin_yaw * dx + cos_yaw * dy)

    def to_world(self, forward, left):
        """Express the local point (forward, left) in frame "world"."""
        cos_yaw, sin_yaw = math.cos(self.yaw), math.sin(self.yaw)
        return (self.x + cos_yaw * forward - sin_yaw * left,
                self.y + sin_yaw * forward + cos_yaw * left)

    def distance_to(self, x, y):
        """Return the planar distance to the point (x, y) in metres."""
        return math.hypot(x - self.x, y - self.y)

    def bearing_to(self, x, y):
        """Return the heading error (rad, in [-pi, pi]) to face the point (x, y)."""
        return wrap_angle(math.atan2(y - self.y, x - self.x) - self.yaw)


def wrap_angle(angle):
    """Wrap an angle in radians to [-pi, pi)."""
    return (angle + math.pi) % (2.0 * math.pi) - math.pi


def distance(a, b):
    """Return the Euclidean distance between two points of equal dimension."""
    return math.sqrt(sum((p - q) ** 2 for p, q in zip(a, b, strict=True)))


def yaw_to_quaternion(yaw):
    """Return the (x, y, z, w) quaternion of a rotation by ``yaw`` about z."""
    return (0.0, 0.0, math.sin(yaw / 2.0), math.cos(yaw / 2.0))


def quaternion_to_yaw(quaternion):
    """Return the yaw (rad) of an (x, y, z, w) quaternion."""
    x, y, z, w = quaternion
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def rotate_z_axis(quaternion):
    """Return where the body z axis points in the world for an (x, y, z, w) quaternion."""
    x, y, z, w = quaternion
    norm = math.sqrt(x * x + y * y + z * z + w * w)
    if not math.isfinite(norm) or norm < 1e-9:
        raise ValueError(f'quaternion {quaternion!r} is not a finite non-zero rotation')
    x, y, z, w = (c / norm for c in quaternion)
    return (2.0 * (x * z + w * y), 2.0 * (y * z - w * x), 1.0 - 2.0 * (x * x + y * y))


def approach_pose(target_x, target_y, from_x, from_y, standoff):
    """
    Return the Pose2D ``standoff`` metres short of a target on the line from a start point.

    Used to park the rover facing a rock to core, a depot slot or the lander. The pose faces the
    target.
    """
    check_number('standoff', standoff, 0.0, 1000.0, 'm')
    heading = math.atan2(target_y - from_y, target_x - from_x)
    if math.hypot(target_x - from_x, target_y - from_y) < 1e-9:
        heading = 0.0
    return Pose2D(target_x - standoff * math.cos(heading),
                  target_y - standoff * math.sin(heading), heading)
