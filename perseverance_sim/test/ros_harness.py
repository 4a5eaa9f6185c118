# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
A pytest harness that plays launch_testing's role where launch_testing is not installed.

Node executables run as real processes in a ProcessGroup with a ROS_DOMAIN_ID of their own and
loopback-only discovery. The test talks to them through a `RosProbe`: an rclpy node in the test
process, on the same domain, with helpers that wait (with timeouts, never fixed sleeps) for topics,
services and action servers. At the end every process is stopped with SIGINT and must exit 0;
their output is attached to the test report when anything fails.
"""

import fcntl
import os
import tempfile
import time

from perseverance_nodes.common.processes import ProcessGroup
from perseverance_nodes.common.ros_env import apply_localhost_default

# ROS_DOMAIN_ID values usable with Fast DDS's default port mapping on Linux are 0..101; leave 0
# (everybody's default) alone.
_DOMAIN_IDS = range(1, 102)
_LOCK_DIR = os.path.join(tempfile.gettempdir(), 'perseverance_sim_domain_locks')


class DomainLease:
    """
    A ROS_DOMAIN_ID held exclusively on this machine while the lease is open.

    An flock on a per-id file makes parallel pytest runs (and xdist workers) pick different ids;
    the kernel drops the lock if the process dies, so a crashed run never leaks an id.
    """

    def __init__(self):
        """Take the first free domain id."""
        os.makedirs(_LOCK_DIR, exist_ok=True)
        start = os.getpid() % len(_DOMAIN_IDS)  # spread concurrent runs over the range
        for offset in range(len(_DOMAIN_IDS)):
            domain_id = _DOMAIN_IDS[(start + offset) % len(_DOMAIN_IDS)]
            handle = open(os.path.join(_LOCK_DIR, str(domain_id)), 'w')
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            self.domain_id = domain_id
            self._handle = handle
            return
        raise RuntimeError('no free ROS_DOMAIN_ID in {}..{}'.format(
            _DOMAIN_IDS[0], _DOMAIN_IDS[-1]))

    def release(self):
        """Give the id back."""
        self._handle.close()


class RosProbe:
    """The test's own rclpy node, on the processes' domain, with waiting helpers."""

    def __init__(self, domain_id, name='test_probe'):
        """Create a context and node bound to `domain_id`."""
        apply_localhost_default()
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        self._rclpy = rclpy
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)

    def spin_until(self, predicate, timeout, describe):
        """Spin until `predicate()` is true; raise TimeoutError naming `describe` otherwise."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError('timed out after {:.1f} s waiting for {}'.format(
                    timeout, describe))
            self.executor.spin_once(timeout_sec=0.05)

    def spin_future(self, future, timeout, describe):
        """Spin until `future` is done and return its result."""
        self.spin_until(future.done, timeout, describe)
        return future.result()

    def wait_for_action_server(self, client, timeout=30.0):
        """Wait until an ActionClient's server is discovered."""
        self.spin_until(client.server_is_ready, timeout,
                        'action server {}'.format(client._action_name))

    def wait_for_service(self, client, timeout=30.0):
        """Wait until a service client's server is discovered."""
        self.spin_until(client.service_is_ready, timeout,
                        'service {}'.format(client.srv_name))

    def wait_for_publisher(self, topic, timeout=30.0):
        """Wait until somebody publishes `topic`."""
        self.spin_until(lambda: self.node.count_publishers(topic) > 0, timeout,
                        'a publisher on {}'.format(topic))

    def collect(self, msg_type, topic, qos=10):
        """Subscribe to `topic` and return the list the messages are appended to."""
        received = []
        self.node.create_subscription(msg_type, topic, received.append, qos)
        return received

    def close(self):
        """Destroy the node and shut the context down."""
        self.executor.shutdown()
        self.node.destroy_node()
        self._rclpy.try_shutdown(context=self.context)


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
        """The test's rclpy node (created lazily)."""
        if self._probe is None:
            self._probe = RosProbe(self.domain_id)
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
