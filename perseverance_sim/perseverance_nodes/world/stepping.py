# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The world's stepping thread, without ROS: queued jobs, periodic streams in sim time, pacing.

One thread owns the engine (WorldEngine is not thread-safe; ``Stepper.lock`` guards it). ROS
callbacks validate their input, then queue a job that the thread runs between physics chunks;
services wait for their job's result. So callbacks never wait for physics and physics never waits
for callbacks. The thread steps to the next publication time, builds the messages due, publishes
them outside the lock and, when real_time_factor > 0, waits (waking for queued jobs) until wall
time catches up. A stream nobody subscribes to is not built unless it is ``always`` (/clock): the
world has four helicopters, a campaign flies one or two.

Publishers are duck-typed: ``publish(msg)`` and ``get_subscription_count()``.
"""

import collections
import math
import threading
import time


class Stream:
    """A periodic publication in sim time: ``build()`` runs under the engine lock."""

    def __init__(self, name, period, build, publishers, always=False):
        """Publish ``build()`` (one message per publisher, or None) every ``period`` s."""
        self.name = name
        self.period = period
        self.build = build            # () -> list of messages, one per publisher
        self.publishers = publishers
        self.always = always          # built even when nobody subscribes
        self.due = 0.0

    def listened(self):
        """Return True when the stream must be built: ``always``, or someone subscribes."""
        return self.always or any(p.get_subscription_count() for p in self.publishers)


def steps_to_next(streams, sim_time, timestep):
    """Physics steps to the earliest due time of ``streams`` (0 when one is due now)."""
    nxt = min(s.due for s in streams)
    if nxt <= sim_time + 1e-9:
        return 0  # something is due now (the first publication at t = 0)
    return max(1, int(math.ceil((nxt - sim_time) / timestep - 1e-6)))


def take_due(streams, sim_time):
    """Move every stream due at ``sim_time`` to its next due time; return those, in order."""
    due = []
    for stream in streams:
        if stream.due > sim_time + 1e-9:
            continue
        stream.due += stream.period
        if stream.due <= sim_time:  # fell behind (rate above the step rate): skip ahead
            stream.due = sim_time + stream.period
        due.append(stream)
    return due


class Pacer:
    """Holds sim time to real_time_factor x wall time from an anchor; never bursts to catch up."""

    def __init__(self):
        """Start without an anchor (the first call with a positive factor sets it)."""
        self._anchor = None  # (wall time, sim time, factor)

    def deadline(self, rtf, now, sim):
        """Return the wall time (monotonic) to wait for before stepping on, or None for now."""
        if rtf <= 0:
            self._anchor = None
            return None
        if self._anchor is None or self._anchor[2] != rtf:
            self._anchor = (now, sim, rtf)
            return None
        wall0, sim0, _ = self._anchor
        target = wall0 + (sim - sim0) / rtf
        if now - target > 0.5:  # fell behind: do not burst to catch up
            self._anchor = (now, sim, rtf)
            return None
        return target


class Stepper:
    """The thread that owns the engine: runs jobs, steps, publishes due streams, paces."""

    def __init__(self, engine, active_streams, on_fatal, real_time_factor=0.0):
        """
        Drive ``engine`` (``step(n)``, ``sim_time``, ``timestep``, ``close()``).

        ``active_streams()`` returns the streams to schedule now (under the lock);
        ``on_fatal(err)`` reports the exception that stops the thread.
        """
        self.engine = engine
        self.lock = threading.Lock()
        self.real_time_factor = real_time_factor
        self.steps = 0  # physics steps taken (for the log at exit)
        self._active_streams = active_streams
        self._on_fatal = on_fatal
        self._jobs = collections.deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pacer = Pacer()
        self._thread = threading.Thread(target=self.run, name='world_stepping', daemon=True)

    def start(self):
        """Start the stepping thread."""
        self._thread.start()

    def stop(self, timeout=5.0):
        """Stop the thread (it closes the engine) and wait up to ``timeout`` s for it."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    def wake(self):
        """Cut a pacing wait short (a job came in, or the real-time factor changed)."""
        self._wake.set()

    def submit(self, job):
        """Queue ``job`` for the stepping thread (it runs under the engine lock)."""
        self._jobs.append(job)
        self._wake.set()

    def call(self, fn, timeout):
        """Run ``fn`` on the stepping thread and return its result; TimeoutError after timeout."""
        if not self._thread.is_alive():
            with self.lock:
                return fn()
        done = threading.Event()
        box = {}

        def job():
            try:
                box['result'] = fn()
            except Exception as err:  # noqa: B902 - handed back to the caller
                box['error'] = err
            finally:
                done.set()
        self.submit(job)
        if not done.wait(timeout):
            raise TimeoutError('the stepping thread did not answer within {} s'.format(timeout))
        if 'error' in box:
            raise box['error']
        return box['result']

    def run(self):
        """Step, publish and pace until stopped; the engine is closed on this thread."""
        try:
            while not self._stop.is_set():
                for publisher, msg in self.advance():
                    publisher.publish(msg)
                self.pace()
        except Exception as err:  # noqa: B902 - report whatever stops the world, then stop
            if not self._stop.is_set():
                self._on_fatal(err)
                raise
        finally:
            with self.lock:
                self.engine.close()  # GL contexts belong to the thread that rendered

    def advance(self):
        """Run queued jobs, step to the next publication time, return (publisher, msg) due."""
        eng = self.engine
        with self.lock:
            self._run_jobs()
            streams = self._active_streams()
            steps = steps_to_next(streams, eng.sim_time, eng.timestep)
            eng.step(steps)
            self.steps += steps
            out = []
            for stream in take_due(streams, eng.sim_time):
                if not stream.listened():
                    continue  # nobody listens: skip building it (4 helicopters, 1 flying)
                msgs = stream.build()
                if msgs:
                    out.extend(zip(stream.publishers, msgs))
            return out

    def pace(self):
        """Hold sim time to real_time_factor x wall time, running jobs while waiting."""
        target = self._pacer.deadline(self.real_time_factor, time.monotonic(),
                                      self.engine.sim_time)
        if target is None:
            return
        while not self._stop.is_set():
            remaining = target - time.monotonic()
            if remaining <= 0:
                return
            if self._wake.wait(remaining):
                self._wake.clear()
                with self.lock:
                    self._run_jobs()

    def _run_jobs(self):
        while self._jobs:
            self._jobs.popleft()()
