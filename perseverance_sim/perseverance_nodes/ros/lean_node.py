# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
LeanNode: an rclpy Node whose publishers and subscriptions carry no QoS event handlers.

It also runs calls on its executor's thread (``run_on_executor``) for code in other threads:
rclpy's ActionClient keeps no lock, so a goal (or cancel, or result) response that the executor
takes before ``send_goal_async`` in another thread has registered the request is dropped as
"unexpected", and the caller waits forever (seen: a helicopter's result never reached
mission_control, which timed the step out after 600 s).

rclpy gives every publisher and subscription default handlers (incompatible QoS, incompatible
type); each is a waitable that the executor adds to its wait set again at every wake-up. In an
unpaced simulation a node wakes hundreds of times a second, and for a node with ~25 publishers
and subscriptions those handlers were most of its CPU: a micro-benchmark (one hot topic, 24 idle
publishers and subscriptions, rclpy Jazzy) measured 524 us of CPU per message with them and
196 us without. Every QoS is fixed by docs/world_contract.md and the nodes' own code, so the
warnings they would give are not worth that; pass ``event_callbacks`` to have them for one
entity.

``log_message`` logs at a severity chosen at run time: rclpy refuses a second severity from the
same line of code ("Logger severity cannot be changed between calls"), so a port's one ``log``
method that passed its severity on would raise inside an action (seen: a helicopter's failure
report aborted its goal with no result).
"""

from rclpy.event_handler import PublisherEventCallbacks, SubscriptionEventCallbacks
from rclpy.node import Node


class LeanNode(Node):
    """A Node without default QoS event handlers, that can run calls on its executor."""

    def create_subscription(self, *args, event_callbacks=None, **kwargs):
        """Create a subscription; no QoS event handlers unless ``event_callbacks`` is given."""
        if event_callbacks is None:
            event_callbacks = SubscriptionEventCallbacks(use_default_callbacks=False)
        return super().create_subscription(*args, event_callbacks=event_callbacks, **kwargs)

    def create_publisher(self, *args, event_callbacks=None, **kwargs):
        """Create a publisher; no QoS event handlers unless ``event_callbacks`` is given."""
        if event_callbacks is None:
            event_callbacks = PublisherEventCallbacks(use_default_callbacks=False)
        return super().create_publisher(*args, event_callbacks=event_callbacks, **kwargs)

    def run_on_executor(self, function, *args):
        """Call ``function(*args)`` in the executor's thread (now, if the node is not spun)."""
        executor = self.executor
        if executor is None:
            function(*args)
        else:
            executor.create_task(function, *args)

    def log_message(self, message, warning=False, error=False):
        """Log ``message`` as information, a warning or an error (one call site each)."""
        logger = self.get_logger()
        if error:
            logger.error(message)
        elif warning:
            logger.warning(message)
        else:
            logger.info(message)
