# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
`perseverance-sim teleop` as a student runs it: in a terminal, with real keys.

The console script runs under a pseudo-terminal (the UI refuses to run without one), brings up
the world, the tube ledger, the caching assembly, the rover and the viewer (its live page, on a
free port), and draws its screen, which names the page; the test reads the screen and types w
(drive), 2 (arm to ready), c (core the nearest rock) and q (quit).
With the default --speed 0.5 the session starts the rover with the world's DiffDrive limits, and
the screen must show those, read from the rover node. The exit code must be 0 and every process
the session started must be gone.
"""

import fcntl
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time

from perseverance_nodes.ros.environment import ros_environment
from perseverance_nodes.runner.bringup import FAST_ROVER
from perseverance_nodes.runner.domain_lease import DomainLease
import pytest

SCRIPT = os.path.join(os.path.dirname(sys.executable), 'perseverance-sim')
NODES = {'world', 'tube_ledger', 'caching_assembly', 'rover', 'viewer'}
READY_TIMEOUT = 60.0   # s (wall): five node processes on a loaded 2-core machine
STEP_TIMEOUT = 15.0    # s (wall) for the screen to show what a key did
CLEAR = '\x1b[H\x1b[2J'  # the UI starts every redraw with this
ANSI = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]')


class PtyScreen:
    """A process on a pseudo-terminal: keys in, the last drawn screen out."""

    def __init__(self, argv, env, columns=120, rows=40):
        """Start ``argv`` with stdin, stdout and stderr on a new pseudo-terminal."""
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', rows, columns, 0, 0))
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        start_new_session=True, close_fds=True)
        os.close(slave)
        self.output = ''

    def _read(self, timeout):
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                self.output += os.read(self.master, 65536).decode('utf-8', errors='replace')
            except OSError:  # EIO: the process closed the terminal
                time.sleep(timeout)

    def screen(self):
        """Return the text of the last complete redraw (escape sequences removed)."""
        last = self.output.rfind(CLEAR)
        text = self.output[last:] if last >= 0 else self.output
        return ANSI.sub('', text).replace('\r', '')

    def wait_for(self, pattern, timeout, what, accept=lambda match: True):
        """Read until the screen matches ``pattern`` with ``accept(match)``; return the match."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.screen())
            if match and accept(match):
                return match
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail('no {} on the screen (exit code {}):\n{}'.format(
                    what, self.process.poll(), self.screen()))
            self._read(0.1)

    def send(self, keys):
        """Type ``keys``."""
        os.write(self.master, keys.encode())

    def wait_exit(self, timeout):
        """Read until the process exits; return its exit code."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        return self.process.wait(timeout=1.0)

    def close(self):
        """Stop the process if it still runs (it stops its nodes); close the terminal."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20.0)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        os.close(self.master)


def _children(pid):
    """Return {pid: executable name} of the live child processes of ``pid``."""
    found = {}
    for entry in os.listdir('/proc'):
        try:
            with open('/proc/{}/stat'.format(entry)) as stat:
                fields = stat.read().rsplit(')', 1)[1].split()
            with open('/proc/{}/cmdline'.format(entry), 'rb') as cmdline:
                argv = cmdline.read().split(b'\0')
        except (OSError, IndexError):  # not a process, or gone meanwhile
            continue
        if int(fields[1]) == pid and fields[0] != 'Z':
            script = argv[1] if os.path.basename(argv[0]).startswith(b'python') else argv[0]
            found[int(entry)] = os.path.basename(script.decode())
    return found


def _alive(pid):
    try:
        with open('/proc/{}/stat'.format(pid)) as stat:
            return stat.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


@pytest.fixture
def teleop(tmp_path):
    """Run `perseverance-sim teleop` on a pseudo-terminal in a domain of its own."""
    assert os.access(SCRIPT, os.X_OK), 'no console script {}'.format(SCRIPT)
    lease = DomainLease()
    out = tmp_path / 'run'
    with socket.socket() as probe:  # a free port for the page the session serves by default
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    ui = PtyScreen([SCRIPT, 'teleop', '--out', str(out), '--view-port', str(port)],
                   ros_environment(lease.domain_id))
    ui.page = 'http://127.0.0.1:{}'.format(port)
    try:
        yield ui
    finally:
        ui.close()
        lease.release()
        logs = out / 'logs'
        for log in sorted(logs.iterdir()) if logs.is_dir() else ():  # shown when a test fails
            print('----- {}\n{}'.format(log.name, log.read_text(errors='replace')[-3000:]))


def test_a_student_drives_moves_the_arm_cores_and_quits(teleop):
    """Keys drive the rover, move its arm and core; the screen shows the rover's own limits."""
    teleop.wait_for(r'status +ready', READY_TIMEOUT, 'ready status')
    screen = teleop.screen()
    limits = 'rover limits {max_linear_speed:.3f} m/s  {max_angular_speed:.3f} rad/s  accel ' \
        '{max_linear_accel:.3f} m/s2  {max_angular_accel:.3f} rad/s2  (read from the rover ' \
        'node)'.format(**FAST_ROVER)
    assert limits in screen, screen
    assert re.search(r'teleop top +0\.500 m/s +0\.500 rad/s', screen), screen
    started = _children(teleop.process.pid)
    assert set(started.values()) == NODES, started
    assert re.search(r'live page +' + re.escape(teleop.page), screen), screen

    teleop.send('w')  # one step of five: 0.1 m/s
    teleop.wait_for(r'command +\+0\.100 m/s', STEP_TIMEOUT, 'the commanded speed')
    teleop.wait_for(r'rover +x +([\d.]+) .* moving \+0\.\d+ m/s', STEP_TIMEOUT,
                    'the rover moving 10 cm along -x from its start at x 32',
                    accept=lambda match: float(match.group(1)) < 31.9)

    teleop.send('2')
    teleop.wait_for(r'arm +ready requested: mov(ing|ed, now still)', STEP_TIMEOUT,
                    'the arm moving to ready')

    teleop.send('c')  # Roubion, the nearest rock, is 10 m away: beyond the arm
    teleop.wait_for(r'action +collect at roubion \([\d.]+ m\): FAILED \(ROCK_OUT_OF_REACH\)',
                    STEP_TIMEOUT, "the rover's answer to the core")
    teleop.wait_for(r'command +\+0\.000 m/s', STEP_TIMEOUT, 'the drive stopped for the core')

    teleop.send('q')
    assert teleop.wait_exit(60.0) == 0, teleop.screen()
    assert teleop.output.rfind('\x1b[?1049l') > teleop.output.rfind(CLEAR)  # screen restored
    still_running = {pid: name for pid, name in started.items() if _alive(pid)}
    assert not still_running, still_running
