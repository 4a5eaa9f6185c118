# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The README's run command, as a user runs it: `perseverance-sim campaign`, and `world --view`.

A whole campaign through the command is test_campaign.py; here, what the command does before
it starts anything: options are checked against the scenario, and nodes that are not available
are named. `perseverance-sim world --view` serves the live page beside the world and stops both
on Ctrl-C; a viewer whose port is taken says so instead of serving elsewhere.
"""

from importlib.metadata import entry_points
import os
import signal
import socket
import subprocess
import sys
import time

from perseverance_nodes.ros.environment import ros_environment
from perseverance_nodes.runner.bringup import node_table, page_answers, RunOptions
from perseverance_nodes.runner.domain_lease import DomainLease
from perseverance_nodes.runner.processes import executable


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


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def test_world_view_serves_the_page_beside_the_world_and_stops_both(tmp_path):
    """`perseverance-sim world --view` names the page, serves it, and leaves nothing on Ctrl-C."""
    lease = DomainLease()
    port = _free_port()
    command = [sys.executable, '-m', 'perseverance_nodes.runner.cli', 'world', '--view',
               '--view-port', str(port), '--real-time-factor', '1.0']
    log = open(tmp_path / 'world.log', 'w+')
    world = subprocess.Popen(command, env=ros_environment(lease.domain_id), stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    url = 'http://127.0.0.1:{}'.format(port)
    try:
        deadline = time.monotonic() + 60.0
        while not page_answers(url) and time.monotonic() < deadline and world.poll() is None:
            time.sleep(0.2)
        log.seek(0)
        output = log.read()
        assert page_answers(url), output
        assert 'the live page is at {}'.format(url) in output
        viewer_pids = _children(world.pid)
        assert viewer_pids, 'no viewer process under the world command'
        world.send_signal(signal.SIGINT)
        assert world.wait(timeout=30.0) == 0, output
        assert not page_answers(url)
        assert not [pid for pid in viewer_pids if os.path.exists('/proc/{}'.format(pid))]
    finally:
        if world.poll() is None:
            os.killpg(world.pid, signal.SIGKILL)
            world.wait()
        log.close()
        lease.release()


def test_a_viewer_refuses_a_taken_port_naming_it():
    """Another server on the port: the viewer exits 2 and says so (viser would move silently)."""
    lease = DomainLease()
    try:
        with socket.socket() as other:
            other.bind(('127.0.0.1', 0))
            other.listen()
            port = other.getsockname()[1]
            run = subprocess.run(executable('viewer') + ['--ros-args', '-p', 'port:={}'.format(
                port)], env=ros_environment(lease.domain_id), capture_output=True, text=True,
                timeout=60)
        assert run.returncode == 2, run.stdout + run.stderr
        assert 'cannot serve the page on 127.0.0.1:{}'.format(port) in run.stdout + run.stderr
    finally:
        lease.release()


def _children(pid):
    """Return the pids whose parent is ``pid``."""
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/{}/stat'.format(entry)) as stat:
                    if int(stat.read().rsplit(')', 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found
