# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The ROS half of every step executor's port: one goal's sim time, waits, cancel and log.

A subsystem's port over ROS inherits ``RosGoal`` before its pure port class (``domain.ports``),
so that these methods serve the ``GoalPort`` part and the subclass adds what only it does.
"""

from .action_server import wait_on_clock
from .stamps import clock_seconds


class RosGoal:
    """``GoalPort`` methods for one goal of ``node`` (a LeanNode) with ``goal_handle``."""

    def __init__(self, node, goal_handle):
        """Serve ``goal_handle`` of ``node``."""
        self.node, self.goal_handle = node, goal_handle

    def now(self):
        """Return the node's sim time (s)."""
        return clock_seconds(self.node.get_clock())

    def wait(self, seconds, cancellable=True):
        """Wait on the node's clock; False on shutdown or, if ``cancellable``, on cancel."""
        return wait_on_clock(self.node, seconds, self.goal_handle if cancellable else None)

    def cancel_requested(self):
        """Return True once the goal's client asked to cancel it."""
        return self.goal_handle.is_cancel_requested

    def log(self, message, warning=False, error=False):
        """Log through the node's logger (LeanNode.log_message: one call site per severity)."""
        self.node.log_message(message, warning, error)
