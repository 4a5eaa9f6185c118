# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
How every node that moves tubes (rover, lander, helicopters) handles them through the contract.

``TubeClient`` is a node's view of the tubes and its hands on them: the poses the world
publishes (/world/tube_poses), holder, seal and content from the tube ledger (/tube_inventory),
the contract's attach/detach services, and the ledger's /tube_ledger/record service for custody
events: the one code path by which the project's invariant (every tube in exactly one place) is
recorded. Service calls are made from action execute callbacks, so they wait on a future with a
wall-clock timeout (a service answers in wall time, whatever the sim clock does) while the
executor's other threads deliver the response.
"""

import math
import threading

from geometry_msgs.msg import Point, PoseArray
from perseverance_interfaces.msg import CustodyEvent, TubeInventory, TubeState
from perseverance_interfaces.srv import AttachTube, DetachTube, RecordCustody
from rclpy.callback_groups import ReentrantCallbackGroup

from .contract import (ATTACH_TUBE, CONTRACT_QOS, DETACH_TUBE, LATCHED, RECORD_CUSTODY,
                       TUBE_INVENTORY, TUBE_POSES)
from .service_call import call_service, ServiceCallError
from .stamps import stamp_seconds
from ..domain.geometry import rotate_z_axis
from ..domain.tubes import (Content, INITIAL_HOLDER, SealState, tube_catalogue, tube_index)


FIRST_POSES_WAIT = 5.0  # s of wall time for the world's first /world/tube_poses
TUBE_RADIUS = 0.0085  # m; a tube lying on flat ground has its centre this high (world contract)


def tube_yaw(pose):
    """Return the yaw (rad) of a tube's axis (its link z axis) projected on the ground."""
    q = pose.orientation
    ax, ay, _ = rotate_z_axis((q.x, q.y, q.z, q.w))
    return math.atan2(ay, ax) if math.hypot(ax, ay) > 1e-6 else 0.0


class TubeClient:
    """Tube poses, ledger state, hand-off services and custody recording for one node."""

    def __init__(self, node, actor, service_timeout=10.0, assume_initial_state=False,
                 on_inventory=None):
        """
        Subscribe and create the clients on ``node``; ``actor`` names it in custody events.

        ``assume_initial_state``: until the first /tube_inventory, take every tube to be where
        the world contract starts it (empty and unsealed in the rover's rack) rather than
        unknown. ``on_inventory(msg)`` is called after each inventory is taken in.
        """
        self.node, self.actor, self.service_timeout = node, actor, service_timeout
        self._on_inventory_callback = on_inventory
        self._lock = threading.Lock()
        self._poses = None          # latest PoseArray from the world
        self._first_poses = threading.Event()
        self._tubes = initial_tube_states() if assume_initial_state else {}
        group = ReentrantCallbackGroup()
        node.create_subscription(PoseArray, TUBE_POSES, self._on_poses, CONTRACT_QOS)
        node.create_subscription(TubeInventory, TUBE_INVENTORY, self._on_inventory, LATCHED)
        self.attach_client = node.create_client(AttachTube, ATTACH_TUBE, callback_group=group)
        self.detach_client = node.create_client(DetachTube, DETACH_TUBE, callback_group=group)
        self.record_client = node.create_client(RecordCustody, RECORD_CUSTODY,
                                                callback_group=group)

    def _on_poses(self, msg):
        with self._lock:
            self._poses = msg
        self._first_poses.set()

    def _on_inventory(self, msg):
        with self._lock:  # merged: an inventory names every tube, a test's may name a few
            self._tubes.update({tube.tube_id: tube for tube in msg.tubes})
        if self._on_inventory_callback is not None:
            self._on_inventory_callback(msg)

    # -- what the node knows ----------------------------------------------------------------

    @property
    def has_poses(self):
        """Return True once the world has published tube poses."""
        return self._poses is not None

    @property
    def poses_stamp(self):
        """Return the sim time (s) of the latest tube poses, or None."""
        poses = self._poses
        if poses is None:
            return None
        return stamp_seconds(poses.header.stamp)

    def pose(self, tube_id):
        """
        Return the tube's latest geometry_msgs/Pose in frame "world", or None.

        A goal can arrive before the world's first tube poses (10 Hz) have: wait for them a
        little (wall time, from an action thread) rather than refuse.
        """
        self._first_poses.wait(FIRST_POSES_WAIT)
        poses = self._poses
        index = tube_index(tube_id) - 1
        if poses is None or index >= len(poses.poses):
            return None
        return poses.poses[index]

    def position(self, tube_id):
        """Return the tube's latest (x, y, z) in frame "world", or None."""
        pose = self.pose(tube_id)
        return None if pose is None else (pose.position.x, pose.position.y, pose.position.z)

    def ledger_state(self, tube_id):
        """Return the ledger's TubeState of a tube, or None before any /tube_inventory."""
        with self._lock:
            return self._tubes.get(tube_id)

    def ledger_states(self):
        """Return the TubeState of every known tube."""
        with self._lock:
            return list(self._tubes.values())

    # -- hands on the world and the ledger --------------------------------------------------

    def attach(self, tube_id, carrier, tolerance):
        """Call /world/attach_tube; return its response (ServiceCallError if unanswered)."""
        request = AttachTube.Request(tube=tube_id, carrier=carrier, tolerance=float(tolerance))
        return call_service(self.attach_client, request, self.service_timeout)

    def detach(self, tube_id):
        """Call /world/detach_tube; return its response (ServiceCallError if unanswered)."""
        return call_service(self.detach_client, DetachTube.Request(tube=tube_id),
                            self.service_timeout)

    def record(self, tube_id, from_holder, to_holder, action, position, changes=None):
        """
        Report a change of holder (and of the TubeState fields in ``changes``); (ok, message).

        A missing or refusing ledger does not undo what happened in the world: the caller logs
        the message, and the ledger's own invariant check shows the gap.
        """
        request = RecordCustody.Request()
        event = CustodyEvent()
        event.header.stamp = self.node.get_clock().now().to_msg()
        event.header.frame_id = 'world'
        event.tube_id, event.from_holder, event.to_holder = tube_id, from_holder, to_holder
        event.action, event.actor = action, self.actor
        event.position = Point(x=float(position[0]), y=float(position[1]),
                               z=float(position[2]))
        request.event = event
        request.state = TubeState(tube_id=tube_id, holder=to_holder)
        for name, value in (changes or {}).items():
            setattr(request.state, name, value)
        request.fields = sorted(changes or {})
        try:
            response = call_service(self.record_client, request, self.service_timeout)
        except ServiceCallError as error:
            message = f'custody {tube_id} {from_holder} -> {to_holder} not recorded: {error}'
            self.node.get_logger().error(message)
            return False, message
        if not response.success:
            message = (f'ledger refused custody {tube_id} {from_holder} -> {to_holder}: '
                       f'{response.error_msg}')
            self.node.get_logger().error(message)
            return False, message
        with self._lock:  # until the next inventory arrives, know what was just recorded
            state = self._tubes.get(tube_id)
            if state is not None:
                state.holder = to_holder
                for name, value in (changes or {}).items():
                    setattr(state, name, value)
        self.node.get_logger().info(f'custody {tube_id}: {from_holder} -> {to_holder} '
                                    f'({action}), event {response.sequence}')
        return True, ''


def initial_tube_states():
    """Return tube_id -> TubeState as the world contract starts: empty, unsealed, in the rack."""
    return {spec.tube_id: TubeState(tube_id=spec.tube_id, kind=int(spec.kind),
                                    holder=INITIAL_HOLDER, content=int(Content.EMPTY),
                                    seal=int(SealState.UNSEALED))
            for spec in tube_catalogue()}
