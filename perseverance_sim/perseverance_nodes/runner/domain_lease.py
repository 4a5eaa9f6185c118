# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""A ROS_DOMAIN_ID of one's own: for each test, and for each `perseverance-sim` run."""

import fcntl
import os
import tempfile

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
