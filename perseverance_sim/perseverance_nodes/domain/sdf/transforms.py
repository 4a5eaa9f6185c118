# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Rigid transforms for SDF poses (quaternions are w, x, y, z internally, like MuJoCo)."""

from dataclasses import dataclass, field
import math

import numpy as np


def quat_mul(a, b):
    """Hamilton product of two w-x-y-z quaternions."""
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return np.array([
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    ])


def quat_conj(q):
    """Conjugate (inverse for unit quaternions)."""
    return np.array([q[0], -q[1], -q[2], -q[3]])


def quat_to_mat(q):
    """Rotation matrix of a unit w-x-y-z quaternion."""
    w, x, y, z = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


def mat_to_quat(m):
    """Convert a rotation matrix to a unit w-x-y-z quaternion (w >= 0)."""
    m = np.asarray(m, dtype=float)
    tr = m[0, 0] + m[1, 1] + m[2, 2]
    if tr > 0:
        s = math.sqrt(tr + 1.0) * 2
        q = [0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s,
             (m[1, 0] - m[0, 1]) / s]
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2
        q = [(m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s,
             (m[0, 2] + m[2, 0]) / s]
    elif m[1, 1] > m[2, 2]:
        s = math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2
        q = [(m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s,
             (m[1, 2] + m[2, 1]) / s]
    else:
        s = math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2
        q = [(m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s,
             (m[1, 2] + m[2, 1]) / s, 0.25 * s]
    q = np.array(q)
    q /= np.linalg.norm(q)
    return q if q[0] >= 0 else -q


def rpy_to_quat(roll, pitch, yaw):
    """Quaternion of SDF fixed-axis roll-pitch-yaw (R = Rz(yaw) Ry(pitch) Rx(roll))."""
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return np.array([
        cr * cp * cy + sr * sp * sy,
        sr * cp * cy - cr * sp * sy,
        cr * sp * cy + sr * cp * sy,
        cr * cp * sy - sr * sp * cy,
    ])


def quat_to_rpy(q):
    """Roll, pitch, yaw of a w-x-y-z quaternion (inverse of rpy_to_quat)."""
    w, x, y, z = q
    roll = math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x))))
    yaw = math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return roll, pitch, yaw


def yaw_of(q):
    """Heading (rotation about world z) of a w-x-y-z quaternion."""
    w, x, y, z = q
    return math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))


@dataclass
class Transform:
    """A rigid transform X_AB: pose of frame B expressed in frame A."""

    pos: np.ndarray = field(default_factory=lambda: np.zeros(3))
    quat: np.ndarray = field(default_factory=lambda: np.array([1.0, 0.0, 0.0, 0.0]))

    def __post_init__(self):
        """Coerce to float arrays and normalise the quaternion."""
        self.pos = np.asarray(self.pos, dtype=float).reshape(3)
        q = np.asarray(self.quat, dtype=float).reshape(4)
        self.quat = q / np.linalg.norm(q)

    @classmethod
    def unchecked(cls, pos, quat):
        """Wrap a float array position and a unit w-x-y-z quaternion as they are (no copies)."""
        transform = cls.__new__(cls)
        transform.pos, transform.quat = pos, quat
        return transform

    def __mul__(self, other):
        """Compose: X_AC = X_AB * X_BC."""
        # The product of unit quaternions is one: skip __post_init__ (the world node composes
        # thousands of these per second of wall time).
        w, x, y, z = self.quat.tolist()
        vx, vy, vz = other.pos.tolist()
        # v + 2w (u x v) + 2 u x (u x v), u = (x, y, z): rotate other.pos by self.quat
        cx, cy, cz = y * vz - z * vy, z * vx - x * vz, x * vy - y * vx
        pos = np.array([vx + 2 * (w * cx + y * cz - z * cy),
                        vy + 2 * (w * cy + z * cx - x * cz),
                        vz + 2 * (w * cz + x * cy - y * cx)]) + self.pos
        return Transform.unchecked(pos, quat_mul(self.quat, other.quat))

    def inverse(self):
        """Return X_BA."""
        qi = quat_conj(self.quat)
        return Transform(-(quat_to_mat(qi) @ self.pos), qi)

    @property
    def rot(self):
        """Rotation matrix."""
        return quat_to_mat(self.quat)

    def apply(self, point):
        """Map a point from frame B to frame A."""
        return self.pos + self.rot @ np.asarray(point, dtype=float)

    def rpy(self):
        """Roll, pitch, yaw."""
        return quat_to_rpy(self.quat)

    def quat_xyzw(self):
        """Quaternion in ROS order (x, y, z, w)."""
        return np.array([self.quat[1], self.quat[2], self.quat[3], self.quat[0]])

    def almost_equal(self, other, tol=1e-6):
        """Compare positions and rotations (sign-agnostic for the quaternion)."""
        dq = abs(float(np.dot(self.quat, other.quat)))
        return bool(np.allclose(self.pos, other.pos, atol=tol) and dq > 1 - tol)

    @classmethod
    def from_xyz_rpy(cls, x=0.0, y=0.0, z=0.0, roll=0.0, pitch=0.0, yaw=0.0):
        """Build from position and roll-pitch-yaw."""
        return cls(np.array([x, y, z]), rpy_to_quat(roll, pitch, yaw))

    @classmethod
    def from_mat(cls, pos, mat):
        """Build from a position and a 3x3 rotation matrix."""
        return cls(np.asarray(pos), mat_to_quat(mat))

    def __repr__(self):
        """Short readable form."""
        r, p, y = self.rpy()
        return 'Transform(xyz=[{:.4f} {:.4f} {:.4f}], rpy=[{:.4f} {:.4f} {:.4f}])'.format(
            *self.pos, r, p, y)


IDENTITY = Transform()
