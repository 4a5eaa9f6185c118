# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Unit tests of the campaign driver: steps in threads of their own, outcomes back in order.

The dry run answers the steps (it plays every node), so a driven campaign can be checked against
the dry run's own: the quick scenario flies one helicopter, one step at a time.
"""

import threading

from perseverance_nodes.domain.facts import default_facts_path, load_mission_facts
from perseverance_nodes.domain.scenario import load_scenario
from perseverance_nodes.mission import logic as mission
from perseverance_nodes.mission.driver import campaign_outcome, CampaignDriver, stop_reason
from perseverance_nodes.runner.dry_run import DryRun

FACTS = load_mission_facts()
QUICK = default_facts_path().parent / 'scenarios' / 'quick.yaml'


class _Log:
    """A logger that keeps (level, text) of what it was told."""

    def __init__(self):
        self.logged = []

    def info(self, text):
        self.logged.append(('info', text))

    def warning(self, text):
        self.logged.append(('warning', text))


class _Host:
    """What the node gives the driver, answering steps with a dry run; it records the calls."""

    def __init__(self, campaign, dry, stop_after=None, fail=None):
        self.dry, self.stop_after, self.fail = dry, stop_after, fail
        self.lock = threading.RLock()
        self.changes = 0
        self.done = []
        self.threads = set()
        self.log = _Log()
        self.driver = CampaignDriver(campaign, self.lock, lambda: dry.now, self.run_step,
                                     self.stop_flags, self.log, self.on_change,
                                     self.on_step_done)

    def run_step(self, step):
        self.threads.add(threading.current_thread().name)
        if self.fail and step.action == self.fail:
            raise RuntimeError('the action server vanished')
        with self.lock:
            self.dry._flush(self.dry.now)  # the ledger catches up, as in DryRun.run
            return self.dry.execute(step)

    def stop_flags(self):
        return self.stop_after is not None and len(self.done) >= self.stop_after, False

    def on_change(self):
        self.changes += 1

    def on_step_done(self, step, outcome):
        assert (step, outcome) == self.driver.campaign.log[-1][:2]
        assert self.log.logged[-1][1].startswith(f'step {step.number}: {step.description} ')
        assert step.number in self.driver.timings
        self.done.append(step)


def _descriptions(log):
    """Return (action, description, success) of each entry of a campaign log."""
    return [(step.action, step.description, result.success) for step, result, _, _ in log]


def test_driven_campaign_runs_the_dry_runs_steps_each_in_a_thread():
    """Check that the driver runs the campaign the dry run runs, each step in its own thread."""
    reference = DryRun(load_scenario(QUICK, FACTS), FACTS)
    reference.run()
    dry = DryRun(load_scenario(QUICK, FACTS), FACTS)
    host = _Host(dry.campaign, dry)
    host.driver.run()
    assert dry.campaign.success and campaign_outcome(dry.campaign, False) == ('NONE', '')
    assert _descriptions(dry.campaign.log) == _descriptions(reference.campaign.log)
    assert len(host.done) == len(dry.campaign.log) == len(host.driver.timings)
    assert host.threads == {f'step_{step.number}' for step in host.done}
    assert host.changes == len(host.done) * 2 + 1  # after each start and each end, and last
    assert host.log.logged[0] == ('info', f'step 1: {host.done[0].description} done')


def test_a_stop_lets_the_running_step_end_and_starts_no_other():
    """Check a cancel: no step starts after it, the campaign's failure says why."""
    dry = DryRun(load_scenario(QUICK, FACTS), FACTS)
    host = _Host(dry.campaign, dry, stop_after=3)
    host.driver.run()
    assert len(dry.campaign.log) == 3 and dry.campaign.running == ()
    assert dry.campaign.failure == 'cancelled' and not dry.campaign.success
    assert campaign_outcome(dry.campaign, True) == ('CANCELED', 'cancelled by request')
    assert campaign_outcome(dry.campaign, False) == ('CAMPAIGN_FAILED', 'cancelled')


def test_a_step_that_raises_fails_as_internal():
    """Check that an exception in a step thread comes back as an INTERNAL failure."""
    dry = DryRun(load_scenario(QUICK, FACTS), FACTS)
    host = _Host(dry.campaign, dry, fail=mission.NAVIGATE)
    host.driver.run()
    [(step, result, _, _)] = dry.campaign.log
    assert (result.success, result.error_code) == (False, 'INTERNAL')
    assert 'the action server vanished' in result.message
    assert host.log.logged == [
        ('warning', f'step 1: {step.description} FAILED: INTERNAL {result.message}')]
    assert dry.campaign.phase == mission.Phase.FAILED
    assert campaign_outcome(dry.campaign, False)[0] == 'CAMPAIGN_FAILED'


def test_steps_of_different_nodes_run_at_the_same_time():
    """Check that two flights run side by side: each waits for the other to have started."""
    campaign = mission.Campaign(load_scenario(QUICK, FACTS), FACTS)

    def flight(helicopter):
        yield campaign._step(mission.Phase.BACKUP_RETRIEVAL, mission.RETRIEVE,
                             f'flight of helicopter_{helicopter}', helicopter=helicopter)

    def script():
        yield mission.Parallel((flight(1), flight(2)))
        campaign.phase = mission.Phase.SUCCEEDED

    campaign._tasks = [mission._Task(script())]
    both_flying = threading.Barrier(2, timeout=10.0)

    def run_step(step):
        both_flying.wait()  # breaks (an INTERNAL failure) unless the other flight runs too
        return mission.StepResult(True)

    ended = []
    driver = CampaignDriver(campaign, threading.Lock(), lambda: 0.0, run_step,
                            lambda: (False, False), _Log(), lambda: None,
                            lambda step, result: ended.append(result))
    driver.run()
    assert [result.success for result in ended] == [True, True] and campaign.success


def test_stop_reasons():
    """Check why a campaign stops: a cancel first, then a shutdown."""
    assert stop_reason(False, False) == ''
    assert stop_reason(True, True) == 'cancelled'
    assert stop_reason(False, True) == 'mission_control shut down during the campaign'


def test_a_campaign_that_failed_without_a_reason_says_so():
    """Check the outcome message of a failure with no text."""
    campaign = mission.Campaign(load_scenario(QUICK, FACTS), FACTS)
    campaign.phase = mission.Phase.FAILED
    assert campaign_outcome(campaign, False) == ('CAMPAIGN_FAILED', 'campaign failed')
