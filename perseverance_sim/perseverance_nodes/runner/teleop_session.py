# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
`perseverance-sim teleop`: a student's one command to drive the rover.

Starts the world at real time with the nodes a driver needs (tube ledger, caching assembly,
rover) and the viewer (the live page, with the mast camera; not with --no-view), waits until
they serve their interfaces, prints the page's address, runs the keyboard teleop in this
terminal, and stops everything when the teleop exits. A top speed above the real rover's
(mission facts) starts the rover with the world's DiffDrive limits (bringup.FAST_ROVER) so that
it can be reached; the teleop reads the limits the rover node applies and never asks for more.
With `--attach` only the keyboard UI runs, for a simulation already started by `ros2 launch` or
another `perseverance-sim`.
"""

import os
import sys
import time

from .bringup import (FAST_ROVER, node_table, RunOptions, System, VIEWER_HOST, VIEWER_PORT,
                      viewer_url)
from .domain_lease import DomainLease
from ..domain.facts import load_mission_facts
from ..ros.client import RosClient
from ..teleop import node as teleop_node

# What driving needs: the world, the rover, and the nodes that make sampling and drops possible;
# the viewer unless --no-view.
TELEOP_NODES = ('world', 'tube_ledger', 'caching_assembly', 'rover', 'viewer')
# The mast camera on the page: rendered in software, so at a rate that leaves the CPU to driving.
TELEOP_CAMERA_RATE = 5.0  # Hz
TOP_SPEED_LIMIT = FAST_ROVER['max_linear_speed']  # m/s: the world's DiffDrive limit
PAGE_NOTICE = 2.0  # s the page's address stays readable before the keyboard UI takes the screen


def _view_options(view):
    return {} if view is None else {'viewer_host': view[0], 'viewer_port': view[1]}


def run_teleop_session(out_dir, real_time_factor=1.0, top_speed=0.0, attach=False,
                       timeout=120.0, stream=None, view=(VIEWER_HOST, VIEWER_PORT)):
    """
    Run the teleop, bringing the simulation up first unless `attach`; return an exit code.

    ``view``: (host, port) of the live page served beside the keyboard UI, or None for none.

    ``top_speed`` (m/s) caps the teleop; 0 = the rover's limit. Above the real rover's limit the
    rover runs with the world's DiffDrive limits. Exit code 2 for a speed beyond those.
    """
    stream = stream or sys.stdout
    if not 0.0 <= top_speed <= TOP_SPEED_LIMIT:
        print('perseverance-sim teleop: --speed {} is not within 0..{} m/s (the DiffDrive '
              'limit of the world)'.format(top_speed, TOP_SPEED_LIMIT), file=stream)
        return 2
    ui_args = ['teleop', '--ros-args']
    if top_speed > 0.0:
        ui_args += ['-p', 'max_linear_speed:={}'.format(float(top_speed))]
    if view is not None and not attach:
        ui_args += ['-p', 'page_url:={}'.format(viewer_url(*view))]
    if attach or not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Without a terminal the UI explains why it cannot run, before anything is started.
        return teleop_node.main(ui_args)
    lease = None
    if 'ROS_DOMAIN_ID' not in os.environ:
        lease = DomainLease()
        os.environ['ROS_DOMAIN_ID'] = str(lease.domain_id)  # the UI joins the same domain
    fast = top_speed > load_mission_facts(None).rover.max_linear_speed
    options = RunOptions(out_dir=out_dir, real_time_factor=real_time_factor, fast_rover=fast,
                         duration_scale=0.05, helicopters=0, viewer=view is not None,
                         camera_rate=TELEOP_CAMERA_RATE if view is not None else 0.0,
                         **_view_options(view))
    specs = [s for s in node_table(options) if s.process_name in TELEOP_NODES]
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
        if view is not None:
            print('perseverance-sim teleop: open {} in a browser to watch and drive; the '
                  'keyboard UI starts now'.format(viewer_url(*view)), file=stream)
            time.sleep(PAGE_NOTICE)
        code = teleop_node.main(ui_args)
    except (TimeoutError, RuntimeError, FileNotFoundError) as error:
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
