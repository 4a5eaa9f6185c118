# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Calling a ROS service from an action's execute thread.

The executor's other threads deliver the response while this thread waits on an Event. The
timeout is wall time on purpose: a service answers in wall time whatever the sim clock does.
"""

import threading


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
