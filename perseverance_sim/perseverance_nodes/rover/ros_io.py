# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Message helpers of the rover node: poses, arm trajectories, custody requests, the tube table.

Thin conversions between ROS messages and the pure logic's types; the one stateful class,
``TubeTable``, is the rover's view of the tube inventory (the ledger's /tube_inventory when it
has one, updated by the rover's own custody records in between).
"""

import math

from builtin_interfaces.msg import Duration as DurationMsg
from geometry_msgs.msg import Point, Pose, Quaternion
from perseverance_interfaces.msg import CustodyEvent, TubeState
from perseverance_interfaces.srv import RecordCustody
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from .arm import ARM_JOINTS
from ..domain.geometry import Pose2D, quaternion_to_yaw, yaw_to_quaternion
from ..domain.tubes import (Content, INITIAL_HOLDER, ROVER_CACHING_ASSEMBLY, SealState,
                            tube_catalogue, TubeKind)

RACK_HOLDERS = (ROVER_CACHING_ASSEMBLY,)


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


def custody_request(stamp, tube_id, from_holder, to_holder, action, position, changes=None):
    """Return a RecordCustody request from the rover (actor ``/rover``)."""
    request = RecordCustody.Request()
    event = CustodyEvent()
    event.header.stamp = stamp
    event.header.frame_id = 'world'
    event.tube_id = tube_id
    event.from_holder = from_holder
    event.to_holder = to_holder
    event.action = action
    event.actor = '/rover'
    event.position = Point(x=float(position[0]), y=float(position[1]), z=float(position[2]))
    request.event = event
    state = TubeState(tube_id=tube_id, holder=to_holder)
    for name, value in (changes or {}).items():
        setattr(state, name, value)
    request.state = state
    request.fields = sorted(changes or {})
    return request


class TubeTable:
    """
    The rover's view of every tube: holder, kind, content, seal, designation.

    Starts from the initial state of the world contract (every tube empty and unsealed in the
    rack) and is replaced by each /tube_inventory; the rover's own recorded events update it in
    between, so two collections in a row never pick the same tubes.
    """

    def __init__(self):
        """Start from the catalogue: every tube in the rack, empty, unsealed."""
        self.tubes = {spec.tube_id: {'kind': int(spec.kind), 'holder': INITIAL_HOLDER,
                                     'content': int(Content.EMPTY),
                                     'seal': int(SealState.UNSEALED), 'designation': '',
                                     'sample_name': ''}
                      for spec in tube_catalogue()}
        self.from_ledger = False

    def update_from_inventory(self, msg):
        """Replace the known state with a TubeInventory message's (unknown ids are skipped)."""
        for tube in msg.tubes:
            if tube.tube_id in self.tubes:
                self.tubes[tube.tube_id] = {
                    'kind': tube.kind, 'holder': tube.holder, 'content': tube.content,
                    'seal': tube.seal, 'designation': tube.designation,
                    'sample_name': tube.sample_name}
        self.from_ledger = True

    def apply(self, tube_id, holder, changes):
        """Apply one recorded custody event."""
        entry = self.tubes[tube_id]
        entry['holder'] = holder
        entry.update({k: v for k, v in changes.items() if k in entry})

    def empty_sample_tubes(self):
        """Return the empty sample tubes in the rack, lowest id first."""
        return sorted(t for t, e in self.tubes.items()
                      if e['kind'] == int(TubeKind.SAMPLE) and e['content'] == int(Content.EMPTY)
                      and e['holder'] in RACK_HOLDERS)

    def next_sample_number(self):
        """Return the sample number of the next core: one more than the designations so far."""
        return min(sum(1 for e in self.tubes.values() if e['designation']) + 1, 98)

    def on_board(self, tube_id):
        """Return True if the tube is in the rover's rack."""
        return self.tubes[tube_id]['holder'] in RACK_HOLDERS

    def sealed(self, tube_id):
        """Return True if the tube is sealed."""
        return self.tubes[tube_id]['seal'] == int(SealState.SEALED)


def stamp_seconds(stamp):
    """Return a builtin_interfaces/Time as seconds."""
    return stamp.sec + stamp.nanosec * 1e-9


def finite_pose(pose):
    """Return True if every field of a Pose is finite."""
    return all(math.isfinite(v) for v in xyz(pose) + quat(pose))
