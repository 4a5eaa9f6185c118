# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of mission_control's faults: InjectFault checks and the node-wide registry."""

from types import SimpleNamespace

from perseverance_nodes.domain.scenario import parse_fault
from perseverance_nodes.domain.tubes import FaultKind
from perseverance_nodes.domain.validation import Refusal
from perseverance_nodes.mission.faults import (check_fault_request, FaultRegistry,
                                               FaultSchedule, FaultState)
import pytest


def _refusal(kind, target, trigger, max_helicopters=4):
    """Return the Refusal of an InjectFault request (fails if it is accepted)."""
    with pytest.raises(Refusal) as refused:
        check_fault_request(kind, target, trigger, max_helicopters)
    return refused.value


def _campaign(*faults):
    """Return a stand-in campaign with a schedule of scenario faults."""
    return SimpleNamespace(faults=FaultSchedule([parse_fault(text) for text in faults]))


def test_fault_requests_are_refused_with_the_code_and_what_is_allowed():
    """Check each refusal's code and that its reason names the allowed values."""
    unknown = _refusal(99, '', 'now')
    assert unknown.code == 'UNKNOWN_KIND' and 'kind = 99' in unknown.message
    assert '1 (SEAL_STUCK)' in unknown.message and '6 (HELICOPTER_FAILURE)' in unknown.message
    assert _refusal(FaultKind.SEAL_STUCK, '', 'flight:2').code == 'BAD_TRIGGER'
    rock = _refusal(FaultKind.SEAL_STUCK, 'olympus', 'now')
    assert rock.code == 'UNKNOWN_TARGET' and 'mageik' in rock.message
    assert 'tube_01..tube_43' in rock.message
    assert 'tube id' not in _refusal(FaultKind.EMPTY_CORE, 'tube_03', 'now').message
    drop = _refusal(FaultKind.TUBE_ON_END, 'tube_44', 'drop:1')
    assert drop.code == 'UNKNOWN_TARGET' and 'tube_01..tube_43' in drop.message
    assert _refusal(FaultKind.TUBE_ON_END, '', 'now').code == 'UNKNOWN_TARGET'
    helicopter = _refusal(FaultKind.HELICOPTER_FAILURE, 'helicopter_3', 'flight:1', 2)
    assert 'helicopter_1, helicopter_2 (or empty with flight:<n>)' in helicopter.message
    assert _refusal(FaultKind.HELICOPTER_FAILURE, '', 'now').code == 'UNKNOWN_TARGET'


def test_accepted_fault_requests_name_their_target():
    """Check the target: normalised, or taken from a sample trigger; empty when the step says."""
    spec, target = check_fault_request(FaultKind.SEAL_STUCK, '', 'sample:mageik', 4)
    assert (str(spec), target) == ('SEAL_STUCK@sample:mageik', 'mageik')
    assert check_fault_request(FaultKind.SEAL_STUCK, ' Tube_07 ', 'now', 4)[1] == 'tube_07'
    assert check_fault_request(FaultKind.TUBE_IN_WHEEL_PATH, '', 'drop:2', 4)[1] == ''
    spec, target = check_fault_request(FaultKind.HELICOPTER_FAILURE, 'helicopter_4', 'now', 4)
    assert (spec.trigger_type, target) == ('now', 'helicopter_4')
    assert check_fault_request(FaultKind.HELICOPTER_FAILURE, '', 'flight:3', 1)[1] == ''


def test_registry_numbers_faults_node_wide_and_hands_injected_ones_to_the_next_campaign():
    """Check ids across campaigns, the pending injection and its place after scenario faults."""
    registry = FaultRegistry()
    schedule, early = registry.inject(None, parse_fault('HELICOPTER_FAILURE@now'),
                                      'helicopter_1')
    assert early.fault_id == 'fault_0001' and early.description == 'injected'
    assert schedule.records == [early]
    first = _campaign('SEAL_STUCK@sample:mageik', 'TUBE_ON_END@drop:1')
    registry.start_campaign(first, 'scenario quick')
    assert [r.fault_id for r in first.faults.records] == ['fault_0002', 'fault_0003',
                                                          'fault_0001']
    assert first.faults.records[0].description == 'scenario quick'
    schedule, late = registry.inject(first, parse_fault('EMPTY_CORE@sample:roubion'), '')
    assert schedule is first.faults and late.fault_id == 'fault_0004'
    assert late.target == 'roubion' and first.faults.records[-1] is late
    second = _campaign('SEAL_STUCK@sample:mageik')
    registry.start_campaign(second, 'scenario quick')
    assert [r.fault_id for r in second.faults.records] == ['fault_0005']
    assert [r.fault_id for r in registry.all.records] == [f'fault_000{n}' for n in range(1, 6)]


def test_registry_reports_each_state_change_once():
    """Check changes(): every new fault, then only those whose state changed, once each."""
    registry = FaultRegistry()
    campaign = _campaign('SEAL_STUCK@sample:mageik', 'TUBE_ON_END@drop:1')
    registry.start_campaign(campaign, 'scenario')
    assert [r.fault_id for r in registry.changes()] == ['fault_0001', 'fault_0002']
    assert registry.changes() == []
    seal = campaign.faults.records[0]
    campaign.faults.fire(seal, 10.0, target='tube_03')
    assert registry.changes() == [seal] and registry.active_count == 1
    campaign.faults.recover(seal, 20.0, 'sealed')
    assert [(r.fault_id, r.state) for r in registry.changes()] == [
        ('fault_0001', FaultState.RECOVERED)]
    assert registry.active_count == 0


def test_registry_clear_refuses_unknown_and_cleared_faults():
    """Check ClearFault: an unknown id names the known ones, a second clear is refused."""
    registry = FaultRegistry()
    with pytest.raises(Refusal, match='none yet') as unknown:
        registry.clear('fault_0001', 1.0)
    assert unknown.value.code == 'UNKNOWN_FAULT'
    _, record = registry.inject(None, parse_fault('SEAL_STUCK@sample:mageik'), '')
    registry.clear('fault_0001', 5.0)
    assert (record.state, record.resolved_at) == (FaultState.CLEARED, 5.0)
    with pytest.raises(Refusal, match='already cleared') as again:
        registry.clear('fault_0001', 6.0)
    assert again.value.code == 'ALREADY_CLEARED' and record.resolved_at == 5.0
    with pytest.raises(Refusal, match="'fault_0009' is unknown; known: fault_0001"):
        registry.clear('fault_0009', 7.0)
