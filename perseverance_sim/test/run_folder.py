# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
A synthetic run folder for the report tests (unit and browser): test_report_run_folder checks it.

``make_run_folder`` plays the quick scenario with runner/dry_run (the logic modules, a real
ledger database), writes its report.json with mission/report.write_report and a small
campaign.mcap the way the recorder writes one (``ros2`` profile, CDR, ``ros2msg`` schemas with
the full definitions, log time = sim time) with mcap_ros2's Writer: the rover's and the
helicopter's odometry along where the ledger saw them, /world/tube_poses and /tube_inventory
at the end, every /faults state change of the report, /mission_status on every phase change.
The browser test builds its run folder with it too.
"""

import glob
import os
import sys

from mcap_ros2.writer import Writer
import numpy as np
from perseverance_interfaces.msg import Fault, MissionStatus
from perseverance_nodes.domain.facts import default_facts_path, load_mission_facts
from perseverance_nodes.domain.scenario import load_scenario
from perseverance_nodes.domain.site_layout import (HELIPADS, LANDER_SITE, LanderSite,
                                                   RACK_HEIGHT, ROVER_START)
from perseverance_nodes.domain.tubes import tube_catalogue
from perseverance_nodes.mission.report import write_report
from perseverance_nodes.report import sources
from perseverance_nodes.ros import contract
from perseverance_nodes.runner.dry_run import DryRun
from rosbags.typesys import get_types_from_msg, get_typestore, Stores

QUICK = default_facts_path().parent / 'scenarios' / 'quick.yaml'
ODOMETRY_RATE = 0.5       # Hz: enough points for a track, a small bag
CHUNK_SIZE = 64 * 1024    # bytes: several chunks, as in a real campaign's bag
TYPES = {contract.ROVER_ODOMETRY: 'nav_msgs/msg/Odometry',
         contract.TUBE_POSES: 'geometry_msgs/msg/PoseArray',
         contract.TUBE_INVENTORY: 'perseverance_interfaces/msg/TubeInventory',
         contract.FAULTS: 'perseverance_interfaces/msg/Fault',
         contract.MISSION_STATUS: 'perseverance_interfaces/msg/MissionStatus'}


def _typestore():
    """Return a rosbags typestore with Jazzy's messages and perseverance_interfaces'."""
    store = get_typestore(Stores.ROS2_JAZZY)
    share = os.path.join(sys.prefix, 'share', 'perseverance_interfaces', 'msg')
    files = sorted(glob.glob(os.path.join(share, '*.msg')))
    assert files, 'no perseverance_interfaces messages in {} (run scripts/setup.sh)'.format(share)
    types = {}
    for path in files:
        with open(path, encoding='utf-8') as stream:
            name = 'perseverance_interfaces/msg/' + os.path.basename(path)[:-len('.msg')]
            types.update(get_types_from_msg(stream.read(), name))
    store.register(types)
    return store


def _stamp(seconds):
    return {'sec': int(seconds), 'nanosec': int(round((seconds % 1.0) * 1e9)) % 1000000000}


def _pose(x, y, z):
    return {'position': {'x': float(x), 'y': float(y), 'z': float(z)},
            'orientation': {'x': 0.0, 'y': 0.0, 'z': 0.0, 'w': 1.0}}


def _odometry(seconds, child, x, y, z):
    zero = {'x': 0.0, 'y': 0.0, 'z': 0.0}
    return {'header': {'stamp': _stamp(seconds), 'frame_id': 'world'},
            'child_frame_id': child + '/base_footprint',
            'pose': {'pose': _pose(x, y, z), 'covariance': [0.0] * 36},
            'twist': {'twist': {'linear': zero, 'angular': zero}, 'covariance': [0.0] * 36}}


def _track(waypoints, rate=ODOMETRY_RATE):
    """Return (times, xyz) sampled at ``rate`` along straight legs between (t, x, y, z)."""
    points = np.asarray(sorted(waypoints), dtype=float)
    times = np.arange(points[0, 0], points[-1, 0] + 1e-9, 1.0 / rate)
    return times, np.stack([np.interp(times, points[:, 0], points[:, i]) for i in (1, 2, 3)],
                           axis=1)


def rover_waypoints(report, events):
    """Return the rover's (t, x, y, z): its start, every custody event it made, the lander."""
    site = LanderSite(LANDER_SITE)
    points = [(0.0, ROVER_START.x, ROVER_START.y, 0.0)]
    points += [(e.sim_time, e.position[0], e.position[1], 0.0) for e in events
               if e.actor == '/rover']
    for step in report['steps']:
        if step['action'] == 'handover':
            pose = site.rover_handover_pose()
            points += [(step['start'], pose.x, pose.y, 0.0), (step['end'], pose.x, pose.y, 0.0)]
    end = site.rover_handover_pose(backoff=3.0)
    points.append((report['sim_duration'], end.x, end.y, 0.0))
    return points


def helicopter_waypoints(report, events, number):
    """Return helicopter ``number``'s (t, x, y, z): helipad, tube pick-ups and drops, helipad."""
    name = 'helicopter_{}'.format(number)
    pad = HELIPADS[number - 1]
    points = [(0.0, pad[0], pad[1], 0.0), (report['sim_duration'], pad[0], pad[1], 0.0)]
    for step in report['steps']:
        if step['action'] == 'retrieve' and name in step['description']:
            points += [(step['start'], pad[0], pad[1], 0.0), (step['end'], pad[0], pad[1], 0.0)]
    points += [(e.sim_time, e.position[0], e.position[1], 1.0) for e in events
               if e.actor == '/' + name]
    return points


def write_bag(path, report, ledger):
    """Write a campaign.mcap for ``report`` and the ledger (a TubeLedger) as the recorder does."""
    store = _typestore()
    events = [recorded.event for recorded in ledger.events()]
    inventory = ledger.inventory()
    messages = []   # (sim s, topic, message dict)
    helicopters = sorted({int(e.actor.rsplit('_', 1)[1]) for e in events
                          if e.actor.startswith('/helicopter_')})
    tracks = {contract.ROVER_ODOMETRY: ('perseverance', rover_waypoints(report, events))}
    for number in helicopters:
        name = 'helicopter_{}'.format(number)
        tracks[contract.model_topic(name, 'odometry')] = (
            name, helicopter_waypoints(report, events, number))
    for topic, (child, waypoints) in tracks.items():
        times, xyz = _track(waypoints)
        messages += [(t, topic, _odometry(t, child, *p)) for t, p in zip(times, xyz)]
    end = report['sim_duration']
    # The world has the tubes the rover still holds in its rack, where the rover stopped.
    _, rover_x, rover_y, _ = rover_waypoints(report, events)[-1]
    poses = {r.tube_id: (rover_x, rover_y, RACK_HEIGHT) if r.holder.startswith('rover/')
             else r.position for r in inventory}
    messages.append((end, contract.TUBE_POSES, {
        'header': {'stamp': _stamp(end), 'frame_id': 'world'},
        'poses': [_pose(*poses[spec.tube_id]) for spec in tube_catalogue()]}))
    messages.append((end, contract.TUBE_INVENTORY, {
        'header': {'stamp': _stamp(end), 'frame_id': 'world'},
        'last_event_sequence': ledger.last_sequence,
        'tubes': [{'tube_id': r.tube_id, 'serial_number': r.serial_number,
                   'designation': r.designation, 'sample_name': r.sample_name, 'kind': r.kind,
                   'content': r.content, 'seal': r.seal, 'core_length': r.core_length,
                   'volume': r.volume, 'holder': r.holder, 'pose': _pose(*r.position),
                   'last_change': _stamp(r.last_change)} for r in inventory]}))
    for fault in report['faults']:
        for state, when in (('ARMED', 0.0), ('ACTIVE', fault['fired_at']),
                            (fault['state'], fault['resolved_at'])):
            if when is None:
                continue
            messages.append((when, contract.FAULTS, {
                'header': {'stamp': _stamp(when), 'frame_id': ''}, 'fault_id': fault['fault_id'],
                'kind': getattr(Fault, 'KIND_' + fault['kind']),
                'state': getattr(Fault, 'STATE_' + state), 'target': fault['target'],
                'trigger': fault['trigger'], 'description': fault['description']}))
    phases = [(0.0, 'IDLE')] + [(s['start'], s['phase']) for s in report['steps']]
    phases.append((end, report['phase']))
    for when, phase in phases:
        messages.append((when, contract.MISSION_STATUS, {
            'header': {'stamp': _stamp(when), 'frame_id': ''},
            'phase': getattr(MissionStatus, 'PHASE_' + phase),
            'progress': 0.0, 'step': '', 'tubes_sealed': 0, 'tubes_in_depot': 0,
            'tubes_in_container': 0, 'active_faults': 0}))
    with open(path, 'wb') as stream:
        writer = Writer(stream, chunk_size=CHUNK_SIZE)
        schemas = {}
        for topic in sorted({topic for _, topic, _ in messages}):
            kind = TYPES.get(topic, 'nav_msgs/msg/Odometry')
            definition, _ = store.generate_msgdef(kind, ros_version=2)
            schemas[topic] = writer.register_msgdef(kind, definition)
        for when, topic, message in sorted(messages, key=lambda m: m[0]):
            nanoseconds = int(round(when * 1e9))
            writer.write_message(topic, schemas[topic], message, log_time=nanoseconds,
                                 publish_time=nanoseconds)
        writer.finish()


def make_run_folder(directory, bag=True, forced_failures=None):
    """
    Fill ``directory`` (a pathlib.Path) as a quick campaign's run folder; return the report.

    ``bag`` False leaves campaign.mcap out (a run recorded with --no-record);
    ``forced_failures`` fails steps as DryRun does, e.g. ``{('launch', 1): 'MAV_FAULT'}``.
    """
    facts = load_mission_facts()
    directory.mkdir(parents=True, exist_ok=True)
    dry = DryRun(load_scenario(QUICK, facts), facts,
                 ledger_path=str(directory / sources.LEDGER_FILE),
                 forced_failures=forced_failures)
    report = dry.run()
    report.update(complete=True, wall_duration=42.0, real_time_factor=round(
        report['sim_duration'] / 42.0, 2))
    write_report(str(directory / sources.REPORT_FILE), report)
    if bag:
        write_bag(str(directory / sources.BAG_FILE), report, dry.ledger)
    dry.ledger.close()
    return report
