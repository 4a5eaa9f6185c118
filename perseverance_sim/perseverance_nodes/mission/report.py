# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
What a campaign did: the mission report (report.json) and the tube counts of /mission_status.

``build_report`` reads a Campaign and the ledger's tubes; ``run_report`` adds what only a run
knows (wall time of each step and of the campaign, whether it is complete). ``write_report``
replaces report.json atomically, so that a reader never sees half a report.
"""

import json
import math
import os

from .logic import step_resource
from ..domain.tubes import (Content, FaultKind, LANDER_CONTAINER, MAV_LAUNCHED, SealState,
                            TUBE_COUNT, tube_id)

REPORT_FILE = 'report.json'


def _name(enum_type, value):
    """Return an enum member's name for a raw value, or the value if it is unknown."""
    try:
        return enum_type(value).name
    except ValueError:
        return value


def build_report(campaign, tubes, sim_time):
    """
    Return the mission report as a JSON-ready dict.

    ``tubes`` are the ledger's TubeRecord (``TubeLedger.inventory()``); ``sim_time`` the
    campaign's length (s).
    """
    tube_rows = [{
        'tube_id': t.tube_id, 'serial_number': t.serial_number, 'designation': t.designation,
        'sample_name': t.sample_name, 'content': _name(Content, t.content),
        'seal': _name(SealState, t.seal), 'core_length': t.core_length, 'volume': t.volume,
        'holder': t.holder,
        'position': [round(c, 3) for c in t.position], 'last_change': t.last_change,
    } for t in tubes]
    used = [row for row in tube_rows if row['content'] != 'EMPTY']
    steps = [{'number': step.number, 'phase': step.phase.name, 'action': step.action,
              'node': step_resource(step),
              'description': step.description, 'success': result.success,
              'error_code': result.error_code, 'message': result.message,
              'start': start, 'end': end}
             for step, result, start, end in sorted(campaign.log, key=lambda e: e[0].number)]
    faults = [record.as_dict() for record in campaign.faults.records]
    holders = [row['holder'] for row in tube_rows]
    return {
        'scenario': campaign.scenario.name,
        'seed': campaign.scenario.seed,
        'success': campaign.success,
        'phase': campaign.phase.name,
        'failure': campaign.failure,
        'sim_duration': sim_time,
        'sim_duration_sols': sim_time / campaign.facts.mars.sol_seconds,
        'paths': dict(campaign.paths),
        'counts': {
            'rocks_sampled': len(campaign.pairs),
            'tubes_used': len(used),
            'tubes_sealed': sum(1 for row in used if row['seal'] == 'SEALED'),
            'in_depot': sum(1 for h in holders if h.startswith('depot/')),
            'in_container': sum(1 for h in holders if h == LANDER_CONTAINER),
            'launched': sum(1 for h in holders if h == MAV_LAUNCHED),
            'steps': len(steps),
            'steps_failed': sum(1 for s in steps if not s['success']),
            'faults': len(faults),
            'faults_recovered': sum(1 for f in faults if f['state'] == 'RECOVERED'),
            'helicopters_lost': len(campaign.dispatcher.failed),
        },
        'lost': dict(campaign.lost),
        'tubes': tube_rows,
        'faults': faults,
        'steps': steps,
    }


def run_report(campaign, tubes, sim_duration, timings, wall_duration=None, final=False):
    """
    Return build_report plus what the run knows: each step's wall time, the campaign's.

    ``timings`` maps step numbers to wall seconds; ``wall_duration`` (s) is the campaign's wall
    time once it ended (None before); ``final`` marks the report written at the end.
    """
    report = build_report(campaign, tubes, sim_duration)
    for step in report['steps']:
        step['wall_duration'] = timings.get(step['number'])
    report['complete'] = final
    report['ledger_available'] = bool(report['tubes'])
    if wall_duration is not None:
        report['wall_duration'] = round(wall_duration, 3)
        report['real_time_factor'] = (round(sim_duration / wall_duration, 2)
                                      if wall_duration > 0 else None)
    return report


def report_path(report_dir):
    """Return the absolute path of report.json in ``report_dir`` (empty: the working dir)."""
    return os.path.abspath(os.path.join(report_dir or '.', REPORT_FILE))


def write_report(path, report):
    """Write ``report`` as JSON to ``path`` atomically (OSError, ValueError, TypeError)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + '.tmp', 'w', encoding='utf-8') as stream:
        json.dump(report, stream, indent=1, default=_json_default)
    os.replace(path + '.tmp', path)


def _json_default(value):
    """Serialise enums, tuples and mapping proxies that appear in step data."""
    if isinstance(value, (Content, SealState, FaultKind)):
        return value.name
    if hasattr(value, 'items'):
        return dict(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def report_tube_ids(inventory_ids):
    """Return the tubes to ask the ledger for: the inventory's, or every tube before one came."""
    return list(inventory_ids) or [tube_id(i) for i in range(1, TUBE_COUNT + 1)]


def status_counts(tubes):
    """
    Return the tube counts of MissionStatus from TubeState-likes (the latest inventory).

    A tube counts as in the container from its loading on, launched ones included.
    """
    used = [t for t in tubes if t.content != Content.EMPTY]
    return {
        'tubes_sealed': sum(1 for t in used if t.seal == SealState.SEALED),
        'tubes_in_depot': sum(1 for t in tubes if t.holder.startswith('depot/')),
        'tubes_in_container': sum(1 for t in tubes
                                  if t.holder in (LANDER_CONTAINER, MAV_LAUNCHED)),
    }
