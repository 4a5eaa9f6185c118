# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
`perseverance-sim`: run the simulation without `ros2 launch`.

    perseverance-sim campaign [--seed N] [--out DIR]    bring the nodes up and run the campaign

Every process it starts runs with loopback-only discovery (ROS_AUTOMATIC_DISCOVERY_RANGE) and a
ROS_DOMAIN_ID of its own unless the user set one, so two runs on one machine never mix.
"""

import argparse
import datetime
import os
import sys

from perseverance_nodes.common.ros_env import apply_localhost_default


def _default_run_dir():
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    return os.path.join(os.getcwd(), 'runs', stamp)


def build_parser():
    """Return the argument parser (subcommands with their options)."""
    parser = argparse.ArgumentParser(
        prog='perseverance-sim',
        description='Mars Sample Return simulation around the Perseverance rover.')
    sub = parser.add_subparsers(dest='command', required=True)

    campaign = sub.add_parser(
        'campaign', help='start every node and run the sample-return campaign headless')
    campaign.add_argument('--seed', type=int, default=1,
                          help='random seed; the same seed gives the same outcome (default 1)')
    campaign.add_argument('--out', default=None,
                          help='directory for logs and results (default ./runs/<timestamp>)')
    campaign.add_argument('--domain-id', type=int, default=None,
                          help='ROS_DOMAIN_ID for the run (default: $ROS_DOMAIN_ID or a free id)')
    campaign.add_argument('--timeout', type=float, default=300.0,
                          help='give up after this many seconds of wall time (default 300)')
    return parser


def main(argv=None):
    """Entry point of the `perseverance-sim` console script."""
    apply_localhost_default()
    args = build_parser().parse_args(argv)
    if args.command == 'campaign':
        from perseverance_nodes.mission.bringup import bring_up
        out = os.path.abspath(args.out or _default_run_dir())
        print('perseverance-sim campaign: bringing up the nodes (logs in {})'.format(out))
        # The chain's mission control arrives with the sample-return chain; until then the run
        # proves every existing node starts, serves its interface and stops cleanly.
        code = bring_up(out, seed=args.seed, domain_id=args.domain_id, timeout=args.timeout)
        print('perseverance-sim campaign: {}'.format('done' if code == 0 else 'FAILED'))
        return code
    return 2


if __name__ == '__main__':
    sys.exit(main())
