# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The tube_ledger node as a real process: record, refuse, look up, publish, restart.

The test plays the nodes that report custody events (rover, caching assembly) through
/tube_ledger/record and checks what the ledger answers, publishes and writes to disk.
"""

import json

from builtin_interfaces.msg import Time
from perseverance_interfaces.msg import CustodyEvent, TubeInventory, TubeState
from perseverance_interfaces.srv import GetTube, RecordCustody
from perseverance_nodes.ledger.logic import TubeLedger
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                     reliability=ReliabilityPolicy.RELIABLE)
CACHE, ARM = 'rover/caching_assembly', 'rover/arm'
Response = RecordCustody.Response


def _start(rig, tmp_path, name='tube_ledger'):
    """Start the ledger on tmp_path/ledger.db; return (record, get_tube) clients."""
    rig.start_node('tube_ledger', node_name=name, ros_args=[
        '-p', 'db_path:={}'.format(tmp_path / 'ledger.db'),
        '-p', 'event_log:={}'.format(tmp_path / 'events.jsonl')])
    probe = rig.probe
    record = probe.node.create_client(RecordCustody, '/tube_ledger/record')
    get_tube = probe.node.create_client(GetTube, '/tube_ledger/get_tube')
    probe.wait_for_service(record)
    probe.wait_for_service(get_tube)
    return record, get_tube


def _call(rig, client, request):
    return rig.probe.spin_future(client.call_async(request), 10.0, client.srv_name)


def _event(tube, from_holder, to_holder, action, time, fields=(), **state):
    request = RecordCustody.Request()
    request.event = CustodyEvent(tube_id=tube, from_holder=from_holder, to_holder=to_holder,
                                 action=action, actor='/test')
    request.event.header.stamp = Time(sec=time)
    request.event.position.x = 1.5
    request.state = TubeState(**state)
    request.fields = list(fields)
    return request


def _latest_inventory(rig, inventories, sequence):
    rig.probe.spin_until(
        lambda: inventories and inventories[-1].last_event_sequence >= sequence, 10.0,
        'an inventory after event {}'.format(sequence))
    return {tube.tube_id: tube for tube in inventories[-1].tubes}


def test_record_refuse_get_tube_and_inventory(ros_rig, tmp_path):
    """Events are recorded in order and published; refusals say why and write nothing."""
    probe = ros_rig.probe
    inventories = probe.collect(TubeInventory, '/tube_inventory', LATCHED)
    events = probe.collect(CustodyEvent, '/custody_events', 100)
    record, get_tube = _start(ros_rig, tmp_path)

    tubes = _latest_inventory(ros_rig, inventories, 0)  # published at start, transient local
    assert len(tubes) == 43 and {t.holder for t in tubes.values()} == {CACHE}
    assert tubes['tube_43'].kind == TubeState.KIND_WITNESS

    probe.spin_until(lambda: probe.node.count_subscribers('/custody_events') >= 1
                     and probe.node.count_publishers('/custody_events') >= 1, 10.0,
                     '/custody_events matched')
    core = _call(ros_rig, record, _event('tube_01', CACHE, ARM, 'core', 10))
    stored = _call(ros_rig, record, _event(
        'tube_01', ARM, CACHE, 'cache', 11, ('content', 'designation', 'sample_name'),
        content=TubeState.CONTENT_ROCK_CORE, designation='M2020-00579-17', sample_name='Mageik'))
    assert (core.success, core.sequence, stored.success, stored.sequence) == (True, 1, True, 2)
    probe.spin_until(lambda: len(events) >= 2, 10.0, 'two custody events')
    assert [(e.sequence, e.tube_id, e.to_holder) for e in events] == [
        (1, 'tube_01', ARM), (2, 'tube_01', CACHE)]
    tubes = _latest_inventory(ros_rig, inventories, 2)
    assert tubes['tube_01'].content == TubeState.CONTENT_ROCK_CORE
    assert tubes['tube_01'].designation == 'M2020-00579-17'

    _call(ros_rig, record, _event('tube_02', CACHE, ARM, 'core', 12))  # the arm holds tube_02
    refusals = [
        (_event('tube_01', ARM, CACHE, 'cache', 13), Response.ERROR_WRONG_HOLDER, 'rover/arm'),
        (_event('tube_03', CACHE, ARM, 'core', 13), Response.ERROR_HOLDER_OCCUPIED, 'tube_02'),
        (_event('tube_77', CACHE, ARM, 'core', 13), Response.ERROR_UNKNOWN_TUBE, 'tube_77'),
        (_event('tube_02', ARM, 'rover/wheel', 'drop', 13), Response.ERROR_INVALID_EVENT,
         'to_holder'),
        (_event('tube_02', ARM, CACHE, 'cache', 13, ('colour',)), Response.ERROR_INVALID_EVENT,
         'colour'),
        (_event('tube_02', ARM, CACHE, 'cache', 5), Response.ERROR_INVALID_EVENT, 'before'),
    ]
    for request, code, reason in refusals:
        response = _call(ros_rig, record, request)
        assert not response.success and response.error_code == code, response
        assert reason in response.error_msg
    ros_rig.assert_running()

    lookup = _call(ros_rig, get_tube, GetTube.Request(tube_id='tube_01'))
    assert lookup.success and lookup.tube.holder == CACHE
    assert [(h.sequence, h.action) for h in lookup.history] == [(1, 'core'), (2, 'cache')]
    unknown = _call(ros_rig, get_tube, GetTube.Request(tube_id='tube_99'))
    assert not unknown.success and unknown.error_code == GetTube.Response.ERROR_UNKNOWN_TUBE
    assert 'tube_99' in unknown.error_msg

    # Nothing of the refused events reached the database or the event log.
    with TubeLedger(tmp_path / 'ledger.db') as ledger:
        assert ledger.last_sequence == 3 and ledger.verify_invariant() == []
        assert ledger.current_holder('tube_02') == ARM
    lines = (tmp_path / 'events.jsonl').read_text().splitlines()
    assert [json.loads(line)['sequence'] for line in lines] == [1, 2, 3]
    assert json.loads(lines[1])['changes']['sample_name'] == 'Mageik'


def test_restart_reopens_the_database_and_continues_the_sequence(ros_rig, tmp_path):
    """A stopped ledger exits 0; a new one reopens the database and numbers on from it."""
    record, _ = _start(ros_rig, tmp_path, 'ledger_first')
    assert _call(ros_rig, record, _event('tube_05', CACHE, ARM, 'core', 20)).sequence == 1
    assert _call(ros_rig, record, _event('tube_05', ARM, CACHE, 'cache', 21)).sequence == 2
    first = ros_rig.processes.processes[0]
    assert first.stop() == 0

    inventories = ros_rig.probe.collect(TubeInventory, '/tube_inventory', LATCHED)
    record, get_tube = _start(ros_rig, tmp_path, 'ledger_second')
    _latest_inventory(ros_rig, inventories, 2)
    response = _call(ros_rig, record, _event('tube_05', CACHE, ARM, 'core', 22))
    assert response.success and response.sequence == 3
    history = _call(ros_rig, get_tube, GetTube.Request(tube_id='tube_05')).history
    assert [h.sequence for h in history] == [1, 2, 3]
    lines = (tmp_path / 'events.jsonl').read_text().splitlines()
    assert [json.loads(line)['sequence'] for line in lines] == [1, 2, 3]
