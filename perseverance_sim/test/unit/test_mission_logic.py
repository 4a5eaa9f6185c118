# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the campaign script and helicopter dispatch, end to end in dry runs."""

from dataclasses import replace
import io
import json
from types import SimpleNamespace

from perseverance_nodes.domain.facts import default_facts_path, load_mission_facts
from perseverance_nodes.domain.scenario import load_scenario, parse_fault
from perseverance_nodes.domain.tubes import FaultKind
from perseverance_nodes.domain.validation import ConfigError
from perseverance_nodes.mission import logic as mission
from perseverance_nodes.mission.faults import FaultSchedule, FaultState
from perseverance_nodes.mission.helicopter_dispatch import HelicopterDispatcher
from perseverance_nodes.runner.campaign import ProgressDisplay
from perseverance_nodes.runner.dry_run import DryRun
import pytest

FACTS = load_mission_facts()
QUICK = default_facts_path().parent / 'scenarios' / 'quick.yaml'


def _run(scenario_path=None, faults=(), **kwargs):
    """Dry-run a scenario with extra faults; return (run, report)."""
    scenario = load_scenario(scenario_path, FACTS).with_overrides(faults=faults)
    dry = DryRun(scenario, FACTS, **kwargs)
    return dry, dry.run()


def _actions(report):
    """Return (action, description) of every step of a report."""
    return [(s['action'], s['description']) for s in report['steps']]


def test_default_campaign_succeeds_end_to_end():
    """Check that default campaign succeeds end to end."""
    dry, report = _run()
    assert report['success'] and report['phase'] == 'SUCCEEDED'
    assert report['ledger_problems'] == []
    counts = report['counts']
    assert counts['rocks_sampled'] == 9 and counts['launched'] == 19
    assert counts['tubes_sealed'] == counts['tubes_used'] == 19
    assert counts['faults'] == counts['faults_recovered'] == 2
    assert report['paths'] == {'primary': 'succeeded', 'backup': 'succeeded'}
    actions = [a for a, _ in _actions(report)]
    # The campaign's order: sample (lining up with the rock first), depot, hand over, fetch,
    # launch.
    assert actions[:5] == ['navigate', 'navigate', 'collect', 'cache', 'cache']
    assert actions.index('deposit') < actions.index('handover') < actions.index('retrieve')
    assert actions[-1] == 'launch'
    assert actions.count('deposit') == 10 and actions.count('retrieve') == 10
    assert actions.count('load') == 19
    json.dumps(report)  # ready for JSON


def test_mageik_seal_is_retried_and_recovered():
    """Check that the Mageik seal is retried and the fault recovered."""
    _, report = _run()
    descriptions = [d for _, d in _actions(report)]
    retry = [d for d in descriptions if d.startswith('retry seal of')]
    assert len(retry) == 1
    stuck = [f for f in report['faults'] if f['kind'] == 'SEAL_STUCK'][0]
    assert stuck['state'] == 'RECOVERED' and stuck['target'] == retry[0].split()[-1]
    tube = [t for t in report['tubes'] if t['tube_id'] == stuck['target']][0]
    assert tube['sample_name'] == 'Mageik' and tube['seal'] == 'SEALED'


def test_roubion_empty_core_is_returned_as_atmospheric():
    """Check that the Roubion empty core is returned as atmospheric."""
    _, report = _run()
    roubion = [t for t in report['tubes'] if t['sample_name'] == 'Roubion']
    assert sorted(t['content'] for t in roubion) == ['ATMOSPHERIC', 'ROCK_CORE']


def test_same_seed_same_campaign_and_other_seed_other_cores():
    """Check same seed, same campaign; another seed, other cores."""
    _, first = _run()
    _, again = _run()
    assert first == again
    scenario = load_scenario(None, FACTS).with_overrides(seed=2)
    other = DryRun(scenario, FACTS).run()
    # The steps do not depend on chance; what the rocks yield does.
    assert _actions(other) == _actions(first)
    assert [t['holder'] for t in other['tubes']] == [t['holder'] for t in first['tubes']]
    assert ([t['core_length'] for t in other['tubes']]
            != [t['core_length'] for t in first['tubes']])


def test_helicopter_failure_is_taken_over_by_the_other_helicopter():
    """Check that helicopter failure is taken over by the other helicopter."""
    dry, report = _run(faults=['HELICOPTER_FAILURE@flight:3'])
    assert report['success'] and report['ledger_problems'] == []
    retrieves = [s for s in report['steps'] if s['action'] == 'retrieve']
    failed = [s for s in retrieves if not s['success']]
    assert len(failed) == 1 and failed[0]['error_code'] == 'HELICOPTER_FAILED'
    lost, tube = failed[0]['description'].split()[2:5:2]
    survivor = {'helicopter_1': 'helicopter_2', 'helicopter_2': 'helicopter_1'}[lost]
    later = retrieves[retrieves.index(failed[0]) + 1:]
    takeover = [s for s in later if s['description'].endswith(tube)]
    assert len(takeover) == 1 and survivor in takeover[0]['description']
    assert all(lost not in s['description'] for s in later)
    assert report['counts']['helicopters_lost'] == 1
    fault = [f for f in report['faults'] if f['kind'] == 'HELICOPTER_FAILURE'][0]
    assert fault['state'] == 'RECOVERED' and fault['target'] == lost
    assert dry.ledger.current_holder(tube) == 'mav/launched'


def test_primary_handover_failure_makes_the_depot_set_the_source():
    """Check that primary handover failure makes the depot set the source."""
    scenario = replace(load_scenario(None, FACTS), depot_retrieval='on_primary_failure')
    report = DryRun(scenario, FACTS, forced_failures={('handover', 1): 'TOO_FAR_FROM_LANDER'}
                    ).run()
    assert report['paths'] == {'primary': 'failed', 'backup': 'succeeded'}
    assert report['success']  # a twin of every rock came home from the depot
    assert report['counts']['launched'] == 10
    assert report['ledger_problems'] == []
    nominal = DryRun(scenario, FACTS).run()
    assert nominal['paths'] == {'primary': 'succeeded', 'backup': 'not_run'}
    assert 'retrieve' not in [a for a, _ in _actions(nominal)]


def test_losing_every_helicopter_leaves_depot_tubes_behind():
    """Check that losing every helicopter leaves depot tubes behind."""
    dry, report = _run(QUICK, faults=['HELICOPTER_FAILURE@flight:1'])
    assert report['paths']['backup'] == 'failed'
    assert len(report['lost']) == 2  # the whole depot set
    for tube in report['lost']:
        assert dry.ledger.current_holder(tube).startswith(('depot/', 'ground'))
    assert report['counts']['launched'] == 2  # the on-board set still flies
    assert report['success']  # one twin of each rock is enough
    assert report['ledger_problems'] == []


def test_drop_faults_are_recovered():
    """Check that drop faults are recovered."""
    _, report = _run(QUICK, faults=['TUBE_ON_END@drop:1', 'TUBE_IN_WHEEL_PATH@drop:2'])
    states = {f['kind']: f['state'] for f in report['faults']}
    assert states['TUBE_ON_END'] == states['TUBE_IN_WHEEL_PATH'] == 'RECOVERED'
    assert report['success'] and report['ledger_problems'] == []


def test_carousel_debris_failure_skips_the_rock():
    """Check that carousel debris failure skips the rock."""
    scenario = load_scenario(QUICK, FACTS).with_overrides(
        faults=['CAROUSEL_DEBRIS@sample:montdenier'])
    report = DryRun(scenario, FACTS, forced_failures={('collect', 1): 'CAROUSEL_BLOCKED'}).run()
    assert report['counts']['rocks_sampled'] == 1
    assert [f['state'] for f in report['faults'] if f['kind'] == 'CAROUSEL_DEBRIS'] == ['ACTIVE']
    assert report['success']  # every rock actually cored has a twin home


def test_campaign_protocol():
    """Check the campaign protocol: steps start once, complete once, a failure ends it."""
    scenario = load_scenario(QUICK, FACTS)
    campaign = mission.Campaign(scenario, FACTS)
    [step] = campaign.start_steps(0.0)
    assert step.number == 1 and step.action == mission.NAVIGATE
    assert campaign.phase == mission.Phase.SAMPLING and campaign.running == (step,)
    assert campaign.start_steps(1.0) == []  # the rover is busy until the step completes
    with pytest.raises(RuntimeError):
        mission.Campaign(scenario, FACTS).complete(step, mission.StepResult(True), 0.0)
    campaign.complete(step, mission.StepResult(False, 'TIMEOUT', 'stuck in sand'), 5.0)
    assert campaign.start_steps(5.0) == [] and campaign.running == ()
    assert campaign.phase == mission.Phase.FAILED and 'stuck in sand' in campaign.failure
    assert campaign.progress() == 1.0


def test_parallel_scripts_share_nodes_one_step_at_a_time():
    """Check Parallel: scripts run side by side, a busy node makes a script wait."""
    campaign = mission.Campaign(load_scenario(QUICK, FACTS), FACTS)

    def loads(tube):
        yield campaign._step(mission.Phase.LOADING, mission.LOAD, f'load {tube}', tube_id=tube)
        return tube

    def script():
        done = yield mission.Parallel((loads('a'), loads('b')))
        assert done == ['a', 'b']
        campaign.phase = mission.Phase.SUCCEEDED

    campaign._tasks = [mission._Task(script())]
    [first] = campaign.start_steps(0.0)
    assert first.params['tube_id'] == 'a' and campaign.start_steps(0.0) == []  # lander busy
    campaign.complete(first, mission.StepResult(True), 1.0)
    [second] = campaign.start_steps(1.0)
    assert (second.number, second.params['tube_id']) == (2, 'b')
    campaign.complete(second, mission.StepResult(True), 2.0)
    assert campaign.start_steps(2.0) == [] and campaign.success


def test_helicopters_fly_side_by_side_to_their_own_drop_points():
    """Check that two helicopters fly at once, each to its drop point, loads one at a time."""
    dry, report = _run()
    steps = report['steps']
    flights = [s for s in steps if s['action'] == 'retrieve']
    overlapping = [(a, b) for a in flights for b in flights
                   if a['number'] < b['number'] and b['start'] < a['end']]
    assert overlapping, 'no two flights were in the air at the same time'
    for resource in ('lander', 'rover', 'helicopter_1', 'helicopter_2'):
        mine = sorted((start, end) for step, _, start, end in dry.campaign.log
                      if mission.step_resource(step) == resource)
        assert mine and all(a[1] <= b[0] + 1e-9 for a, b in zip(mine, mine[1:])), resource
    points = {step.params['helicopter']: step.params['drop_point']
              for step, _, _, _ in dry.campaign.log if step.action == mission.RETRIEVE}
    assert points[1] != points[2]
    sequential = DryRun(load_scenario(None, FACTS).with_overrides(helicopters=1), FACTS).run()
    assert report['sim_duration'] < sequential['sim_duration']


def test_dispatcher_lanes_turns_and_failures():
    """Check lanes per drop point, turns within a lane, and a failed helicopter's exit."""
    two = HelicopterDispatcher(2, lanes=2)
    assert two.lanes == [[1], [2]]
    assert [two.assign(0), two.assign(1), two.assign(0)] == [(1, 1), (2, 2), (3, 1)]
    two.fail(1)
    assert two.assign(0) is None and two.assign(1) == (4, 2) and two.failed == [1]
    four = HelicopterDispatcher(4, lanes=2)
    assert four.lanes == [[1, 3], [2, 4]]
    assert [four.assign(0)[1] for _ in range(3)] == [1, 3, 1]
    four.fail(3)
    assert four.crew(0) == [1] and four.assign(0)[1] == 1
    assert HelicopterDispatcher(1, lanes=2).lanes == [[1]]


def test_fault_schedule_states():
    """Check the fault schedule states."""
    schedule = FaultSchedule([parse_fault('SEAL_STUCK@sample:mageik')])
    record = schedule.armed('sample:mageik')[0]
    assert record.fault_id == 'fault_0001' and record.kind == FaultKind.SEAL_STUCK
    assert record.target == 'mageik'
    schedule.fire(record, 10.0, target='tube_15')
    assert schedule.active_count == 1 and schedule.armed('sample:mageik') == []
    schedule.recover(record, 20.0, 'sealed')
    assert record.state == FaultState.RECOVERED and record.resolved_at == 20.0
    assert schedule.clear('fault_0001', 30.0) and not schedule.clear('fault_0001', 31.0)
    with pytest.raises(KeyError, match='fault_0009'):
        schedule.get('fault_0009')


def test_abort_ends_the_campaign_and_keeps_an_earlier_failure():
    """Check that abort fails the campaign with its reason unless a failure came first."""
    campaign = mission.Campaign(load_scenario(QUICK, FACTS), FACTS)
    campaign.abort('nodes not running')
    assert campaign.phase == mission.Phase.FAILED and campaign.failure == 'nodes not running'
    assert campaign.start_steps(0.0) == [] and campaign.progress() == 1.0
    campaign.abort('internal error')
    assert campaign.failure == 'nodes not running'


def test_step_label_numbers_the_description():
    """Check the step label of feedback and logs."""
    [step] = mission.Campaign(load_scenario(QUICK, FACTS), FACTS).start_steps(0.0)
    assert mission.step_label(step) == '1: ' + step.description


def test_step_actions_needed_follow_the_return_paths():
    """Check which actions and helicopters a scenario calls: depot, primary, backup."""
    quick = load_scenario(QUICK, FACTS)
    core = [mission.NAVIGATE, mission.COLLECT, mission.CACHE, mission.LOAD, mission.LAUNCH]
    assert mission.step_actions_needed(quick) == (
        core + [mission.DEPOSIT, mission.HANDOVER], [1])
    two = quick.with_overrides(helicopters=2)
    assert mission.step_actions_needed(two)[1] == [1, 2]
    primary_only = replace(quick, depot_retrieval='never')
    assert mission.step_actions_needed(primary_only)[1] == []
    backup_only = replace(quick, primary=False)
    assert mission.HANDOVER not in mission.step_actions_needed(backup_only)[0]


def test_goal_scenario_applies_the_goal_and_the_helicopter_limit():
    """Check a RunCampaign goal's scenario: seed and helicopters override, max_helicopters."""
    scenario = mission.goal_scenario(str(QUICK), FACTS, 7, 2, 4)
    assert (scenario.name, scenario.seed, scenario.helicopters) == ('quick', 7, 2)
    assert mission.goal_scenario(str(QUICK), FACTS, 7, None, 4).helicopters == 1
    assert mission.goal_scenario(None, FACTS, 1, None, 4).name == 'three_forks'  # default
    with pytest.raises(ConfigError, match='helicopters = 3.*1..2'):
        mission.goal_scenario(str(QUICK), FACTS, 1, 3, 2)
    with pytest.raises(ConfigError, match='helicopters.count = 2.*0..1'):
        mission.goal_scenario(None, FACTS, 1, None, 1)  # the default flies two


def test_progress_display_gives_each_step_one_line_when_steps_interleave():
    """Check that feedback of two flights at once prints each step once (log, not terminal)."""
    stream = io.StringIO()
    display = ProgressDisplay(stream)
    for number, progress in [(23, 0.1), (24, 0.1), (23, 0.5), (24, 0.6), (25, 0.9)]:
        display.feedback(SimpleNamespace(step=f'{number}: flight', stage=4, progress=progress))
    lines = stream.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ['23', '24', '25']
    assert 'BACKUP_RETRIEVAL' in lines[0]
