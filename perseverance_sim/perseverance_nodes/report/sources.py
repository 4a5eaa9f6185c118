# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
What a run folder holds, read back for the report: the recording, report.json and the ledger.

- ``read_recording``: campaign.mcap (ROS 2 bag, ``ros2`` profile, CDR with ``ros2msg``
  schemas), decoded from the schemas it carries: the odometry track of the rover and of every
  helicopter, the last /world/tube_poses and /tube_inventory, every /faults state change and the
  /mission_status phases. Times are the messages' header stamps (sim time). A bag cut short (the
  recorder killed before it wrote its summary) is read up to where it ends, and says so.
- ``read_mission_report``: mission_control's report.json (outcome, steps, faults, counts).
- ``read_ledger``: tube_ledger.db opened read-only: every tube and its custody events in order.
- ``read_run``: all three, with what is missing or unreadable named in ``RunData.missing``.
"""

from dataclasses import dataclass, field
import json
import math
import os
import pathlib
import sqlite3

import numpy as np

from ..domain.tubes import Content, INITIAL_HOLDER, SealState, tube_catalogue
from ..ros import contract
from ..ros.stamps import stamp_seconds

BAG_FILE = 'campaign.mcap'
REPORT_FILE = 'report.json'
LEDGER_FILE = 'tube_ledger.db'
HELICOPTER_PREFIX = 'helicopter_'
# Odometry comes at 20 Hz; a track keeps one point per TRACK_INTERVAL of sim time (log time),
# chosen before decoding (~0.2 ms per Odometry in Python).
TRACK_INTERVAL = 0.2   # s: 20 cm at the rover's fastest (1 m/s), about a pixel of the map
PARKED_DISTANCE = 0.5  # m: a vehicle that travelled less stayed parked (physics jitter)
ODOMETRY_SUFFIX = 'odometry'


class SourceError(Exception):
    """A file of the run folder that exists but cannot be read; the message names it."""


# --- The recording ------------------------------------------------------------------------

@dataclass(frozen=True)
class Track:
    """One vehicle's odometry: ``times`` (N, sim s) and ``xyz`` (N x 3, m, frame world)."""

    name: str
    times: np.ndarray
    xyz: np.ndarray

    @property
    def length(self):
        """Return the distance travelled over the ground (m)."""
        return float(np.sum(np.hypot(*np.diff(self.xyz[:, :2], axis=0).T)))

    @property
    def moved(self):
        """Return True unless the vehicle stayed where it was (a parked helicopter)."""
        return self.length > PARKED_DISTANCE


@dataclass
class FaultSpan:
    """One fault's life from /faults: when it fired and when it was recovered or cleared."""

    fault_id: str
    kind: str
    target: str = ''
    trigger: str = ''
    description: str = ''
    state: str = ''
    armed: float = None
    fired: float = None
    recovered: float = None     # recovered by the system, or cleared by an operator (``state``)


@dataclass
class Recording:
    """What the report reads from campaign.mcap."""

    path: str
    profile: str = ''
    topics: dict = field(default_factory=dict)        # topic -> messages seen
    tracks: dict = field(default_factory=dict)        # 'rover', 'helicopter_<i>' -> Track
    tube_poses: dict = field(default_factory=dict)    # tube_id -> (x, y, z) of the last message
    tube_poses_time: float = None
    holders: dict = field(default_factory=dict)       # tube_id -> holder, last /tube_inventory
    inventory_time: float = None
    faults: list = field(default_factory=list)        # FaultSpan, in order of first appearance
    phases: list = field(default_factory=list)        # (sim s, phase name), on every change
    start: float = None
    end: float = None
    problems: list = field(default_factory=list)      # e.g. the bag ends without its summary


def _message_time(msg, log_time_ns):
    """Return a message's header stamp (s), or its log time when it has no stamp."""
    header = getattr(msg, 'header', None)
    if header is not None:
        seconds = stamp_seconds(header.stamp)
        if seconds > 0.0:
            return seconds
    return log_time_ns * 1e-9


def vehicle_odometry_topics(topics):
    """
    Return {vehicle: odometry topic} for the rover and every helicopter among ``topics``.

    Vehicles are named as the report names its rows: 'rover', 'helicopter_<i>'.
    """
    found = {}
    for topic in topics:
        parts = topic.split('/')
        if len(parts) != 4 or topic != contract.model_topic(parts[2], ODOMETRY_SUFFIX):
            continue
        model = parts[2]
        if topic == contract.ROVER_ODOMETRY:
            found['rover'] = topic
        elif model.startswith(HELICOPTER_PREFIX) and model[len(HELICOPTER_PREFIX):].isdigit():
            found[model] = topic
    return dict(sorted(found.items(), key=lambda item: vehicle_sort_key(item[0])))


def vehicle_sort_key(name):
    """Sort the rover first, then helicopters by number, then anything else by name."""
    if name == 'rover':
        return (0, 0, name)
    if name.startswith(HELICOPTER_PREFIX) and name[len(HELICOPTER_PREFIX):].isdigit():
        return (1, int(name[len(HELICOPTER_PREFIX):]), name)
    return (2, 0, name)


def _bag_messages(stream, recording):
    """
    Yield (schema, channel, message) of a bag; fill ``recording.topics`` and ``.profile``.

    A complete bag is read through its index, in log-time order, keeping the topics the report
    decodes. A bag without its summary (the recorder stopped before closing it) is streamed from
    the start up to its last whole record, and the cut is noted in ``recording.problems``.
    """
    from mcap.exceptions import McapError
    from mcap.reader import make_reader, NonSeekingReader
    reader = make_reader(stream)
    recording.profile = reader.get_header().profile
    try:
        summary = reader.get_summary()
        cut = None
    except McapError as error:
        summary, cut = None, error
    if summary is not None and summary.statistics is not None:
        counts = summary.statistics.channel_message_counts
        recording.topics = {channel.topic: counts.get(channel_id, 0)
                            for channel_id, channel in summary.channels.items()}
        wanted = _DECODED | set(vehicle_odometry_topics(recording.topics).values())
        yield from reader.iter_messages(topics=sorted(wanted), log_time_order=True)
        return
    stream.seek(0)
    seen = 0
    try:
        # In file order: sorting by log time would read the whole file before the first one.
        for schema, channel, message in NonSeekingReader(stream).iter_messages(
                log_time_order=False):
            recording.topics[channel.topic] = recording.topics.get(channel.topic, 0) + 1
            seen += 1
            yield schema, channel, message
    except McapError as error:
        cut = cut or error
    if cut is not None:
        recording.problems.append(
            '{} was not closed (the recorder stopped early?): {} messages read up to where '
            'it ends ({})'.format(recording.path, seen, cut))


# Topics decoded besides the vehicles' odometry.
_DECODED = frozenset((contract.TUBE_POSES, contract.TUBE_INVENTORY, contract.FAULTS,
                      contract.MISSION_STATUS))


def read_recording(path):
    """Return the Recording of a campaign.mcap; raise SourceError if it cannot be read."""
    from mcap.exceptions import McapError
    from mcap_ros2.decoder import DecoderFactory
    from perseverance_interfaces.msg import Fault, MissionStatus

    from ..ros.action_server import constant_names
    kinds, states = constant_names(Fault, 'KIND_'), constant_names(Fault, 'STATE_')
    phase_names = constant_names(MissionStatus, 'PHASE_')
    recording = Recording(path)
    factory, decoders = DecoderFactory(), {}
    vehicles = {}        # topic -> vehicle name, or None for any other topic
    kept_at = {}         # odometry topic -> log time (ns) of its last kept message
    points, last_raw, spans = {}, {}, {}

    def decode(schema, channel, message):
        if schema.id not in decoders:
            decoders[schema.id] = factory.decoder_for(channel.message_encoding, schema)
        if decoders[schema.id] is None:
            raise SourceError('{}: {} is not CDR with a ros2msg schema'.format(
                path, channel.topic))
        return decoders[schema.id](message.data)

    with open(path, 'rb') as stream:
        magic = stream.read(8)
        if magic[:5] != b'\x89MCAP':
            raise SourceError('{} is not an MCAP file (it starts with {!r})'.format(path, magic))
        stream.seek(0)
        try:
            for schema, channel, message in _bag_messages(stream, recording):
                topic, log_time = channel.topic, message.log_time
                if topic not in vehicles:
                    found = vehicle_odometry_topics([topic])
                    vehicles[topic] = next(iter(found), None)
                if vehicles[topic] is None and topic not in _DECODED:
                    continue
                seconds = log_time * 1e-9
                if recording.start is None:
                    recording.start = recording.end = seconds
                recording.start = min(recording.start, seconds)
                recording.end = max(recording.end, seconds)
                if vehicles[topic] is not None:
                    last_raw[topic] = (schema, channel, message)
                    if log_time >= kept_at.get(topic, -math.inf) + TRACK_INTERVAL * 1e9:
                        kept_at[topic] = log_time
                        _track_point(points, vehicles[topic], decode(schema, channel, message),
                                     log_time)
                elif topic in (contract.TUBE_POSES, contract.TUBE_INVENTORY):
                    last_raw[topic] = (schema, channel, message)  # only the last is decoded
                elif topic == contract.FAULTS:
                    _fault_change(spans, decode(schema, channel, message), log_time,
                                  kinds, states)
                else:
                    msg = decode(schema, channel, message)
                    name = phase_names.get(msg.phase, str(msg.phase))
                    if not recording.phases or recording.phases[-1][1] != name:
                        recording.phases.append((_message_time(msg, log_time), name))
            for topic, at in kept_at.items():    # a track ends at its last message
                if last_raw[topic][2].log_time != at:
                    _track_point(points, vehicles[topic], decode(*last_raw[topic]),
                                 last_raw[topic][2].log_time)
            if contract.TUBE_POSES in last_raw:
                msg = decode(*last_raw[contract.TUBE_POSES])
                recording.tube_poses_time = _message_time(
                    msg, last_raw[contract.TUBE_POSES][2].log_time)
                # The contract orders the poses by tube: index i is tube i + 1.
                recording.tube_poses = {
                    spec.tube_id: (pose.position.x, pose.position.y, pose.position.z)
                    for spec, pose in zip(tube_catalogue(), msg.poses)}
            if contract.TUBE_INVENTORY in last_raw:
                msg = decode(*last_raw[contract.TUBE_INVENTORY])
                recording.inventory_time = _message_time(
                    msg, last_raw[contract.TUBE_INVENTORY][2].log_time)
                recording.holders = {tube.tube_id: tube.holder for tube in msg.tubes}
        except (McapError, ValueError, KeyError, AttributeError, IndexError) as error:
            raise SourceError('{} cannot be read: {}: {}'.format(
                path, type(error).__name__, error)) from error
    for name in sorted(points, key=vehicle_sort_key):
        array = np.asarray(points[name], dtype=float)
        recording.tracks[name] = Track(name, array[:, 0], array[:, 1:4])
    recording.faults = list(spans.values())
    return recording


def _track_point(points, vehicle, msg, log_time_ns):
    """Append an Odometry's (sim s, x, y, z) to ``points[vehicle]``."""
    position = msg.pose.pose.position
    points.setdefault(vehicle, []).append(
        (_message_time(msg, log_time_ns), position.x, position.y, position.z))


def _fault_change(spans, msg, log_time_ns, kinds, states):
    """Fold one /faults message into the FaultSpan of its fault."""
    span = spans.get(msg.fault_id)
    if span is None:
        span = spans[msg.fault_id] = FaultSpan(msg.fault_id, kinds.get(msg.kind, str(msg.kind)))
    span.target, span.trigger = msg.target or span.target, msg.trigger or span.trigger
    span.description = msg.description or span.description
    state = states.get(msg.state, str(msg.state))
    span.state = state
    when = _message_time(msg, log_time_ns)
    if state == 'ARMED' and span.armed is None:
        span.armed = when
    elif state == 'ACTIVE' and span.fired is None:
        span.fired = when
    elif state in ('RECOVERED', 'CLEARED') and span.recovered is None:
        span.recovered = when


# --- report.json --------------------------------------------------------------------------

def read_mission_report(path):
    """Return report.json as a dict; raise SourceError naming the file and what is wrong."""
    try:
        with open(path, encoding='utf-8') as stream:
            report = json.load(stream)
    except (OSError, ValueError) as error:
        raise SourceError('{} cannot be read: {}'.format(path, error)) from error
    if not isinstance(report, dict):
        raise SourceError('{} holds a {}, not a report object'.format(
            path, type(report).__name__))
    return report


# --- The ledger ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CustodyRow:
    """One custody event of the ledger as stored."""

    sequence: int
    sim_time: float
    from_holder: str
    to_holder: str
    action: str
    actor: str
    position: tuple
    changes: dict


@dataclass(frozen=True)
class TubeChain:
    """One tube as the ledger has it now, and every custody event it went through, in order."""

    tube_id: str
    serial_number: str
    kind: int
    holder: str
    designation: str
    sample_name: str
    content: str
    seal: str
    position: tuple
    events: tuple

    @property
    def used(self):
        """Return True if the tube ever changed holder or state."""
        return bool(self.events)


def _enum_name(enum_type, value):
    try:
        return enum_type(value).name
    except ValueError:
        return str(value)


def read_ledger(path):
    """
    Return every tube's TubeChain (tube id order) from a ledger database, opened read-only.

    The schema is the ledger's (ledger/logic.py): tables ``tubes`` and ``custody_events``.
    """
    # A closed ledger has no -wal file: read it as immutable, which writes nothing beside it. A
    # -wal file is a ledger that did not close (its process died): read-only, the WAL included.
    mode = 'ro' if os.path.exists(path + '-wal') else 'ro&immutable=1'
    try:
        db = sqlite3.connect('{}?mode={}'.format(pathlib.Path(path).absolute().as_uri(), mode),
                             uri=True)
    except sqlite3.Error as error:
        raise SourceError('{} cannot be opened: {}'.format(path, error)) from error
    try:
        tubes = db.execute('SELECT tube_id, serial_number, kind, holder, designation, '
                           'sample_name, content, seal, x, y, z FROM tubes ORDER BY tube_id'
                           ).fetchall()
        events = {}
        for row in db.execute('SELECT sequence, sim_time, tube_id, from_holder, to_holder, '
                              'action, actor, x, y, z, changes FROM custody_events '
                              'ORDER BY sequence'):
            events.setdefault(row[2], []).append(CustodyRow(
                row[0], row[1], row[3], row[4], row[5], row[6], tuple(row[7:10]),
                json.loads(row[10] or '{}')))
    except (sqlite3.Error, ValueError) as error:
        raise SourceError('{} is not a tube ledger database: {}'.format(path, error)) from error
    finally:
        db.close()
    return [TubeChain(row[0], row[1], row[2], row[3], row[4], row[5],
                      _enum_name(Content, row[6]), _enum_name(SealState, row[7]),
                      tuple(row[8:11]), tuple(events.get(row[0], ())))
            for row in tubes]


def unused_tubes(chains):
    """Return the TubeChains that never left ``INITIAL_HOLDER`` and never changed state."""
    return [chain for chain in chains if not chain.used and chain.holder == INITIAL_HOLDER]


# --- The run folder -----------------------------------------------------------------------

@dataclass
class RunData:
    """Everything the report draws from, and what it could not read (``missing``)."""

    run_dir: str
    report: dict = None
    ledger: list = None          # TubeChain per tube
    recording: Recording = None
    missing: list = field(default_factory=list)   # sentences: what is missing and what it costs

    def fault_spans(self):
        """
        Return (FaultSpans, where they come from): the recording's /faults, else report.json.

        report.json keeps each fault's fired_at and resolved_at; the recording has every change.
        """
        if self.recording is not None and (self.recording.faults
                                           or contract.FAULTS in self.recording.topics):
            return self.recording.faults, BAG_FILE
        if self.report is not None:
            return [FaultSpan(f.get('fault_id', ''), f.get('kind', ''), f.get('target', ''),
                              f.get('trigger', ''), f.get('description', ''),
                              f.get('state', ''), None, f.get('fired_at'),
                              f.get('resolved_at'))
                    for f in self.report.get('faults', [])], REPORT_FILE
        return [], None

    @property
    def steps(self):
        """Return the steps of report.json (an empty list without a report)."""
        return list((self.report or {}).get('steps', []))

    @property
    def helicopters(self):
        """Return the helicopters that ran a step or moved in the recording, by number."""
        names = set()
        if self.recording is not None:
            names |= {name for name, track in self.recording.tracks.items()
                      if name != 'rover' and track.moved}
        for step in self.steps:
            node = step_node(step)
            if node.startswith(HELICOPTER_PREFIX):
                names.add(node)
        return sorted(names, key=vehicle_sort_key)


def step_node(step):
    """Return the node that ran a report.json step (mission_control's ``node`` field)."""
    return step.get('node') or 'mission_control'


def is_run_folder(run_dir):
    """Return (True, '') for a run folder, else (False, what is missing)."""
    if not os.path.isdir(run_dir):
        return False, '{} is not a directory'.format(run_dir)
    present = [name for name in (REPORT_FILE, LEDGER_FILE, BAG_FILE)
               if os.path.isfile(os.path.join(run_dir, name))]
    if not present:
        return False, ('{} is not a run folder: it holds none of {}, {}, {} (what '
                       '`perseverance-sim campaign` writes)'.format(
                           run_dir, REPORT_FILE, LEDGER_FILE, BAG_FILE))
    return True, ''


def read_run(run_dir, progress=None):
    """
    Read what ``run_dir`` holds; every part missing or unreadable is named in ``missing``.

    ``progress(text)`` is told what is being read.
    """
    say = progress or (lambda text: None)
    run = RunData(run_dir)
    readers = ((REPORT_FILE, read_mission_report, 'report', 'the outcome and the steps'),
               (LEDGER_FILE, read_ledger, 'ledger', 'the chain of custody'),
               (BAG_FILE, read_recording, 'recording',
                'the tracks, the faults and the final tube poses'))
    for name, reader, attribute, what in readers:
        path = os.path.join(run_dir, name)
        if not os.path.isfile(path):
            hint = ' (was the campaign run with --no-record?)' if name == BAG_FILE else ''
            run.missing.append('no {}{}: {} cannot be shown'.format(name, hint, what))
            continue
        say('reading {}'.format(path))
        try:
            setattr(run, attribute, reader(path))
        except SourceError as error:
            run.missing.append('{}: {} cannot be shown'.format(error, what))
    if run.recording is not None:
        run.missing.extend(run.recording.problems)
        absent = [topic for topic in (contract.ROVER_ODOMETRY, contract.TUBE_POSES,
                                      contract.FAULTS)
                  if topic not in run.recording.topics]
        if absent:
            run.missing.append('{} has no {}'.format(BAG_FILE, ', '.join(absent)))
    return run
