# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Calling a ROS service from an action's execute thread, and asking whether a server is there.

The executor's other threads deliver the response while this thread waits on an Event. The
timeout is wall time on purpose: a service answers in wall time whatever the sim clock does.

The ROS graph can report a running server missing for a moment (seen in loaded test runs: one
look said "not available" between two answered goals). So a single negative look is never taken
as the truth: a thread that may block waits up to GRAPH_GRACE for the server
(``client.wait_for_service`` / ``wait_for_server``), and a callback that may not block asks a
``SeenReady``, which counts a server seen within GRAPH_GRACE as there.
"""

import math
import threading
import time

GRAPH_GRACE = 2.0  # s of wall time a server missing from the graph still counts as there


class ServiceCallError(Exception):
    """A service was not available or did not answer in time."""


def call_service(client, request, timeout, what=''):
    """Return the service's response; raise ServiceCallError naming the service and `what`."""
    context = ' ({})'.format(what) if what else ''
    if not client.wait_for_service(timeout_sec=min(timeout, 5.0)):
        raise ServiceCallError('service {} is not available{}'.format(client.srv_name, context))
    done = threading.Event()
    future = client.call_async(request)
    future.add_done_callback(lambda _future: done.set())
    if not done.wait(timeout) or future.result() is None:
        future.cancel()
        raise ServiceCallError('service {} did not answer within {:.0f} s{}'.format(
            client.srv_name, timeout, context))
    return future.result()


class SeenReady:
    """Whether a client's server is there: now, or seen within GRAPH_GRACE."""

    def __init__(self, is_ready):
        """Wrap ``is_ready`` (``client.server_is_ready`` or ``client.service_is_ready``)."""
        self._is_ready, self._seen = is_ready, -math.inf

    def __call__(self):
        """Return True if the server is there now or was a moment ago."""
        now = time.monotonic()
        if self._is_ready():
            self._seen = now
            return True
        return now - self._seen < GRAPH_GRACE
