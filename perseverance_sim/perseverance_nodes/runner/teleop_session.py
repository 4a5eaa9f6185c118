# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
`perseverance-sim teleop`: a student's one command to drive the rover.

Starts the world at real time with the nodes a driver needs (tube ledger, caching assembly,
rover), waits until they serve their interfaces, runs the keyboard teleop in this terminal, and
stops everything when the teleop exits. With `--attach` only the keyboard UI runs, for a
simulation already started by `ros2 launch` or another `perseverance-sim`.
"""

import os
import sys

from .bringup import node_table, RunOptions, split_available, System
from .domain_lease import DomainLease
from ..ros.client import RosClient

# What driving needs: the world, the rover, and the nodes that make sampling and drops possible.
TELEOP_NODES = ('world', 'tube_ledger', 'caching_assembly', 'rover')


def run_teleop_session(out_dir, real_time_factor=1.0, rover_speed=0.0, attach=False,
                       timeout=120.0, stream=None):
    """Run the teleop, bringing the simulation up first unless `attach`; return an exit code."""
    from ..teleop import node as teleop_node
    stream = stream or sys.stdout
    ui_args = ['teleop']
    if rover_speed > 0.0:
        ui_args += ['--ros-args', '-p', 'max_linear_speed:={}'.format(float(rover_speed))]
    if attach or not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Without a terminal the UI explains why it cannot run, before anything is started.
        return teleop_node.main(ui_args)
    lease = None
    if 'ROS_DOMAIN_ID' not in os.environ:
        lease = DomainLease()
        os.environ['ROS_DOMAIN_ID'] = str(lease.domain_id)  # the UI joins the same domain
    options = RunOptions(out_dir=out_dir, real_time_factor=real_time_factor,
                         rover_speed=rover_speed, duration_scale=0.05, helicopters=0)
    specs = [s for s in node_table(options) if s.process_name in TELEOP_NODES]
    specs, missing = split_available(specs)
    if missing:
        print('cannot drive: nodes missing: ' + ', '.join(sorted(missing)), file=stream)
        return 1
    system = System(specs, os.path.join(out_dir, 'logs'), int(os.environ['ROS_DOMAIN_ID']))
    client = None
    try:
        print('perseverance-sim teleop: starting the simulation (logs in {})'.format(out_dir),
              file=stream)
        system.start(stream)
        client = RosClient(int(os.environ['ROS_DOMAIN_ID']), name='perseverance_sim_teleop_up')
        system.wait_ready(client, timeout, stream)
        client.close()
        client = None
        code = teleop_node.main(ui_args)
    except (TimeoutError, RuntimeError) as error:
        print('perseverance-sim teleop: {}\n{}'.format(error, system.report()), file=stream)
        code = 1
    finally:
        if client is not None:
            client.close()
        codes = system.stop()
        if lease is not None:
            lease.release()
    bad = {name: c for name, c in codes.items() if c != 0}
    if bad:
        print('perseverance-sim teleop: processes exited uncleanly: {}'.format(bad), file=stream)
    return code if code else (1 if bad else 0)
