# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Start, watch and stop node processes: what `ros2 launch` does, for machines without `launch`.

Used by `perseverance-sim` and by the test harness. Each process's output goes to its own log
file so nothing is lost when a process dies, and a stop is SIGINT first (so nodes shut down
cleanly and exit 0), escalating to SIGTERM and SIGKILL only on timeout.
"""

import os
import signal
import subprocess
import sys
import time

from perseverance_nodes.domain.package_data import PACKAGE
from perseverance_nodes.ros.environment import ros_environment


class NodeProcess:
    """One child process and its captured output."""

    def __init__(self, name, argv, env, log_dir):
        """Start `argv` as `name`, with stdout and stderr written to `<log_dir>/<name>.log`."""
        self.name = name
        self.argv = list(argv)
        self.log_path = os.path.join(log_dir, name + '.log')
        self._log = open(self.log_path, 'wb')
        self.popen = subprocess.Popen(
            self.argv, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)

    @property
    def returncode(self):
        """Exit code, or None while running."""
        return self.popen.poll()

    def output(self):
        """Return everything the process printed so far."""
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, 'rb') as log:
            return log.read().decode('utf-8', errors='replace')

    def stop(self, timeout=10.0):
        """Stop with SIGINT, then SIGTERM, then SIGKILL; return the exit code."""
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if self.popen.poll() is not None:
                break
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                continue
        self._log.close()
        return self.popen.returncode


def _executable_dirs():
    """Where node executables may live, most specific first."""
    dirs = []
    try:  # a colcon install: <prefix>/lib/perseverance_sim
        from ament_index_python.packages import get_package_prefix
        dirs.append(os.path.join(get_package_prefix(PACKAGE), 'lib', PACKAGE))
    except (ImportError, LookupError, ValueError, OSError):  # OSError: AMENT_PREFIX_PATH unset
        pass
    dirs.append(os.path.join(sys.prefix, 'lib', PACKAGE))  # scripts/setup.sh's venv
    dirs.append(os.path.dirname(sys.executable))
    return dirs


def executable(name):
    """Return the argv prefix that runs the node executable `name` (as `ros2 run` would)."""
    for directory in _executable_dirs():
        candidate = os.path.join(directory, name)
        if os.access(candidate, os.X_OK):
            return [candidate]
    raise FileNotFoundError(
        'node executable {!r} not found in {}; run scripts/setup.sh (or colcon build)'.format(
            name, ', '.join(_executable_dirs())))


class ProcessGroup:
    """A set of node processes sharing one ROS environment (domain id, loopback discovery)."""

    def __init__(self, log_dir, domain_id=None, extra_env=None):
        """Prepare a group whose logs go to `log_dir`."""
        os.makedirs(log_dir, exist_ok=True)
        self.log_dir = log_dir
        self.env = ros_environment(domain_id=domain_id)
        self.env.update(extra_env or {})
        self.processes = []

    def start(self, name, argv):
        """Start a process; `argv` is a full command line."""
        process = NodeProcess(name, argv, self.env, self.log_dir)
        self.processes.append(process)
        return process

    def start_node(self, executable_name, node_name=None, ros_args=(), args=()):
        """Start a node executable with optional --ros-args (remaps, parameters)."""
        argv = executable(executable_name) + list(args)
        if ros_args:
            argv += ['--ros-args'] + list(ros_args)
        return self.start(node_name or executable_name, argv)

    def dead(self):
        """Return the processes that have exited while they should still run."""
        return [p for p in self.processes if p.returncode is not None]

    def stop_all(self, timeout=10.0):
        """Stop every process (in reverse start order); return {name: exit code}."""
        codes = {}
        for process in reversed(self.processes):
            codes[process.name] = process.stop(timeout=timeout)
        return codes

    def report(self):
        """All processes' output, each under a header: for failure messages."""
        parts = []
        for process in self.processes:
            parts.append('----- {} (exit {}) {}\n{}'.format(
                process.name, process.returncode, ' '.join(process.argv), process.output()))
        return '\n'.join(parts)


def wait_until(predicate, timeout, interval=0.05, describe='condition'):
    """
    Poll `predicate` until it is true; raise TimeoutError naming `describe` after `timeout` s.

    For waits on things outside ROS (files, processes). ROS waits spin an executor instead.
    """
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise TimeoutError('timed out after {:.1f} s waiting for {}'.format(timeout, describe))
        time.sleep(interval)
