# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Where a page may listen: loopback or not, and whether the port is free (no ROS, no viser)."""

import ipaddress
import socket

LOOPBACK_NAMES = ('localhost',)


def is_loopback(host):
    """Return True if ``host`` names this machine's loopback interface only."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def port_taken(host, port):
    """Return why ``host``:``port`` cannot be listened on (e.g. in use), or '' if it can."""
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no owner
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.strerror or str(error)
    return ''
