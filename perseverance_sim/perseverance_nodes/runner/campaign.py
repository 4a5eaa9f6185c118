# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
`perseverance-sim campaign`: start the world and every node, run one campaign, keep everything.

  1. check the scenario (and --fault options) before anything starts;
  2. start the node processes of runner/bringup.py on a ROS_DOMAIN_ID of the run's own and wait
     until each one serves its interface;
  3. inject the --fault options through /mission_control/inject_fault, send RunCampaign and show
     its progress: one line per step (phase, progress, sim time, tubes in the container),
     rewritten in place on a terminal, plain lines otherwise;
  4. stop every process with SIGINT, check the ledger database and the event log, print a
     summary.

The run directory holds report.json, tube_ledger.db, custody_events.jsonl, logs/<process>.log
and, unless --no-record, the recording: campaign.mcap with rosbag2's metadata.yaml beside it (the
directory is a bag: `ros2 bag info DIR`). The recorder is stopped after every other node.
The exit code is 0 only when the campaign succeeded, every process exited 0 and the chain of
custody is sound.
"""

from dataclasses import dataclass
import json
import os
import sys
import time

from .bringup import (CAMPAIGN_DURATION_SCALE, campaign_options, node_table, RECORD_FILE,
                      System, VIEWER_HOST, VIEWER_PORT, viewer_url)
from .domain_lease import DomainLease
from ..domain.facts import load_mission_facts
from ..domain.scenario import load_scenario, parse_fault
from ..domain.tubes import holds_one_tube, INITIAL_HOLDER, tube_catalogue
from ..domain.validation import ConfigError
from ..mission.logic import Phase
from ..ros.stamps import stamp_seconds

CAMPAIGN_TIMEOUT = 3600.0  # s of wall time before the runner gives up on a campaign
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass
class CampaignArgs:
    """The options of `perseverance-sim campaign` (see cli.py for their help)."""

    out: str
    scenario: str = ''
    seed: int = 1
    helicopters: int = 0
    faults: tuple = ()
    real_time_factor: float = 0.0
    duration_scale: float = CAMPAIGN_DURATION_SCALE
    domain_id: int = None
    timeout: float = CAMPAIGN_TIMEOUT
    start_timeout: float = 60.0
    view: bool = False               # serve the live 3D page (viewer node)
    view_host: str = VIEWER_HOST
    view_port: int = VIEWER_PORT
    record: bool = True              # record the campaign: campaign.mcap + metadata.yaml
    record_images: bool = False      # the recording holds the mast camera image too


def replay_event_log(path):
    """
    Replay a custody event log (JSON lines); return (holders at the end, problems found).

    Checks, at every event, what the ledger promises: sequences contiguous from 1, sim time never
    going back, each event leaving from where the tube was, and a single-tube holder (an arm, a
    gripper, a depot slot) never holding two tubes; so every tube is in exactly one place at
    every event.
    """
    holders = {spec.tube_id: INITIAL_HOLDER for spec in tube_catalogue()}
    problems, expected, last_time = [], 1, float('-inf')
    with open(path, encoding='utf-8') as stream:
        for number, line in enumerate(stream, 1):
            try:
                event = json.loads(line)
                sequence, tube = event['sequence'], event['tube_id']
                from_holder, to_holder = event['from_holder'], event['to_holder']
            except (ValueError, KeyError) as error:
                problems.append('line {}: not a custody event ({})'.format(number, error))
                continue
            if sequence != expected:
                problems.append('line {}: sequence {} where {} was due'.format(
                    number, sequence, expected))
            expected = sequence + 1
            if event.get('sim_time', 0.0) < last_time:
                problems.append('event {}: sim time goes back'.format(sequence))
            last_time = max(last_time, event.get('sim_time', 0.0))
            if tube not in holders:
                problems.append('event {}: unknown tube {!r}'.format(sequence, tube))
                continue
            if holders[tube] != from_holder:
                problems.append('event {}: {} leaves {} but was at {}'.format(
                    sequence, tube, from_holder, holders[tube]))
            holders[tube] = to_holder
            if holds_one_tube(to_holder):
                others = [t for t, h in holders.items() if h == to_holder and t != tube]
                if others:
                    problems.append('event {}: {} holds {} and {}'.format(
                        sequence, to_holder, tube, ', '.join(others)))
    return holders, problems


def check_custody(db_path, event_log):
    """Return the problems of the ledger database and of the event log (empty: all sound)."""
    from ..ledger.logic import TubeLedger
    problems = []
    if not os.path.exists(db_path):
        return ['ledger database {} was not written'.format(db_path)]
    with TubeLedger(db_path) as ledger:
        problems += ['database: ' + p for p in ledger.verify_invariant()]
        stored = ledger.holders()
        last = ledger.last_sequence
    if not os.path.exists(event_log):
        return problems + ['event log {} was not written'.format(event_log)]
    holders, log_problems = replay_event_log(event_log)
    problems += ['event log: ' + p for p in log_problems]
    with open(event_log, encoding='utf-8') as stream:
        lines = sum(1 for _ in stream)
    if lines != last:
        problems.append('event log has {} events, the database {}'.format(lines, last))
    elif holders != stored:
        problems.append('event log and database disagree on where tubes are')
    return problems


class ProgressDisplay:
    """One line per campaign step as it starts; on a terminal the line updates in place."""

    def __init__(self, stream):
        """Write to ``stream``."""
        self.stream = stream
        self.tty = hasattr(stream, 'isatty') and stream.isatty()
        self.step = None
        self.sim_time = 0.0
        self.in_container = 0
        self._width = 0
        self._shown = set()    # step numbers with a line of their own

    def status(self, msg):
        """Take sim time and the container count from a MissionStatus message."""
        self.sim_time = stamp_seconds(msg.header.stamp)
        self.in_container = msg.tubes_in_container

    def feedback(self, msg):
        """Show one RunCampaign feedback message."""
        number, _, text = msg.step.partition(': ')
        phase = Phase(msg.stage).name if msg.stage in Phase._value2member_map_ else msg.stage
        line = '{:>4} {:<16} {:>3.0f}%  sim {:>8.0f} s  container {:>2}  {}'.format(
            number, phase, 100.0 * msg.progress, self.sim_time, self.in_container, text)
        # Two flights run at once: a new step starts a line, later feedback of an earlier step
        # only updates the current line (terminal) or is left out (log).
        new = number not in self._shown
        self._shown.add(number)
        if self.tty:
            end = '\n' if new and self.step is not None else ''
            self.stream.write(end + '\r' + line.ljust(self._width))
            self._width = len(line)
        elif new:
            self.stream.write(line + '\n')
        self.step = number
        self.stream.flush()

    def close(self):
        """End the current line."""
        if self.tty and self.step is not None:
            self.stream.write('\n')
            self.stream.flush()


def _inject_faults(client, faults, stream):
    """Arm each --fault through the service; return the problems (refusals)."""
    from perseverance_interfaces.srv import InjectFault
    service = client.node.create_client(InjectFault, '/mission_control/inject_fault')
    client.wait_for_service(service, 10.0)
    problems = []
    for spec in faults:
        request = InjectFault.Request(kind=int(spec.kind), trigger=spec.trigger)
        response = client.spin_future(service.call_async(request), 10.0, 'InjectFault')
        if response.success:
            print('  fault     {} armed as {}'.format(spec, response.fault_id), file=stream)
        else:
            problems.append('{}: {}'.format(spec, response.error_msg))
    return problems


def _run_goal(client, args, display, deadline):
    """Send RunCampaign, follow it to the end; return (result or None, why it has none)."""
    from perseverance_interfaces.action import RunCampaign
    from perseverance_interfaces.msg import MissionStatus
    from rclpy.action import ActionClient
    from ..ros import contract
    client.node.create_subscription(MissionStatus, contract.MISSION_STATUS, display.status,
                                    contract.LATCHED)
    action = ActionClient(client.node, RunCampaign, contract.RUN_CAMPAIGN)
    client.wait_for_action_server(action, 10.0)
    goal = RunCampaign.Goal(scenario=args.scenario, seed=args.seed,
                            helicopters=args.helicopters)
    handle = client.spin_future(
        action.send_goal_async(goal, feedback_callback=lambda m: display.feedback(m.feedback)),
        10.0, 'RunCampaign goal response')
    if not handle.accepted:
        return None, 'mission_control rejected the goal (a campaign is already running)'
    future = handle.get_result_async()
    try:
        client.spin_until(future.done, max(deadline - time.monotonic(), 0.1), 'the campaign')
    except (TimeoutError, KeyboardInterrupt) as error:
        client.spin_future(handle.cancel_goal_async(), 10.0, 'cancel response')
        try:
            client.spin_until(future.done, 30.0, 'the cancelled campaign to end')
        except TimeoutError:
            pass
        if isinstance(error, KeyboardInterrupt):
            raise
        return None, 'the campaign did not finish within --timeout {:.0f} s (wall)'.format(
            args.timeout)
    return future.result().result, ''


def _recording_note(out):
    """Return ', campaign.mcap (N MB) + metadata.yaml', or what is missing of the recording."""
    bag, metadata = os.path.join(out, RECORD_FILE), os.path.join(out, 'metadata.yaml')
    if not os.path.exists(bag):
        return ', no recording ({} was not written)'.format(RECORD_FILE)
    note = ', {} ({:.1f} MB)'.format(RECORD_FILE, os.path.getsize(bag) / 1e6)
    return note + (' + metadata.yaml' if os.path.exists(metadata) else
                   ' without metadata.yaml (the recorder did not finish)')


def _tail(path, lines=20):
    """Return the last lines of a log file."""
    try:
        with open(path, encoding='utf-8', errors='replace') as log:
            return ''.join(log.readlines()[-lines:])
    except OSError as error:
        return str(error)


def run_options(args, facts=None, scenario=None):
    """
    Return the node table's RunOptions for ``args`` (CampaignArgs); ConfigError if invalid.

    ``scenario``: args' scenario already loaded with its overrides (it is not read again).
    """
    return campaign_options(args.out, args.scenario, args.seed, args.helicopters,
                            args.duration_scale, args.real_time_factor, facts, scenario,
                            args.view, args.view_host, args.view_port, args.record,
                            args.record_images)


def run_campaign(args, stream=None):
    """Run `perseverance-sim campaign` with ``args`` (CampaignArgs); return the exit code."""
    stream = stream or sys.stdout
    facts = load_mission_facts(None)
    try:
        scenario = load_scenario(args.scenario or None, facts)
        faults = tuple(parse_fault(text, '--fault {}'.format(text)) for text in args.faults)
        scenario = scenario.with_overrides(seed=args.seed, helicopters=args.helicopters or None,
                                           faults=args.faults)
        options = run_options(args, facts, scenario)
    except ConfigError as error:
        print('perseverance-sim campaign: {}'.format(error), file=stream)
        return EXIT_USAGE
    os.makedirs(args.out, exist_ok=True)
    specs = node_table(options)
    print('perseverance-sim campaign: scenario {} (seed {}, {} helicopters), run directory {}'
          .format(scenario.name, scenario.seed, scenario.helicopters, args.out), file=stream)

    lease = None
    domain_id = args.domain_id
    if domain_id is None and 'ROS_DOMAIN_ID' not in os.environ:
        lease = DomainLease()
        domain_id = lease.domain_id
    domain_id = domain_id if domain_id is not None else int(os.environ['ROS_DOMAIN_ID'])
    system = System(specs, os.path.join(args.out, 'logs'), domain_id)
    client, result, why, wall = None, None, '', 0.0
    display = ProgressDisplay(stream)
    interrupted = False
    try:
        from ..ros.client import RosClient
        system.start(stream)
        client = RosClient(domain_id, 'perseverance_sim_campaign')
        system.wait_ready(client, args.start_timeout, stream)
        if args.view:
            print('perseverance-sim campaign: watch it at {}'.format(
                viewer_url(args.view_host, args.view_port)), file=stream)
        problems = _inject_faults(client, faults, stream)
        if problems:
            why = 'faults refused: ' + '; '.join(problems)
        else:
            started = time.monotonic()
            result, why = _run_goal(client, args, display,
                                    started + args.timeout)
            wall = time.monotonic() - started
    except (TimeoutError, RuntimeError) as error:
        why = str(error)
    except KeyboardInterrupt:
        interrupted, why = True, 'interrupted'
    finally:
        display.close()
        if client is not None:
            client.close()
        codes = system.stop()
        if lease is not None:
            lease.release()
    return _summary(args, system, codes, result, why, wall, interrupted, stream)


def _write_report_page(out_dir, stream):
    """Tell the run as report.html (map, timeline, custody); a failure here fails nothing."""
    from .report_command import write_run_report
    try:
        paths = write_run_report(out_dir, stream)
        print('  report: {}'.format(', '.join(os.path.basename(p) for p in paths)), file=stream)
    except Exception as error:  # noqa: B902 - the campaign's outcome stands; say what failed
        print('  report page not written: {!r}'.format(error), file=stream)


def _summary(args, system, codes, result, why, wall, interrupted, stream):
    """Check the custody chain, add it to the report, print the summary; return the exit code."""
    db_path = os.path.join(args.out, 'tube_ledger.db')
    event_log = os.path.join(args.out, 'custody_events.jsonl')
    custody = check_custody(db_path, event_log)
    report_path = os.path.join(args.out, 'report.json')
    report = None
    if os.path.exists(report_path):
        with open(report_path, encoding='utf-8') as stream_in:
            report = json.load(stream_in)
        report['custody_problems'] = custody
        report['exit_codes'] = codes
        with open(report_path, 'w', encoding='utf-8') as stream_out:
            json.dump(report, stream_out, indent=1)
    for name, code in codes.items():
        print('  stopped   {:<18} exit code {}'.format(name, code), file=stream)
    bad_exits = {name: code for name, code in codes.items() if code != 0}
    success = bool(result is not None and result.success)
    print('', file=stream)
    if result is not None:
        print('campaign {}: {}'.format('SUCCEEDED' if success else 'FAILED',
                                       result.error_msg or 'the MAV launched'), file=stream)
        rtf = result.sim_duration / wall if wall > 0 else 0.0
        print('  sim time {:.0f} s ({:.2f} sols), wall time {:.1f} s, real-time factor {:.1f}'
              .format(result.sim_duration, result.sim_duration / 88775.244, wall, rtf),
              file=stream)
        print('  tubes launched {}'.format(result.tubes_launched), file=stream)
    else:
        print('campaign FAILED: {}'.format(why or 'no result'), file=stream)
    if report is not None:
        counts = report.get('counts', {})
        print('  rocks sampled {rocks_sampled}, tubes used {tubes_used} (sealed {tubes_sealed})'
              ', steps {steps} ({steps_failed} failed), faults {faults} ({faults_recovered} '
              'recovered), helicopters lost {helicopters_lost}'.format(**counts), file=stream)
        for step in [s for s in report.get('steps', []) if not s['success']][:10]:
            print('  step {number} failed: {description}: {error_code} {message}'.format(**step),
                  file=stream)
    print('  chain of custody: {}'.format('sound' if not custody else '; '.join(custody[:5])),
          file=stream)
    _write_report_page(args.out, stream)
    if bad_exits:
        print('  processes that did not exit cleanly: {}'.format(bad_exits), file=stream)
    print('  files: {} (report.json, tube_ledger.db, custody_events.jsonl, logs/{})'.format(
        args.out, _recording_note(args.out) if args.record else ''), file=stream)
    for process in system.group.processes:
        if process.returncode not in (0, None):
            print('----- {} (exit {}), last lines of {}\n{}'.format(
                process.name, process.returncode, process.log_path,
                _tail(process.log_path)), file=stream)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if success and not bad_exits and not custody else EXIT_FAILED
