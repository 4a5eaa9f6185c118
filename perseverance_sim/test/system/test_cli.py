# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The README's run command, as a user runs it: `perseverance-sim campaign`.

A whole campaign through the command is test_campaign.py; here, what the command does before
it starts anything: options are checked against the scenario, and nodes that are not available
are named.
"""

from importlib.metadata import entry_points
import subprocess
import sys

from perseverance_nodes.ros.environment import ros_environment
from perseverance_nodes.runner.bringup import node_table, RunOptions


def _cli(*args, timeout=60):
    command = [sys.executable, '-m', 'perseverance_nodes.runner.cli', 'campaign', *args]
    return subprocess.run(command, env=ros_environment(), capture_output=True, text=True,
                          timeout=timeout)


def test_help_lists_the_campaign_options():
    """The options of the README's command are all there."""
    run = _cli('--help')
    assert run.returncode == 0
    for option in ('--scenario', '--seed', '--helicopters', '--fault', '--out',
                   '--real-time-factor'):
        assert option in run.stdout


def test_bad_options_are_refused_naming_them_before_anything_starts(tmp_path):
    """Exit code 2 and a message naming the field; no process started, no run directory."""
    cases = [(['--scenario', str(tmp_path / 'missing.yaml')], 'missing.yaml'),
             (['--fault', 'SEAL_STUCK@flight:1'], 'trigger'),
             (['--fault', 'SEAL_STUCK@sample:olympus'], 'olympus'),
             (['--fault', 'HELICOPTER_FAILURE@flight:40'], 'flight:1..10'),
             (['--helicopters', '7'], 'helicopters')]
    for args, field in cases:
        out = tmp_path / 'run'
        run = _cli(*args, '--out', str(out))
        assert run.returncode == 2, run.stdout + run.stderr
        assert field in run.stdout, run.stdout
        assert 'started' not in run.stdout and not out.exists()


def test_node_table_starts_console_scripts_world_first():
    """Every node of the table is a console script of setup.py; /clock first, control last."""
    table = node_table(RunOptions(out_dir='.', helicopters=2))
    scripts = {entry.name for entry in entry_points(group='console_scripts')}
    assert {spec.executable for spec in table} <= scripts
    assert [spec.process_name for spec in table][-3:] == ['helicopter_1', 'helicopter_2',
                                                          'mission_control']
    assert table[0].process_name == 'world'  # /clock first: everything else waits on it
