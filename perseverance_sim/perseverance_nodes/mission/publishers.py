# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The topics mission_control publishes (rclpy wiring): /mission_status and /faults.

/mission_status (transient local, depth 1) carries the phase, progress and step of the campaign
and the counts of the latest tube inventory; each message keeps the fields not given anew.
/faults (transient local, depth 50) carries each fault state change (mission.faults).
"""

from perseverance_interfaces.msg import Fault, MissionStatus

from .report import status_counts
from ..ros.contract import FAULT_QOS, FAULTS, LATCHED, MISSION_STATUS


class MissionPublishers:
    """The /mission_status and /faults publishers, and the status last published."""

    def __init__(self, node):
        """Create the publishers on ``node``; the status starts idle."""
        self.node = node
        self.fault_pub = node.create_publisher(Fault, FAULTS, FAULT_QOS)
        self.status_pub = node.create_publisher(MissionStatus, MISSION_STATUS, LATCHED)
        self.status = MissionStatus(phase=MissionStatus.PHASE_IDLE, step='idle')

    def publish_status(self, tubes, active_faults, phase=None, progress=None, step=None):
        """Publish the status with the inventory's ``tubes`` (TubeState) and what changed."""
        status = self.status
        if phase is not None:
            status.phase = int(phase)
        if progress is not None:
            status.progress = float(progress)
        if step is not None:
            status.step = step
        for name, count in status_counts(tubes).items():
            setattr(status, name, count)
        status.active_faults = active_faults
        status.header.stamp = self.node.get_clock().now().to_msg()
        self.status_pub.publish(status)

    def publish_fault(self, record):
        """Publish a FaultRecord's state on /faults and log it."""
        msg = Fault(fault_id=record.fault_id, kind=int(record.kind), state=int(record.state),
                    target=record.target, trigger=record.trigger,
                    description=record.description)
        msg.header.stamp = self.node.get_clock().now().to_msg()
        self.fault_pub.publish(msg)
        self.node.get_logger().info('fault {} {} {} (target {!r}, trigger {})'.format(
            record.fault_id, record.kind.name, record.state.name, record.target,
            record.trigger))
