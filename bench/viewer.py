#!/usr/bin/env python3
# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Benchmark of the live 3D page (the viewer node): prints figures, asserts nothing.

1. Steady state: the world at real time, the tube ledger and the viewer, configured by
   runner/bringup.node_table as the runner does. After a warm-up, the CPU of each (share of one
   core, utime + stime from /proc/<pid>/stat over a window) with no browser, then with headless
   chromium on the page (test/browser/browser_session.py), whose own CPU (every chromium
   process) is shown for information.
2. First paint: from driver.get(url) to the rover's chassis in the page's scene tree, over a
   few loads, each with the browser's cache cleared.
3. The campaign (`perseverance-sim campaign`, the quick scenario by default) with the viewer
   off, on with no browser, and on with a browser that opens the page as soon as it answers,
   interleaved run by run so that machine noise hits every variant alike: each run's real-time
   factor and wall time (report.json), the medians and their ratios to the viewer off.

The issue's targets: a browser on the page costs a campaign < 10 % of its real-time factor; the
viewer takes < 25 % of one core at 10 Hz; first paint < 3 s. Every process started here is
stopped at the end, also on Ctrl-C.

    python3 bench/viewer.py [--scenario F] [--repeats N] [--warm-up S] [--window S] [--loads N]
                            [--update-rate HZ] [--no-steady] [--no-campaigns] [--keep DIR]
"""

import argparse
import contextlib
import dataclasses
import json
import os
import pathlib
import queue
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'perseverance_sim'))
sys.path.insert(0, str(ROOT / 'perseverance_sim' / 'test' / 'browser'))

import browser_session  # noqa: E402
from perseverance_nodes.ros.client import RosClient  # noqa: E402
from perseverance_nodes.ros.environment import ros_environment  # noqa: E402
from perseverance_nodes.runner.bringup import (node_table, page_answers, RunOptions,  # noqa: E402
                                               System, viewer_url)
from perseverance_nodes.runner.domain_lease import DomainLease  # noqa: E402
from selenium.common.exceptions import TimeoutException  # noqa: E402

QUICK_SCENARIO = ROOT / 'perseverance_sim' / 'config' / 'scenarios' / 'quick.yaml'
STEADY_NODES = ('world', 'tube_ledger', 'viewer')
VARIANTS = ('off', 'view-no-browser', 'view-browser')
CHASSIS = '/world/perseverance/chassis'
CHASSIS_DRAWN = """
const mutable = window.__viserMutable;
return Boolean(mutable && mutable.nodeRefFromName[arguments[0]]);"""
CLOCK_TICK = os.sysconf('SC_CLK_TCK')
POLL = 0.5              # s between samples of a campaign's processes
START_TIMEOUT = 120.0   # s for the steady-state nodes to serve their interfaces
PAINT_TIMEOUT = 60.0    # s for the chassis to appear on the page
SCRIPT_TIMEOUT = 5.0    # s a probe of the page may wait for its busy main thread


# -- processes ---------------------------------------------------------------------------------
def _stat(pid):
    """Return (ppid, start time in ticks, CPU seconds user + system) of a process, or None."""
    try:
        with open('/proc/{}/stat'.format(pid)) as stat:
            fields = stat.read().rsplit(')', 1)[1].split()
    except OSError:  # gone
        return None
    if fields[0] in ('Z', 'X'):  # exited, not yet reaped
        return None
    return int(fields[1]), int(fields[19]), (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def process_tree():
    """Return {ppid: [(pid, start time)]} of every process now."""
    children = {}
    for entry in os.listdir('/proc'):
        stat = _stat(entry) if entry.isdigit() else None
        if stat is not None:
            children.setdefault(stat[0], []).append((int(entry), stat[1]))
    return children


def descendants(pid, tree=None):
    """Return {pid: start time} of every living descendant of ``pid`` (in ``tree``)."""
    children = process_tree() if tree is None else tree
    found, todo = {}, [pid]
    while todo:
        for child, started in children.get(todo.pop(), ()):
            found[child] = started
            todo.append(child)
    return found


def cpu_sample(pids):
    """Return {pid: (start time, CPU seconds)} of the living processes among ``pids``."""
    sample = {}
    for pid in pids:
        stat = _stat(pid)
        if stat is not None:
            sample[pid] = stat[1:]
    return sample


def cpu_used(before, after):
    """Return the CPU seconds spent between two samples (processes new in ``after`` in full)."""
    total = 0.0
    for pid, (started, seconds) in after.items():
        earlier = before.get(pid)
        total += seconds - earlier[1] if earlier and earlier[0] == started else seconds
    return total


def _alive(processes):
    """Return those of {pid: start time} still alive (the same process, not a reused pid)."""
    return [pid for pid, started in processes.items()
            if (_stat(pid) or (None, None))[1] == started]


def kill_survivors(processes, what, grace=10.0):
    """SIGKILL those of {pid: start time} still alive after ``grace`` s (they were stopped)."""
    deadline = time.monotonic() + grace
    while _alive(processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = _alive(processes)
    for pid in survivors:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if survivors:
        print('  ({} processes of {} outlived their stop and were killed: {})'.format(
            len(survivors), what, survivors), flush=True)


@contextlib.contextmanager
def ctrl_c_held():
    """Hold a Ctrl-C off while processes are being stopped; raise it afterwards."""
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *_: caught.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def stop_process(process, timeout=60.0):
    """Stop a child with SIGINT (the campaign then stops its nodes), escalating on timeout."""
    with ctrl_c_held():
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if process.poll() is not None:
                break
            process.send_signal(sig)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                continue


def free_port():
    """Return a TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def load_average():
    """Return the 1, 5 and 15 minute load averages as text."""
    return '{:.2f} {:.2f} {:.2f}'.format(*os.getloadavg())


# -- the browser -------------------------------------------------------------------------------
@contextlib.contextmanager
def browser(base):
    """Yield a headless chromium WebDriver (a fresh profile); make sure all of it is gone."""
    seen = {}
    try:
        with browser_session.headless_chromium(pathlib.Path(tempfile.mkdtemp(
                prefix='chromium_', dir=base))) as driver:
            seen.update(descendants(driver.service.process.pid))
            driver.set_script_timeout(SCRIPT_TIMEOUT)
            try:
                yield driver
            finally:
                seen.update(descendants(driver.service.process.pid))
    finally:
        kill_survivors(seen, 'chromium')


def browser_pids(driver, tree=None):
    """Return the pids of the browser's processes (everything chromedriver started)."""
    return list(descendants(driver.service.process.pid, tree))


def chassis_drawn(driver):
    """Return True once the rover's chassis node exists in the page's scene."""
    try:
        return driver.execute_script(CHASSIS_DRAWN, CHASSIS) is True
    except TimeoutException:  # the page's main thread is busy (building the scene)
        return False


def first_paint(driver, url):
    """Open ``url`` with an empty cache; return (s to the load event, s to the chassis drawn)."""
    driver.get('about:blank')
    driver.execute_cdp_cmd('Network.clearBrowserCache', {})
    started = time.perf_counter()
    driver.get(url)
    loaded = time.perf_counter() - started
    while not chassis_drawn(driver):
        if time.perf_counter() - started > PAINT_TIMEOUT:
            raise TimeoutError('the chassis was not drawn within {:.0f} s'.format(
                PAINT_TIMEOUT))
        time.sleep(0.02)
    return loaded, time.perf_counter() - started


# -- 1 and 2: the steady state and first paint -------------------------------------------------
def _steady_specs(out_dir, update_rate):
    options = RunOptions(out_dir=out_dir, real_time_factor=1.0, helicopters=0, viewer=True,
                         viewer_port=free_port())
    specs = [spec for spec in node_table(options) if spec.process_name in STEADY_NODES]
    if update_rate:
        specs = [dataclasses.replace(spec, parameters=dict(spec.parameters,
                                                           update_rate=float(update_rate)))
                 if spec.process_name == 'viewer' else spec for spec in specs]
    return specs, viewer_url(options.viewer_host, options.viewer_port)


def _measure(system, pids, window):
    """Return {name: share of one core} of ``pids`` ({name: [pid]}) over ``window`` s."""
    every = [pid for group in pids.values() for pid in group]
    before, started = cpu_sample(every), time.perf_counter()
    time.sleep(window)
    after, wall = cpu_sample(every), time.perf_counter() - started
    if system.dead():
        raise RuntimeError('exited during the measurement:\n' + system.report())
    return {name: cpu_used({p: before[p] for p in group if p in before},
                           {p: after[p] for p in group if p in after}) / wall
            for name, group in pids.items()}


def steady_state(args, base):
    """Measure the nodes' CPU with and without a browser, and first paint; print the figures."""
    out_dir = tempfile.mkdtemp(prefix='steady_', dir=base)
    specs, url = _steady_specs(out_dir, args.update_rate)
    rate = args.update_rate or 10.0
    lease = DomainLease()
    system = System(specs, os.path.join(out_dir, 'logs'), lease.domain_id)
    print('\n1. steady state: world at real time + tube_ledger + viewer at {:g} Hz on {} '
          '(ROS domain {}); warm-up {:g} s, window {:g} s; load average {}'.format(
              rate, url, lease.domain_id, args.warm_up, args.window, load_average()),
          flush=True)
    try:
        system.start()
        client = RosClient(lease.domain_id, 'bench_viewer')
        try:
            system.wait_ready(client, START_TIMEOUT)
        finally:
            client.close()  # the probe takes no part in the measurement
        nodes = {p.name: [p.popen.pid] for p in system.group.processes}
        time.sleep(args.warm_up)
        alone = _measure(system, nodes, args.window)
        with browser(base) as driver:
            paints = [first_paint(driver, url) for _ in range(args.loads)]
            time.sleep(args.warm_up)
            watched = _measure(system, dict(nodes, chromium=browser_pids(driver)),
                               args.window)
            drawn = chassis_drawn(driver)
    finally:
        with ctrl_c_held():
            codes = system.stop()
            lease.release()
    print('{:<12} {:>18} {:>20}'.format('process', 'no browser (%)', 'browser on page (%)'))
    for name in list(nodes) + ['chromium']:
        print('{:<12} {:>18} {:>20.1f}'.format(
            name, '{:.1f}'.format(100 * alone[name]) if name in alone else '-',
            100 * watched[name]))
    print('viewer at {:g} Hz: {:.1f} % of one core with no browser, {:.1f} % with a browser '
          '(target < 25 %); the page still drawn at the end: {}'.format(
              rate, 100 * alone['viewer'], 100 * watched['viewer'], drawn))
    print('\n2. first paint, cache cleared each time (driver.get to the load event / to {}):'
          .format(CHASSIS))
    for number, (loaded, painted) in enumerate(paints, 1):
        print('  load {}: {:.2f} s / {:.2f} s'.format(number, loaded, painted))
    print('first paint: median {:.2f} s, max {:.2f} s (target < 3 s)'.format(
        statistics.median(p for _, p in paints), max(p for _, p in paints)))
    bad = {name: code for name, code in codes.items() if code != 0}
    print('processes stopped{}; load average {}'.format(
        ' (unclean exits: {})'.format(bad) if bad else ' cleanly', load_average()), flush=True)


# -- 3: campaigns ------------------------------------------------------------------------------
def _is_viewer(pid):
    try:
        with open('/proc/{}/cmdline'.format(pid), 'rb') as cmdline:
            argv = cmdline.read().split(b'\0')
    except OSError:
        return False
    return any(os.path.basename(arg) == b'viewer' for arg in argv[:2])


def _read_lines(stream, lines):
    for line in stream:
        lines.put(line)
    lines.put(None)


class CampaignWatch:
    """A campaign process's output and the CPU of its viewer and of the browser."""

    def __init__(self, process):
        """Follow ``process`` (stdout a pipe of text)."""
        self.process = process
        self.lines = queue.Queue()
        self.output = []
        self.seen = {}             # every descendant: stopped (or killed) at the end
        self.viewer = None         # its pid
        self.viewer_cpu = []       # (wall, CPU s) once the campaign is under way
        self.browser_cpu = []      # (wall, {pid: (start, CPU s)})
        self.ready = False         # the campaign printed its 'watch it at' line
        threading.Thread(target=_read_lines, args=(process.stdout, self.lines),
                         daemon=True).start()

    def next_line(self):
        """Return the next output line, '' if none within POLL, None at the end."""
        try:
            line = self.lines.get(timeout=POLL)
        except queue.Empty:
            return ''
        if line is not None:
            self.output.append(line)
            self.ready = self.ready or 'watch it at' in line
        return line

    def sample(self, driver):
        """Record the processes below the campaign and, once it runs, the CPU figures."""
        tree = process_tree()
        self.seen.update(descendants(self.process.pid, tree))
        if self.viewer is None:
            self.viewer = next((pid for pid in self.seen if _is_viewer(pid)), None)
        if not self.ready:
            return
        now = time.perf_counter()
        viewer = cpu_sample([self.viewer]) if self.viewer else {}
        if viewer:
            self.viewer_cpu.append((now, viewer[self.viewer][1]))
        if driver is not None:
            self.browser_cpu.append((now, cpu_sample(browser_pids(driver, tree))))

    def shares(self):
        """Return the viewer's and the browser's share of one core while the campaign ran."""
        viewer = browser = None
        if len(self.viewer_cpu) > 1:
            (t0, c0), (t1, c1) = self.viewer_cpu[0], self.viewer_cpu[-1]
            viewer = (c1 - c0) / (t1 - t0)
        if len(self.browser_cpu) > 1:
            (t0, s0), (t1, s1) = self.browser_cpu[0], self.browser_cpu[-1]
            browser = cpu_used(s0, s1) / (t1 - t0)
        return viewer, browser


def campaign_run(variant, args, out_dir, base):
    """Run one campaign in ``variant``; return a row of figures."""
    lease = DomainLease()
    port = free_port()
    url = viewer_url('127.0.0.1', port)
    command = [sys.executable, '-m', 'perseverance_nodes.runner.cli', 'campaign', '--scenario',
               args.scenario, '--out', out_dir, '--timeout', str(args.timeout), '--domain-id',
               str(lease.domain_id)]
    if variant != 'off':
        command += ['--view', '--view-port', str(port)]
    row = {'variant': variant, 'exit': None, 'total': None, 'sim': None, 'wall': None,
           'rtf': None, 'viewer': None, 'browser': None, 'opened': None, 'drawn': None,
           'load': load_average(), 'failure': ''}
    watch = None
    try:
        with contextlib.ExitStack() as stack:
            # A browser already running (as a user's is) that opens the page when it answers.
            driver = stack.enter_context(browser(base)) if variant == 'view-browser' else None
            started = time.perf_counter()
            # A session of its own: a Ctrl-C reaches the campaign once, from stop_process.
            process = subprocess.Popen(command, env=ros_environment(), stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True,
                                       cwd=str(ROOT / 'perseverance_sim'),
                                       start_new_session=True)
            stack.callback(stop_process, process)
            watch = CampaignWatch(process)
            opened = None
            while watch.next_line() is not None:
                if driver is not None and opened is None and (
                        watch.ready or page_answers(url, timeout=0.2)):
                    opened = time.perf_counter()
                    row['opened'] = opened - started
                    driver.get(url)
                elif opened is not None and row['drawn'] is None and chassis_drawn(driver):
                    row['drawn'] = time.perf_counter() - opened
                watch.sample(driver)
            process.wait()
            row['total'] = time.perf_counter() - started
            row['exit'] = process.returncode
    finally:
        if watch is not None:
            kill_survivors(watch.seen, 'the campaign')
        lease.release()
    row['viewer'], row['browser'] = watch.shares()
    report_path = os.path.join(out_dir, 'report.json')
    if os.path.exists(report_path):
        with open(report_path, encoding='utf-8') as stream:
            report = json.load(stream)
        row['sim'], row['wall'] = report.get('sim_duration'), report.get('wall_duration')
        if row['sim'] and row['wall']:
            row['rtf'] = row['sim'] / row['wall']
        row['failure'] = report.get('failure', '') or ''
    if row['exit'] != 0 and not row['failure']:
        row['failure'] = (''.join(watch.output).strip().splitlines() or ['no output'])[-1]
    return row


def _figure(value, text='{:.1f}', scale=1.0):
    return text.format(scale * value) if value is not None else '-'


def campaigns(args, base):
    """Run the three variants ``args.repeats`` times, interleaved; print the figures."""
    print('\n3. campaign {} with the viewer off / on, no browser / on, a browser on the page; '
          'interleaved, {} repeats; runs in {}'.format(
              os.path.basename(args.scenario), args.repeats, base), flush=True)
    print('total: process start to exit; wall and RTF: report.json (the campaign alone); '
          'viewer, browser: share of one core while the campaign ran; page: s from start to '
          'driver.get + s from there to the chassis drawn')
    header = '{:<4} {:<16} {:>4} {:>9} {:>8} {:>9} {:>6} {:>10} {:>11} {:>9}  {}'
    print(header.format('run', 'variant', 'exit', 'total (s)', 'sim (s)', 'wall (s)', 'RTF',
                        'viewer (%)', 'browser (%)', 'page (s)', 'load average / failure'))
    rows = []
    for repeat in range(1, args.repeats + 1):
        for variant in VARIANTS:
            out_dir = os.path.join(base, 'campaign_{}_{}'.format(repeat, variant))
            row = campaign_run(variant, args, out_dir, base)
            rows.append(row)
            page = '-' if row['opened'] is None else '{:.0f}+{}'.format(
                row['opened'], _figure(row['drawn']) if row['drawn'] is not None else 'never')
            print(header.format(
                repeat, variant, str(row['exit']), _figure(row['total']),
                _figure(row['sim'], '{:.0f}'), _figure(row['wall']), _figure(row['rtf'], '{:.2f}'),
                _figure(row['viewer'], scale=100), _figure(row['browser'], scale=100), page,
                '{} {}'.format(row['load'], row['failure']).strip()), flush=True)
    medians = {}
    for variant in VARIANTS:
        done = [row for row in rows if row['variant'] == variant and row['rtf'] and
                row['exit'] == 0]  # a failed campaign's figures describe something else
        if not done:
            print('{:<16} no successful run'.format(variant))
            continue
        medians[variant] = statistics.median(row['rtf'] for row in done)
        print('{:<16} median real-time factor {:.2f}, wall {:.1f} s, total {:.1f} s ({} runs)'
              .format(variant, medians[variant],
                      statistics.median(row['wall'] for row in done),
                      statistics.median(row['total'] for row in done), len(done)))
    for variant in VARIANTS[1:]:
        if variant in medians and 'off' in medians:
            print('ratio {}/off: {:.2f}'.format(variant, medians[variant] / medians['off']))
    print('target: ratio view-browser/off >= 0.90; load average {}'.format(load_average()),
          flush=True)


def main():
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--scenario', default=str(QUICK_SCENARIO),
                        help='campaign scenario (default: config/scenarios/quick.yaml)')
    parser.add_argument('--repeats', type=int, default=2,
                        help='campaigns per variant (default 2)')
    parser.add_argument('--timeout', type=float, default=900.0,
                        help='wall-time limit of each campaign (s)')
    parser.add_argument('--warm-up', type=float, default=10.0,
                        help='s before each steady-state window (default 10)')
    parser.add_argument('--window', type=float, default=20.0,
                        help='s of each steady-state CPU measurement (default 20)')
    parser.add_argument('--loads', type=int, default=3,
                        help='page loads for first paint (default 3)')
    parser.add_argument('--update-rate', type=float, default=None,
                        help="viewer's update_rate in the steady state (Hz; default: the "
                             "node's, 10)")
    parser.add_argument('--no-steady', action='store_true',
                        help='skip the steady state and first paint')
    parser.add_argument('--no-campaigns', action='store_true', help='skip the campaigns')
    parser.add_argument('--keep', default=None, help='keep the run directories here')
    args = parser.parse_args()
    # A shell starts background jobs with SIGINT ignored, and children inherit that; the nodes
    # and campaigns started here stop on SIGINT, and so does this benchmark.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.repeats < 1 or args.loads < 1 or args.window <= 0 or args.warm_up < 0:
        parser.error('--repeats and --loads must be at least 1, --window positive, --warm-up '
                     'not negative')
    if not os.path.isfile(args.scenario):
        parser.error('no scenario file {}'.format(args.scenario))
    args.scenario = os.path.abspath(args.scenario)
    missing = [path for path in (browser_session.CHROMIUM, browser_session.CHROMEDRIVER)
               if not os.access(path, os.X_OK)]
    if missing:
        parser.error('needs {} (Debian packages chromium and chromium-driver; scripts/setup.sh '
                     '--with-test-tools)'.format(' and '.join(missing)))
    base = args.keep or tempfile.mkdtemp(prefix='bench_viewer_')
    os.makedirs(base, exist_ok=True)
    print('viewer benchmark on {} cores; load average {}; files in {}'.format(
        os.cpu_count(), load_average(), base), flush=True)
    try:
        if not args.no_steady:
            steady_state(args, base)
        if not args.no_campaigns:
            campaigns(args, base)
    except KeyboardInterrupt:
        print('\ninterrupted; every process started here is stopped', flush=True)
        return 130
    return 0


if __name__ == '__main__':
    sys.exit(main())
