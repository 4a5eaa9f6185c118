# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
A pytest harness that plays launch_testing's role where launch_testing is not installed.

Node executables run as real processes in a ProcessGroup with a ROS_DOMAIN_ID of their own and
loopback-only discovery. The test talks to them through `rig.probe`, a RosClient: an rclpy node
in the test process, on the same domain, with helpers that wait (with timeouts, never fixed
sleeps) for topics, services and action servers. At the end every process is stopped with SIGINT
and must exit 0; their output is attached to the test report when anything fails.
"""

from perseverance_nodes.common.domain import DomainLease
from perseverance_nodes.common.processes import ProcessGroup
from perseverance_nodes.common.ros_client import RosClient


class RosTestRig:
    """What a test gets: a domain, a process group for nodes, and a probe to talk to them."""

    def __init__(self, log_dir):
        """Lease a domain id and prepare the process group; the probe starts on first use."""
        self.lease = DomainLease()
        self.domain_id = self.lease.domain_id
        self.processes = ProcessGroup(log_dir, domain_id=self.domain_id)
        self._probe = None

    @property
    def probe(self):
        """Return the test's rclpy node (created lazily)."""
        if self._probe is None:
            self._probe = RosClient(self.domain_id, name='test_probe')
        return self._probe

    def start_node(self, executable_name, node_name=None, ros_args=(), args=()):
        """Start a node executable as a process in this rig's domain."""
        return self.processes.start_node(executable_name, node_name, ros_args, args)

    def assert_running(self):
        """Fail with the output of any process that died early."""
        dead = self.processes.dead()
        assert not dead, 'process(es) exited early:\n' + self.processes.report()

    def shutdown(self):
        """Stop everything; return {process name: exit code}."""
        try:
            if self._probe is not None:
                self._probe.close()
            return self.processes.stop_all()
        finally:
            self.lease.release()


class Latest:
    """Keep the last message of a topic."""

    def __init__(self, probe, msg_type, topic, qos=10):
        """Subscribe."""
        self.msg = None
        probe.node.create_subscription(msg_type, topic, self._on_msg, qos)

    def _on_msg(self, msg):
        self.msg = msg
