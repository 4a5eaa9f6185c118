# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Bring the simulation's nodes up as processes and prove each one ready, then stop them cleanly.

`perseverance-sim campaign` and the launch-less tests use this table so that a node added to the
system is started, and checked, in one place. A node is ready when the ROS interface listed for
it is served (an action server answers discovery).
"""

from dataclasses import dataclass, field
import os
import sys
import time

from ..common.domain import DomainLease
from ..common.processes import ProcessGroup


@dataclass(frozen=True)
class NodeSpec:
    """A node to start: executable, readiness interface, parameters."""

    executable: str
    ready_action: str                      # action name that must be served
    action_type: str                       # 'package.action.Type'
    parameters: dict = field(default_factory=dict)


def default_nodes(seed, duration_scale):
    """Return the nodes that exist so far, in start order."""
    return [
        NodeSpec('caching_assembly', '/caching_assembly/cache_sample',
                 'perseverance_interfaces.action.CacheSample',
                 {'seed': seed, 'duration_scale': duration_scale}),
    ]


def _import_type(dotted):
    module_name, _, type_name = dotted.rpartition('.')
    module = __import__(module_name, fromlist=[type_name])
    return getattr(module, type_name)


def _ros_args(parameters):
    args = []
    for name, value in parameters.items():
        args += ['-p', '{}:={}'.format(name, value)]
    return args


def bring_up(out_dir, seed=1, domain_id=None, timeout=60.0, duration_scale=1.0, stream=None):
    """
    Start every node, wait until each serves its interface, stop them all; return an exit code.

    0 only when every node came up within `timeout` seconds and exited cleanly (code 0) on
    SIGINT. Per-process logs go to `<out_dir>/logs/`.
    """
    from rclpy.action import ActionClient

    from ..common.ros_client import RosClient

    stream = stream or sys.stdout
    lease = None
    if domain_id is None and 'ROS_DOMAIN_ID' not in os.environ:
        lease = DomainLease()
        domain_id = lease.domain_id
    group = ProcessGroup(os.path.join(out_dir, 'logs'), domain_id=domain_id)
    specs = default_nodes(seed, duration_scale)
    client = None
    ok = False
    try:
        started = time.monotonic()
        for spec in specs:
            group.start_node(spec.executable, ros_args=_ros_args(spec.parameters))
            print('  started   {}'.format(spec.executable), file=stream)
        client = RosClient(domain_id if domain_id is not None else
                           int(os.environ['ROS_DOMAIN_ID']), name='perseverance_sim_runner')
        for spec in specs:
            action = ActionClient(client.node, _import_type(spec.action_type), spec.ready_action)
            remaining = max(timeout - (time.monotonic() - started), 0.1)
            client.spin_until(lambda: action.server_is_ready() or group.dead(), remaining,
                              'action server {}'.format(spec.ready_action))
            if group.dead():
                break
            print('  ready     {:<18} serves {}'.format(spec.executable, spec.ready_action),
                  file=stream)
        ok = not group.dead()
    except TimeoutError as error:
        print('  not ready: {}'.format(error), file=stream)
    finally:
        if client is not None:
            client.close()
        codes = group.stop_all()
        if lease is not None:
            lease.release()
    for name, code in codes.items():
        print('  stopped   {:<18} exit code {}'.format(name, code), file=stream)
    clean = all(code == 0 for code in codes.values())
    if not (ok and clean):
        print(group.report(), file=stream)
        return 1
    return 0
