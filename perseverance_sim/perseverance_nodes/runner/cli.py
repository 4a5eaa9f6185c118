# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
`perseverance-sim`: run the simulation without `ros2 launch`.

    perseverance-sim campaign [--scenario F] [--seed N] [--helicopters N] [--fault KIND@WHEN ...]
                              [--out DIR] [--real-time-factor X] [--view]
                              [--no-record | --record-images]
        start the embedded world and every node, run the campaign headless with a live progress
        display, write report.json, the ledger database, the event log, every process's log and
        the recording (campaign.mcap, a rosbag2 bag with its metadata.yaml) into DIR, and exit 0
        only when the campaign succeeded (runner/campaign.py)

    perseverance-sim teleop [--speed V] [--attach] [--no-view]
        start the world at real time with the rover and drive it from the keyboard and from the
        live 3D page (http://127.0.0.1:8080)

    perseverance-sim world [--real-time-factor X] [--view] [-- NODE ARGS]
        run only the embedded world, serving the world contract (and, with --view, the page)

    perseverance-sim report RUN_DIR
        write RUN_DIR/report.html, map.png and timeline.png (every campaign does at its end)

    perseverance-sim replay RUN_DIR [--speed X] [--play]
        play RUN_DIR's recording back in the live 3D page

    campaign, teleop, world and replay take --view-port N and --view-host ADDR for the page.

Every process it starts runs with loopback-only discovery (ROS_AUTOMATIC_DISCOVERY_RANGE) and a
ROS_DOMAIN_ID of its own unless the user set one, so two runs on one machine never mix.
"""

import argparse
import datetime
import os
import sys

from .bringup import CAMPAIGN_DURATION_SCALE, VIEWER_HOST, VIEWER_PORT
from .campaign import CAMPAIGN_TIMEOUT
from ..ros.environment import apply_localhost_default


def _default_run_dir():
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    return os.path.join(os.getcwd(), 'runs', stamp)


def _port(text):
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError('{} is not a TCP port (1..65535)'.format(text))
    return value


def _add_view_options(parser, view_help):
    """Add --view (unless ``view_help`` is None), --view-port and --view-host."""
    if view_help is not None:
        parser.add_argument('--view', action='store_true', help=view_help)
    parser.add_argument('--view-port', type=_port, default=VIEWER_PORT,
                        help='TCP port of the page (default %(default)s)')
    parser.add_argument('--view-host', default=VIEWER_HOST,
                        help='address the page listens on (default %(default)s; any other '
                             'address exposes a page without authentication)')


def build_parser():
    """Return the argument parser (subcommands with their options)."""
    parser = argparse.ArgumentParser(
        prog='perseverance-sim',
        description='Mars Sample Return simulation around the Perseverance rover.')
    sub = parser.add_subparsers(dest='command', required=True)

    campaign = sub.add_parser(
        'campaign', help='start every node and run the sample-return campaign headless',
        description='Start the embedded world and every node, run a campaign headless and '
                    'keep its report, ledger database, event log and logs. Exit code 0 only '
                    'when the campaign succeeded and every process exited cleanly.')
    campaign.add_argument('--scenario', default='',
                          help='scenario YAML (default: the packaged config/scenarios/'
                               'default.yaml; config/scenarios/quick.yaml is a short one)')
    campaign.add_argument('--seed', type=int, default=1,
                          help='random seed; the same seed gives the same outcome (default 1)')
    campaign.add_argument('--helicopters', type=int, default=0,
                          help="helicopters to fly (default: the scenario's count)")
    campaign.add_argument('--fault', action='append', default=[], metavar='KIND@WHEN',
                          help='arm a fault, e.g. SEAL_STUCK@sample:mageik, '
                               'TUBE_ON_END@drop:2, HELICOPTER_FAILURE@flight:3 (repeatable)')
    campaign.add_argument('--out', default=None,
                          help='directory for logs and results (default ./runs/<timestamp>)')
    campaign.add_argument('--real-time-factor', type=float, default=0.0,
                          help='world pacing, sim time / wall time; 0 = as fast as possible '
                               '(default)')
    campaign.add_argument('--duration-scale', type=float, default=None,
                          help='factor on the nominal step durations (coring, sealing, arm '
                               'moves, recharging) of mission_facts.yaml; default '
                               '{}'.format(CAMPAIGN_DURATION_SCALE))
    campaign.add_argument('--domain-id', type=int, default=None,
                          help='ROS_DOMAIN_ID for the run (default: $ROS_DOMAIN_ID or a free id)')
    campaign.add_argument('--timeout', type=float, default=CAMPAIGN_TIMEOUT,
                          help='give up after this many seconds of wall time (default '
                               '%(default).0f)')
    _add_view_options(campaign, 'also serve the live 3D page (off by default: a headless '
                                'campaign starts no viewer)')
    recording = campaign.add_mutually_exclusive_group()
    recording.add_argument('--no-record', dest='record', action='store_false',
                           help='do not record the campaign (by default the recorder writes '
                                'every topic of the world contract and the mission state to '
                                'DIR/campaign.mcap, a rosbag2 bag: ros2 bag info DIR)')
    recording.add_argument('--record-images', action='store_true',
                           help='the recording also holds the mast camera image, 1 frame per '
                                'second of sim time (the world renders it: CPU and 230 kB a '
                                'frame)')

    teleop = sub.add_parser(
        'teleop', help='drive the rover from the keyboard',
        description='Start the world at real time with the rover, caching assembly and tube '
                    'ledger, then drive from this terminal (keys are shown on screen). '
                    'teleop_twist_keyboard works too: it publishes on /rover/cmd_vel.')
    teleop.add_argument('--speed', type=float, default=0.5,
                        help='top driving speed (m/s; default 0.5; at most 1.0). Above the '
                             "real rover's 0.042 the rover runs with the world's DiffDrive "
                             "limits (1.0 m/s, 0.5 rad/s); 0 = the real rover's limits")
    teleop.add_argument('--real-time-factor', type=float, default=1.0,
                        help='world pacing, sim time / wall time (default 1.0)')
    teleop.add_argument('--attach', action='store_true',
                        help='only the keyboard UI, for a simulation that is already running')
    teleop.add_argument('--out', default=None,
                        help='directory for the logs (default ./runs/<timestamp>)')
    teleop.add_argument('--no-view', dest='view', action='store_false',
                        help='do not serve the live 3D page (served by default)')
    _add_view_options(teleop, None)

    world = sub.add_parser(
        'world', help='run only the embedded world (the world contract) in the foreground',
        description='Run the world node: MuJoCo over worlds/jezero.sdf, serving the topics and '
                    'services of docs/world_contract.md. Extra arguments after -- go to the '
                    'node, e.g. -- --ros-args -p cameras_enabled:=true')
    world.add_argument('--real-time-factor', type=float, default=1.0,
                       help='sim time / wall time; 0 = as fast as possible (default 1.0)')
    _add_view_options(world, 'also serve the live 3D page')
    world.add_argument('node_args', nargs=argparse.REMAINDER,
                       help='arguments passed to the world node')
    report = sub.add_parser(
        'report', help='tell a run as report.html with a map and a timeline',
        description='Write RUN_DIR/report.html (one self-contained page: outcome, traverse map, '
                    'timeline, chains of custody) and map.png, timeline.png beside it, from the '
                    "run's recording, report.json and ledger. Every campaign does this at its "
                    'end; run it again for an older or interrupted run.')
    report.add_argument('run_dir', help='a run folder, e.g. runs/20261203-120000')

    replay = sub.add_parser(
        'replay', help='play a recorded campaign back in the live 3D page',
        description="Serve RUN_DIR's recording (campaign.mcap) in the viewer's page with play, "
                    'pause, speed and a time slider. Ctrl-C stops.')
    replay.add_argument('run_dir', help='a run folder with campaign.mcap')
    replay.add_argument('--speed', type=float, default=10.0,
                        help='sim time per wall time to start with (default %(default)s)')
    replay.add_argument('--play', action='store_true', help='start playing at once')
    _add_view_options(replay, None)
    return parser


def _replay(args):
    from ..viewer.replay import serve_replay
    if not args.speed > 0:
        print('perseverance-sim replay: --speed {} must be > 0'.format(args.speed))
        return 2
    try:
        return serve_replay(os.path.abspath(args.run_dir), args.view_host, args.view_port,
                            sys.stdout, speed='{:g}'.format(args.speed), play=args.play)
    except (FileNotFoundError, OSError) as error:
        print('perseverance-sim replay: {}'.format(error))
        return 2


def campaign_args(args):
    """Return the CampaignArgs of parsed `perseverance-sim campaign` arguments."""
    from .campaign import CampaignArgs
    options = CampaignArgs(
        out=os.path.abspath(args.out or _default_run_dir()), scenario=args.scenario,
        seed=args.seed, helicopters=args.helicopters, faults=tuple(args.fault),
        real_time_factor=args.real_time_factor, domain_id=args.domain_id, timeout=args.timeout,
        view=args.view, view_host=args.view_host, view_port=args.view_port,
        record=args.record, record_images=args.record_images)
    if args.duration_scale is not None:
        options.duration_scale = args.duration_scale
    return options


def main(argv=None):
    """Entry point of the `perseverance-sim` console script."""
    apply_localhost_default()
    args = build_parser().parse_args(argv)
    if args.command == 'campaign':
        from . import campaign as campaign_runner
        return campaign_runner.run_campaign(campaign_args(args))
    if args.command == 'teleop':
        from .teleop_session import run_teleop_session
        return run_teleop_session(os.path.abspath(args.out or _default_run_dir()),
                                  real_time_factor=args.real_time_factor,
                                  top_speed=args.speed, attach=args.attach,
                                  view=(args.view_host, args.view_port) if args.view else None)
    if args.command == 'report':
        from .report_command import run_report
        return run_report(os.path.abspath(args.run_dir))
    if args.command == 'replay':
        return _replay(args)
    if args.command == 'world':
        from .world_session import run_world
        return run_world(args.real_time_factor, [a for a in args.node_args if a != '--'],
                         (args.view_host, args.view_port) if args.view else None)
    return 2


if __name__ == '__main__':
    sys.exit(main())
