# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
A client-side rclpy node for programs that drive the simulation from outside.

Used by tests, the `perseverance-sim` runner and benchmarks. Every wait has a timeout and spins
instead of sleeping.
"""

import time

from perseverance_nodes.ros.environment import apply_localhost_default


class RosClient:
    """An rclpy node in its own context on a chosen domain, with waiting helpers."""

    def __init__(self, domain_id, name):
        """Create a context and node bound to `domain_id`."""
        apply_localhost_default()
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from perseverance_nodes.ros.lean_node import LeanNode
        self._rclpy = rclpy
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = LeanNode(name, context=self.context)
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
