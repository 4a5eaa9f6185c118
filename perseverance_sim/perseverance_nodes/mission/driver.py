# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The campaign thread of mission_control: a Campaign driven to its end, each step in a thread.

``CampaignDriver.run`` asks the Campaign for the steps to start, runs every one in a thread of
its own (helicopters fly side by side) and hands the outcomes back in the order they finish,
until no step runs and none can start. It knows no ROS: the node gives it the campaign's clock,
how to run a step, whether to stop, its logger, and what to do when faults may have changed and
when a step ended. ``campaign_outcome`` names the RunCampaign result of a campaign that ended.
"""

import queue
import threading
import time

from .logic import step_label, StepResult


class CampaignDriver:
    """One campaign run: its steps in threads, their outcomes back to the Campaign."""

    def __init__(self, campaign, lock, clock, run_step, stop_flags, logger, on_change,
                 on_step_done):
        """
        Prepare to drive ``campaign``; every call on it holds ``lock``.

        ``clock()``: the campaign's time (s). ``run_step(step)``: run one step in the calling
        thread, return its StepResult (an exception counts as an INTERNAL failure).
        ``stop_flags()``: (cancelled, shut down). ``logger``: has info() and warning().
        ``on_change()``: steps started or one completed (faults may have fired or recovered).
        ``on_step_done(step, result)``: a step ended and is logged; it is in the campaign's log
        and its wall time in ``timings``.
        """
        self.campaign, self.lock, self.clock = campaign, lock, clock
        self._run_step, self._stop_flags, self.logger = run_step, stop_flags, logger
        self._on_change, self._on_step_done = on_change, on_step_done
        self.timings = {}                   # step number -> wall time (s)

    def run(self):
        """Drive the campaign until no step runs and none may start (in the campaign thread)."""
        campaign = self.campaign
        finished = queue.Queue()
        running = 0
        while True:
            stop = stop_reason(*self._stop_flags())
            if stop:
                campaign.failure = campaign.failure or stop
            with self.lock:
                steps = [] if stop else campaign.start_steps(self.clock())
            self._on_change()
            for step in steps:
                running += 1
                threading.Thread(target=self._step_thread, name=f'step_{step.number}',
                                 args=(step, finished), daemon=True).start()
            if not running:
                break
            step, outcome, wall = finished.get()  # steps watch cancel and shutdown themselves
            running -= 1
            with self.lock:
                campaign.complete(step, outcome, self.clock())
            self.timings[step.number] = round(wall, 3)
            self._on_change()
            self._log(step, outcome)
            self._on_step_done(step, outcome)

    def _log(self, step, outcome):
        """Log a step's end."""
        if outcome.success:
            self.logger.info('step {} done'.format(step_label(step)))
        else:
            self.logger.warning('step {} FAILED: {} {}'.format(
                step_label(step), outcome.error_code, outcome.message))

    def _step_thread(self, step, finished):
        """Run one step; put (step, StepResult, wall time) on ``finished`` whatever happens."""
        wall = time.monotonic()
        try:
            outcome = self._run_step(step)
        except Exception as error:  # the campaign must hear back from every step
            outcome = StepResult(False, 'INTERNAL', repr(error))
        finished.put((step, outcome, time.monotonic() - wall))


def stop_reason(cancelled, shut_down):
    """Return why no further step may start ('' while the campaign may go on)."""
    if cancelled:
        return 'cancelled'
    if shut_down:
        return 'mission_control shut down during the campaign'
    return ''


def campaign_outcome(campaign, cancelled):
    """Return (RunCampaign ERROR_* name without the prefix, message) of an ended campaign."""
    if campaign.success:
        return 'NONE', ''
    if cancelled:
        return 'CANCELED', 'cancelled by request'
    return 'CAMPAIGN_FAILED', campaign.failure or 'campaign failed'
