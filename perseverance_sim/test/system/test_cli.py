# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""The README's run command, as a user runs it: `perseverance-sim campaign`."""

import os
import subprocess
import sys

from perseverance_nodes.common.domain import DomainLease
from perseverance_nodes.common.ros_env import ros_environment


def test_campaign_command_brings_nodes_up_and_exits_0(tmp_path):
    """Every node starts, serves its interface and stops with exit code 0; logs are kept."""
    lease = DomainLease()
    try:
        env = ros_environment(domain_id=lease.domain_id)
        run = subprocess.run(
            [sys.executable, '-m', 'perseverance_nodes.cli', 'campaign', '--out', str(tmp_path),
             '--timeout', '60'], env=env, capture_output=True, text=True, timeout=120)
    finally:
        lease.release()
    assert run.returncode == 0, run.stdout + run.stderr
    assert 'ready     caching_assembly' in run.stdout
    assert 'exit code 0' in run.stdout
    log = os.path.join(str(tmp_path), 'logs', 'caching_assembly.log')
    assert 'caching assembly ready: 43 tubes' in open(log).read()
