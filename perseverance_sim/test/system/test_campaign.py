# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The whole chain, as a user runs it: `perseverance-sim campaign` with every node as a process.

One campaign runs for the module (SCENARIO below: one rock with the Mageik seal fault, two
helicopters, helicopter_1 failing on the first flight; the rock and the depot moved away from
their named places) while the test listens to /faults on the run's domain; the tests then check
its outcome from the exit code, report.json, the ledger database, the event log and what /faults
carried, and the dry run's step list against the campaign's. The campaign's recording (the run
folder as a rosbag2 bag: campaign.mcap and metadata.yaml) is read back by two independent
readers, rosbags through metadata.yaml and mcap_ros2 from the .mcap alone: its topics, its
message counts against the contract's rates, and its last /tube_inventory against the ledger.
"""

from collections import Counter
import json
import math
import os
import subprocess
import sys
import time

from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
from perseverance_interfaces.msg import Fault
from perseverance_nodes.domain.facts import load_mission_facts
from perseverance_nodes.domain.scenario import load_scenario
from perseverance_nodes.domain.site_layout import CONTRACT_ROCKS, CONTRACT_SLOTS
from perseverance_nodes.ledger.logic import TubeLedger
from perseverance_nodes.recorder.topics import recorded_topics
from perseverance_nodes.ros import contract
from perseverance_nodes.ros.client import RosClient
from perseverance_nodes.ros.environment import ros_environment
from perseverance_nodes.runner.campaign import replay_event_log
from perseverance_nodes.runner.domain_lease import DomainLease
from perseverance_nodes.runner.dry_run import DryRun
import pytest
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rosbags.highlevel import AnyReader
import yaml

FAULT_QOS = QoSProfile(depth=50, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                       reliability=ReliabilityPolicy.RELIABLE)
# The shortest campaign that still shows every part of the chain: one rock, its twin dropped on
# the way to the lander (so that the flights are short), both return paths with two helicopters.
# The stuck seal (Mageik's fault) strikes this rock's first tube, and helicopter_1 fails on the
# first flight. The rock is cored away from its named place and the depot is laid on the way to
# the lander: no other file knows these coordinates (the goals carry them).
ROCK = (22.0, 6.0)
DEPOT = (52.0, 6.0)
SCENARIO = {
    'name': 'test_campaign', 'seed': 1,
    'rover': {'speed': 1.0, 'sampling_heading_deg': 180.0},
    'rocks': [{'name': 'roubion', 'x': ROCK[0], 'y': ROCK[1]}],
    'witness': False,
    'depot': {'origin': {'x': DEPOT[0], 'y': DEPOT[1]}, 'heading_deg': 0.0, 'spacing': 10.0},
    'helicopters': {'count': 2},
    'return': {'primary': True, 'depot_retrieval': 'always'},
    'faults': ['SEAL_STUCK@sample:roubion', 'HELICOPTER_FAILURE@flight:1'],
}
SEED = 3
CAMPAIGN_TIMEOUT = 400.0  # s of wall time; the campaign itself takes far less on an idle machine


def _states(faults, kind):
    """
    Return the (state, target) sequence of one kind of fault, repeats collapsed.

    Mission control publishes every state change; the node that suffers a fault may publish
    ACTIVE again with what happened (the helicopter does).
    """
    sequence = []
    for fault in faults:
        if fault.kind == kind and (not sequence or sequence[-1][0] != fault.state):
            sequence.append((fault.state, fault.target))
    return sequence


@pytest.fixture(scope='module')
def campaign(tmp_path_factory):
    """Run the campaign once; return (process result, run directory, /faults messages)."""
    base = tmp_path_factory.mktemp('campaign')
    scenario = base / 'test_campaign.yaml'
    scenario.write_text(yaml.safe_dump(SCENARIO))
    out = base / 'run'
    lease = DomainLease()
    probe = RosClient(lease.domain_id, 'test_campaign_probe')
    try:
        faults = probe.collect(Fault, '/faults', FAULT_QOS)
        process = subprocess.Popen(
            [sys.executable, '-m', 'perseverance_nodes.runner.cli', 'campaign', '--scenario',
             str(scenario), '--seed', str(SEED), '--out', str(out), '--domain-id',
             str(lease.domain_id), '--timeout', str(CAMPAIGN_TIMEOUT)],
            env=ros_environment(domain_id=lease.domain_id), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + CAMPAIGN_TIMEOUT + 120.0
        while process.poll() is None and time.monotonic() < deadline:
            probe.executor.spin_once(timeout_sec=0.1)
        if process.poll() is None:
            process.kill()
        output = process.communicate()[0]
    finally:
        probe.close()
        lease.release()
    return process.returncode, output, out, faults, str(scenario)


def test_campaign_keeps_its_files_and_a_truthful_report(campaign):
    """Whatever the outcome: the report, ledger, event log and logs, and clean process exits."""
    code, output, out, _, _ = campaign
    assert 'chain of custody: sound' in output, output
    report = json.loads((out / 'report.json').read_text())
    assert report['success'] == (code == 0), output  # the exit code tells the truth
    assert report['seed'] == 3
    assert all(exit_code == 0 for exit_code in report['exit_codes'].values()), output
    logs = set(os.listdir(out / 'logs'))
    assert {'world.log', 'tube_ledger.log', 'mission_control.log', 'rover.log', 'lander.log',
            'helicopter_1.log', 'helicopter_2.log', 'recorder.log'} <= logs
    assert list(report['exit_codes'])[-1] == 'recorder'  # stopped after every other node
    assert 'campaign.mcap' in output and (out / 'metadata.yaml').exists()
    assert (out / 'tube_ledger.db').exists() and (out / 'custody_events.jsonl').exists()


def test_campaign_succeeds(campaign):
    """Exit code 0 and both twins of the rock launched."""
    code, output, out, _, _ = campaign
    assert code == 0, output
    assert 'campaign SUCCEEDED' in output
    report = json.loads((out / 'report.json').read_text())
    assert report['success'] and report['complete']
    assert report['counts']['rocks_sampled'] == 1
    assert report['counts']['launched'] == 2  # both twins left Mars


def test_every_tube_in_exactly_one_place_at_every_event(campaign):
    """Replaying the event log never finds a tube in two places; it ends as the ledger says."""
    _, output, out, _, _ = campaign
    holders, problems = replay_event_log(out / 'custody_events.jsonl')
    assert problems == [], output
    assert len(holders) == 43
    with TubeLedger(out / 'tube_ledger.db') as ledger:
        assert ledger.verify_invariant() == []
        assert ledger.holders() == holders
    events = [json.loads(line) for line in open(out / 'custody_events.jsonl')]
    moved = {e['tube_id'] for e in events if e['from_holder'] != e['to_holder']}
    assert moved, output  # at least the depot twin left the rack
    assert {holders[t] for t in holders if t not in moved} == {'rover/caching_assembly'}


def test_mageik_seal_fault_is_detected_and_recovered(campaign):
    """/faults shows SEAL_STUCK armed, active, recovered; both tubes of the rock end sealed."""
    _, output, out, faults, _ = campaign
    seal = [state for state, _ in _states(faults, Fault.KIND_SEAL_STUCK)]
    assert seal == [Fault.STATE_ARMED, Fault.STATE_ACTIVE, Fault.STATE_RECOVERED], output
    report = json.loads((out / 'report.json').read_text())
    cored = [t for t in report['tubes'] if t['sample_name'] == 'Roubion']
    assert len(cored) == 2 and {t['seal'] for t in cored} == {'SEALED'}
    retries = [s for s in report['steps'] if s['description'].startswith('retry seal')]
    assert retries and all(s['success'] for s in retries)


def test_failed_helicopter_is_replaced_by_the_other(campaign):
    """helicopter_1 fails on flight 1; helicopter_2 flies every depot tube to the lander."""
    _, output, out, faults, _ = campaign
    heli = _states(faults, Fault.KIND_HELICOPTER_FAILURE)
    assert [state for state, _ in heli] == [Fault.STATE_ARMED, Fault.STATE_ACTIVE,
                                            Fault.STATE_RECOVERED], output
    assert heli[1][1] == 'helicopter_1'
    report = json.loads((out / 'report.json').read_text())
    assert report['counts']['helicopters_lost'] == 1
    flights = [s for s in report['steps'] if s['action'] == 'retrieve']
    assert not flights[0]['success'] and flights[0]['error_code'] == 'HELICOPTER_FAILED'
    assert [s['success'] for s in flights[1:]] == [True]
    assert all('helicopter_2' in s['description'] for s in flights[1:])
    events = [json.loads(line) for line in open(out / 'custody_events.jsonl')]
    grips = [e for e in events if e['to_holder'].startswith('helicopter_')]
    assert grips and grips[-1]['to_holder'] == 'helicopter_2/gripper'


def test_the_rock_and_the_depot_are_where_the_scenario_moved_them(campaign):
    """Coring happened at the moved rock and the drop at the moved depot, not the named places."""
    _, output, out, _, _ = campaign
    events = [json.loads(line) for line in open(out / 'custody_events.jsonl')]
    cores = [e for e in events if e['action'] == 'core']
    drops = [e for e in events if e['action'] == 'drop']
    assert len(cores) == 2 and len(drops) == 1, output
    for core in cores:  # in the rack of the rover parked 3 m from the rock, facing it
        where = core['position'][:2]
        assert math.dist(where, ROCK) < 3.5
        assert math.dist(where, CONTRACT_ROCKS['roubion']) > 5.0
    where = drops[0]['position'][:2]
    assert drops[0]['to_holder'] == 'depot/slot_01'
    assert math.dist(where, DEPOT) < 2.0 and math.dist(where, CONTRACT_SLOTS[0]) > 50.0


def test_the_dry_run_plays_the_same_steps_as_the_campaign(campaign):
    """The fast model (runner/dry_run.py) gives the real campaign's steps for the same seed."""
    _, output, out, _, scenario = campaign
    facts = load_mission_facts()
    dry = DryRun(load_scenario(scenario, facts).with_overrides(seed=SEED), facts).run()
    real = json.loads((out / 'report.json').read_text())

    def steps(report):
        return Counter((s['action'], s['description'], s['success']) for s in report['steps'])
    assert steps(dry) == steps(real), output
    assert dry['success'] == real['success']


# The world contract's rates in a campaign (Hz of sim time; runner/bringup's campaign rates).
CONTRACT_RATES = {contract.CLOCK: 20.0, contract.ROVER_ODOMETRY: 20.0,
                  '/model/helicopter_2/odometry': 20.0, contract.ROVER_JOINT_STATES: 10.0,
                  contract.LANDER_JOINT_STATES: 10.0, '/model/helicopter_1/joint_states': 10.0,
                  contract.TUBE_POSES: 5.0}


def _mcap_messages(path, topics=None):
    """Return the (schema, channel, message, decoded) of an .mcap, decoded by mcap_ros2 alone."""
    with open(path, 'rb') as stream:
        reader = make_reader(stream, decoder_factories=[DecoderFactory()])
        return list(reader.iter_decoded_messages(topics=topics))


def _campaign_window(out):
    """Return (start, end) of the campaign in ns of sim time, from report.json."""
    report = json.loads((out / 'report.json').read_text())
    end = max(step['end'] for step in report['steps'])
    return int((end - report['sim_duration']) * 1e9), int(end * 1e9)


def test_the_recording_holds_the_world_contract_and_the_mission_state(campaign):
    """Both readers list the same topics: the contract's streams, the commands, the state."""
    _, output, out, _, _ = campaign
    with AnyReader([out]) as reader:  # a directory: rosbags goes through metadata.yaml
        assert reader.message_count > 0, output
        rosbags_topics = {c.topic: c.msgtype for c in reader.connections}
    with open(out / 'campaign.mcap', 'rb') as stream:
        summary = make_reader(stream).get_summary()
    mcap_topics = {c.topic: summary.schemas[c.schema_id].name
                   for c in summary.channels.values()}
    assert rosbags_topics == mcap_topics
    allowed = {t.name: t.type_name for t in recorded_topics()}
    assert set(rosbags_topics) <= set(allowed)
    assert all(rosbags_topics[name] == allowed[name] for name in rosbags_topics)
    required = set(CONTRACT_RATES) | {
        '/model/helicopter_{}/{}'.format(i, stream) for i in range(1, 5)
        for stream in ('odometry', 'joint_states')} | {
        contract.TUBE_INVENTORY, contract.CUSTODY_EVENTS, contract.MISSION_STATUS,
        contract.FAULTS, contract.ROVER_CMD_VEL, contract.rover_steer_topic('front_left'),
        contract.ROVER_ARM_TRAJECTORY, contract.LANDER_ARM_TRAJECTORY,
        '/model/helicopter_2/cmd_vel', '/model/helicopter_2/enable',
        '/model/helicopter_2/arm/cmd_pos'}
    assert required <= set(rosbags_topics), sorted(required - set(rosbags_topics))


def test_the_recording_keeps_the_contract_rates_in_sim_time(campaign):
    """Messages per second of the campaign's sim time, as rosbags and mcap_ros2 count them."""
    _, output, out, _, _ = campaign
    start, end = _campaign_window(out)
    seconds = (end - start) / 1e9
    counts = Counter()
    with AnyReader([out]) as reader:
        wanted = [c for c in reader.connections if c.topic in CONTRACT_RATES]
        for connection, stamp, _ in reader.messages(connections=wanted, start=start,
                                                    stop=end + 1):
            counts[connection.topic] += 1
    for topic, rate in CONTRACT_RATES.items():
        assert counts[topic] == pytest.approx(rate * seconds, rel=0.2), (topic, seconds)
    # The log time is the recorder's sim clock at receipt: it follows the /clock it records.
    clocks = [(m.message.log_time, m.decoded_message.clock.sec * 1_000_000_000 +
               m.decoded_message.clock.nanosec)
              for m in _mcap_messages(out / 'campaign.mcap', [contract.CLOCK])]
    in_window = [log for log, _ in clocks if start <= log <= end]
    assert len(in_window) == pytest.approx(20.0 * seconds, rel=0.2)
    assert len(in_window) == counts[contract.CLOCK]  # both readers count the same messages
    lags = sorted(abs(log - value) for log, value in clocks[len(clocks) // 10:])
    assert lags[len(lags) // 2] <= 100_000_000, output  # median within two clock periods


def _inventory(tubes):
    return {t.tube_id: (t.holder, int(t.seal)) for t in tubes}


def test_the_last_recorded_inventory_is_the_ledger(campaign):
    """The last /tube_inventory in the bag (both readers) holds each tube where the ledger does."""
    _, output, out, _, _ = campaign
    with TubeLedger(out / 'tube_ledger.db') as ledger:
        expected = {r.tube_id: (r.holder, int(r.seal)) for r in ledger.inventory()}
        last_sequence = ledger.last_sequence
    assert len(expected) == 43
    with AnyReader([out]) as reader:
        connections = [c for c in reader.connections if c.topic == contract.TUBE_INVENTORY]
        *_, (connection, _, raw) = reader.messages(connections=connections)
        from_rosbags = reader.deserialize(raw, connection.msgtype)
    from_mcap = _mcap_messages(out / 'campaign.mcap', [contract.TUBE_INVENTORY])[-1] \
        .decoded_message
    for inventory in (from_rosbags, from_mcap):
        assert inventory.last_event_sequence == last_sequence, output
        assert _inventory(inventory.tubes) == expected


def test_event_log_replay_finds_broken_custody(tmp_path):
    """The replay used above does catch a tube in two places, a gap and a wrong origin."""
    events = [(1, 'tube_01', 'rover/caching_assembly', 'rover/arm'),
              (2, 'tube_02', 'rover/caching_assembly', 'rover/arm'),   # the arm holds two
              (4, 'tube_03', 'depot/slot_01', 'ground')]                # gap; not in the depot
    path = tmp_path / 'events.jsonl'
    path.write_text(''.join(json.dumps({
        'sequence': sequence, 'sim_time': float(sequence), 'tube_id': tube,
        'from_holder': source, 'to_holder': target}) + '\n'
        for sequence, tube, source, target in events))
    holders, problems = replay_event_log(path)
    assert holders['tube_02'] == 'rover/arm' and holders['tube_03'] == 'ground'
    assert len(problems) == 3
    assert 'rover/arm holds tube_02 and tube_01' in problems[0]
    assert 'sequence 4 where 3 was due' in problems[1]
    assert 'leaves depot/slot_01 but was at rover/caching_assembly' in problems[2]
