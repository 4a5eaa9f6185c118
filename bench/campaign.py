#!/usr/bin/env python3
# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Benchmark of the whole campaign: prints figures, asserts nothing.

Runs `perseverance-sim campaign` (every node as a process, the embedded world unpaced) for the
default scenario, then for 1, 2 and 4 helicopters, and prints for each run: outcome, wall time,
simulated time, real-time factor, steps and tubes launched. The issue's target is the default
campaign in at most 90 s of wall time on 2 cores. A helicopter count above the scenario's
helipads uses the world contract's helipad_3 and helipad_4 (worlds/jezero.sdf has
helicopter_1 .. helicopter_4 on them).

    python3 bench/campaign.py [--scenario F] [--helicopters 1 2 4] [--no-default] [--keep DIR]
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'perseverance_sim'))

from perseverance_nodes.domain.scenario import default_scenario_path  # noqa: E402
from perseverance_nodes.ros.environment import ros_environment  # noqa: E402
import yaml  # noqa: E402,I100

# helipad_1 .. helipad_4 of docs/world_contract.md
HELIPADS = [{'x': 78.0, 'y': 8.0}, {'x': 78.0, 'y': -8.0}, {'x': 84.0, 'y': 8.0},
            {'x': 84.0, 'y': -8.0}]


def scenario_with_helipads(source, count, directory):
    """Write a copy of ``source`` with at least ``count`` helipads; return its path."""
    data = yaml.safe_load(open(source, encoding='utf-8'))
    pads = data['helicopters']['helipads']
    data['helicopters']['helipads'] = pads + HELIPADS[len(pads):count]
    path = os.path.join(directory, 'scenario_{}_helipads.yaml'.format(count))
    with open(path, 'w', encoding='utf-8') as stream:
        yaml.safe_dump(data, stream)
    return path


def run(label, scenario, helicopters, out_dir, timeout):
    """Run one campaign; return a row of figures."""
    command = [sys.executable, '-m', 'perseverance_nodes.runner.cli', 'campaign', '--scenario',
               scenario, '--out', out_dir, '--timeout', str(timeout)]
    if helicopters:
        command += ['--helicopters', str(helicopters)]
    started = time.monotonic()
    done = subprocess.run(command, env=ros_environment(), capture_output=True, text=True,
                          cwd=str(ROOT / 'perseverance_sim'))
    wall = time.monotonic() - started
    row = {'label': label, 'exit': done.returncode, 'wall_total': wall, 'sim': None,
           'campaign_wall': None, 'steps': None, 'launched': None, 'failure': ''}
    report_path = os.path.join(out_dir, 'report.json')
    if os.path.exists(report_path):
        report = json.load(open(report_path, encoding='utf-8'))
        row.update(sim=report.get('sim_duration'), campaign_wall=report.get('wall_duration'),
                   steps=report['counts']['steps'], launched=report['counts']['launched'],
                   failure=report.get('failure', ''))
    else:
        row['failure'] = (done.stdout + done.stderr).strip().splitlines()[-1:] or ['no output']
    return row


def main():
    """Run the campaigns and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--scenario', default=str(default_scenario_path()))
    parser.add_argument('--helicopters', type=int, nargs='*', default=[1, 2, 4])
    parser.add_argument('--no-default', action='store_true',
                        help='skip the run with the scenario as it is')
    parser.add_argument('--timeout', type=float, default=900.0,
                        help='wall-time limit of each campaign (s)')
    parser.add_argument('--keep', default=None, help='keep the run directories here')
    args = parser.parse_args()
    args.scenario = os.path.abspath(args.scenario)  # the campaigns run in perseverance_sim/
    base = args.keep or tempfile.mkdtemp(prefix='bench_campaign_')
    os.makedirs(base, exist_ok=True)
    runs = [] if args.no_default else [('default', args.scenario, 0)]
    for count in args.helicopters:
        scenario = scenario_with_helipads(args.scenario, count, base)
        runs.append(('{} helicopter{}'.format(count, 's' if count > 1 else ''), scenario, count))
    print('campaign benchmark: {} on {} cores; runs in {}'.format(
        os.path.basename(args.scenario), os.cpu_count(), base))
    print('{:<15} {:>5} {:>10} {:>12} {:>10} {:>7} {:>6} {:>9}  {}'.format(
        'run', 'exit', 'wall (s)', 'campaign (s)', 'sim (s)', 'RTF', 'steps', 'launched',
        'failure'))
    for label, scenario, count in runs:
        out_dir = os.path.join(base, label.replace(' ', '_'))
        row = run(label, scenario, count, out_dir, args.timeout)
        rtf = row['sim'] / row['campaign_wall'] if row['sim'] and row['campaign_wall'] else 0.0
        print('{:<15} {:>5} {:>10.1f} {:>12} {:>10} {:>7.1f} {:>6} {:>9}  {}'.format(
            label, row['exit'], row['wall_total'],
            '{:.1f}'.format(row['campaign_wall']) if row['campaign_wall'] else '-',
            '{:.0f}'.format(row['sim']) if row['sim'] is not None else '-', rtf,
            row['steps'] if row['steps'] is not None else '-',
            row['launched'] if row['launched'] is not None else '-', row['failure']),
            flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
