# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the mission report (report.json) and the tube counts of /mission_status."""

import json
import os
from types import MappingProxyType, SimpleNamespace

from perseverance_nodes.domain.facts import default_facts_path, load_mission_facts
from perseverance_nodes.domain.scenario import load_scenario
from perseverance_nodes.domain.tubes import Content, SealState
from perseverance_nodes.mission.report import (build_report, report_path, report_tube_ids,
                                               run_report, status_counts, write_report)
from perseverance_nodes.runner.dry_run import DryRun

FACTS = load_mission_facts()
QUICK = default_facts_path().parent / 'scenarios' / 'quick.yaml'


def _quick_run():
    """Return a dry run of the quick scenario, run to its end."""
    dry = DryRun(load_scenario(QUICK, FACTS), FACTS)
    dry.run()
    return dry


def test_run_report_adds_wall_times_and_completeness():
    """Check the run's additions: each step's wall time, the campaign's, the real-time factor."""
    dry = _quick_run()
    tubes = dry.ledger.inventory()
    report = run_report(dry.campaign, tubes, 120.0, {1: 2.5, 3: 0.75}, 60.0, final=True)
    base = build_report(dry.campaign, tubes, 120.0)
    assert all(report[key] == value for key, value in base.items() if key != 'steps')
    assert [dict(step, wall_duration=None) for step in report['steps']] == [
        dict(step, wall_duration=None) for step in base['steps']]
    walls = [step['wall_duration'] for step in report['steps']]
    assert walls[:3] == [2.5, None, 0.75] and set(walls[3:]) == {None}
    assert report['complete'] and report['ledger_available']
    assert (report['wall_duration'], report['real_time_factor']) == (60.0, 2.0)
    assert run_report(dry.campaign, tubes, 1.0, {}, 0.0)['real_time_factor'] is None
    partial = run_report(dry.campaign, [], 50.0, {})
    assert not partial['complete'] and not partial['ledger_available']
    assert 'wall_duration' not in partial and 'real_time_factor' not in partial


def test_report_counts_what_the_ledger_holds():
    """Check the report's counts of the quick campaign: two rocks, four tubes, all home."""
    dry = _quick_run()
    counts = build_report(dry.campaign, dry.ledger.inventory(), 10.0)['counts']
    assert counts['rocks_sampled'] == 2 and counts['tubes_used'] == 4
    assert counts['launched'] == 4 and counts['in_container'] == counts['in_depot'] == 0


def test_every_step_names_the_node_that_ran_it():
    """The report's steps carry their node (the report page's timeline rows)."""
    nodes = {step['action']: step['node'] for step in
             build_report(_quick_run().campaign, [], 10.0)['steps']}
    assert nodes['collect'] == 'rover' and nodes['cache'] == 'caching_assembly'
    assert nodes['load'] == 'lander' and nodes['retrieve'] == 'helicopter_1'


def test_write_report_replaces_the_file_with_json(tmp_path):
    """Check report.json: written whole under its name, step data made JSON-ready."""
    path = report_path(str(tmp_path / 'run'))
    assert path == os.path.join(str(tmp_path), 'run', 'report.json')
    write_report(path, {'old': True})
    write_report(path, {'params': MappingProxyType({'target': (1.0, 2.0)}), 'dir': tmp_path})
    data = json.loads(open(path).read())
    assert data == {'params': {'target': [1.0, 2.0]}, 'dir': str(tmp_path)}
    assert os.listdir(os.path.dirname(path)) == ['report.json']
    assert report_path('') == os.path.join(os.getcwd(), 'report.json')


def test_report_tube_ids_are_the_inventory_or_every_tube():
    """Check which tubes the final report asks the ledger for."""
    assert report_tube_ids(['tube_05', 'tube_01']) == ['tube_05', 'tube_01']
    every = report_tube_ids([])
    assert len(every) == 43 and every[0] == 'tube_01' and every[-1] == 'tube_43'


def test_status_counts_of_an_inventory():
    """Check the status counts: sealed among used tubes, depot, container and launched."""
    def tube(holder, content=Content.ROCK_CORE, seal=SealState.SEALED):
        return SimpleNamespace(holder=holder, content=int(content), seal=int(seal))

    tubes = [tube('depot/slot_01'), tube('lander/container'), tube('mav/launched'),
             tube('rover/caching_assembly', seal=SealState.UNSEALED),
             tube('rover/caching_assembly', Content.EMPTY, SealState.SEALED)]
    assert status_counts(tubes) == {'tubes_sealed': 3, 'tubes_in_depot': 1,
                                    'tubes_in_container': 2}
    assert status_counts([]) == {'tubes_sealed': 0, 'tubes_in_depot': 0,
                                 'tubes_in_container': 0}
