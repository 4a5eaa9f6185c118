# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The environment every ROS 2 process of this project runs with.

Fast DDS discovery multicasts on every interface unless told otherwise; our processes keep all
traffic on loopback unless the user has explicitly chosen another discovery range.
"""

import os

DISCOVERY_RANGE_VARIABLE = 'ROS_AUTOMATIC_DISCOVERY_RANGE'
DEFAULT_DISCOVERY_RANGE = 'LOCALHOST'
DEFAULT_RMW = 'rmw_fastrtps_cpp'


def apply_localhost_default(environ=None):
    """Set loopback-only discovery and the rmw in `environ` (default os.environ) if unset."""
    environ = os.environ if environ is None else environ
    environ.setdefault(DISCOVERY_RANGE_VARIABLE, DEFAULT_DISCOVERY_RANGE)
    environ.setdefault('RMW_IMPLEMENTATION', DEFAULT_RMW)
    return environ


def ros_environment(domain_id=None, base=None):
    """
    Return a copy of `base` (default os.environ) ready for a child ROS 2 process.

    `domain_id`, when given, overrides ROS_DOMAIN_ID so that parallel runs never see each other.
    Python output is unbuffered so that captured logs are complete when a process is stopped.
    """
    environ = dict(os.environ if base is None else base)
    apply_localhost_default(environ)
    environ['PYTHONUNBUFFERED'] = '1'
    if domain_id is not None:
        environ['ROS_DOMAIN_ID'] = str(int(domain_id))
    return environ
