# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
`perseverance-sim world`: the embedded world in the foreground, and with --view the live page.

The world runs in this process (its log on this terminal, Ctrl-C stops it); the viewer, when
asked for, is a child process on the same ROS domain whose log goes to a temporary run folder,
stopped when the world stops.
"""

import datetime
import os
import sys
import tempfile

from .bringup import viewer_spec, viewer_url
from .processes import ProcessGroup
from ..world.node import main as world_main


def run_world(real_time_factor, node_args, view=None, stream=None):
    """
    Run the world node with ``node_args`` at ``real_time_factor``; return its exit code.

    ``view``: (host, port) of the page to serve beside it, or None.
    """
    stream = stream or sys.stdout
    args = list(node_args)
    if '--ros-args' not in args:
        args.append('--ros-args')
    args += ['-p', 'real_time_factor:={}'.format(float(real_time_factor))]
    viewer = None
    if view is not None:
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
        log_dir = tempfile.mkdtemp(prefix='perseverance-sim-world-{}-'.format(stamp))
        spec = viewer_spec(*view)
        viewer = ProcessGroup(log_dir, domain_id=int(os.environ.get('ROS_DOMAIN_ID', '0')))
        viewer.start_node(spec.executable, spec.process_name, ros_args=spec.ros_args())
        print('perseverance-sim world: the live page is at {} (viewer log in {})'.format(
            viewer_url(*view), log_dir), file=stream)
    try:
        return world_main(['world'] + args)
    finally:
        if viewer is not None:
            codes = viewer.stop_all()
            if any(codes.values()):
                print('perseverance-sim world: the viewer exited with {}:\n{}'.format(
                    codes, viewer.report()), file=stream)
