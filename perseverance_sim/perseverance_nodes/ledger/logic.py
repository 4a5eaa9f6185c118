# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The tube ledger: chain of custody of all 43 tubes in SQLite (WAL journal).

Invariant: every tube is in exactly one place. The ``tubes`` table holds each tube's current
holder and state; ``custody_events`` holds every change, numbered by a sequence that continues
across restarts. ``record`` checks an event against the current holder inside one immediate
transaction, so a rejected event writes nothing and two processes cannot interleave.

An event whose from_holder equals its to_holder records an in-place action (sealing, a knock-over)
that changes the tube's state but not its place.
"""

from dataclasses import dataclass, field
import json
import math
import sqlite3
from types import MappingProxyType

from ..domain.tubes import (Content, holds_one_tube, INITIAL_HOLDER, is_terminal_holder,
                            is_valid_holder, parse_designation, SealState, tube_catalogue,
                            TubeRecord)
from ..domain.validation import Refusal

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tubes (
    tube_id TEXT PRIMARY KEY,
    serial_number TEXT NOT NULL UNIQUE,
    kind INTEGER NOT NULL,
    initial_holder TEXT NOT NULL,
    holder TEXT NOT NULL,
    designation TEXT NOT NULL DEFAULT '',
    sample_name TEXT NOT NULL DEFAULT '',
    content INTEGER NOT NULL DEFAULT 0,
    seal INTEGER NOT NULL DEFAULT 0,
    core_length REAL NOT NULL DEFAULT 0.0,
    volume REAL NOT NULL DEFAULT 0.0,
    x REAL NOT NULL DEFAULT 0.0,
    y REAL NOT NULL DEFAULT 0.0,
    z REAL NOT NULL DEFAULT 0.0,
    last_change REAL NOT NULL DEFAULT 0.0,
    last_sequence INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS custody_events (
    sequence INTEGER PRIMARY KEY,
    sim_time REAL NOT NULL,
    tube_id TEXT NOT NULL REFERENCES tubes(tube_id),
    from_holder TEXT NOT NULL,
    to_holder TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    x REAL NOT NULL,
    y REAL NOT NULL,
    z REAL NOT NULL,
    changes TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS custody_events_tube ON custody_events (tube_id, sequence);
"""

# State fields an event may change, each with its check.
_CHANGE_CHECKS = {
    'content': lambda v: int(Content(v)),
    'seal': lambda v: int(SealState(v)),
    'designation': lambda v: v if v == '' else parse_designation(v) and v,
    'sample_name': lambda v: _require(isinstance(v, str), 'a string', v),
    'core_length': lambda v: _require(_finite_non_negative(v), 'a number >= 0 (m)', v),
    'volume': lambda v: _require(_finite_non_negative(v), 'a number >= 0 (m3)', v),
}


def _finite_non_negative(value):
    """Return True for a finite number >= 0."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0.0)


def _require(condition, allowed, value):
    """Return ``value`` if ``condition`` holds, else raise ValueError naming what is allowed."""
    if not condition:
        raise ValueError(f'{value!r} is not {allowed}')
    return value


class CustodyError(Refusal):
    """An event that would break the chain of custody; nothing was written."""


@dataclass(frozen=True)
class CustodyEvent:
    """
    One change of holder (or in-place action) of one tube.

    ``changes`` sets state fields of the tube: content, seal, designation, sample_name,
    core_length, volume.
    """

    sim_time: float
    tube_id: str
    from_holder: str
    to_holder: str
    action: str
    actor: str
    position: tuple = (0.0, 0.0, 0.0)
    changes: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self):
        """Freeze ``changes`` so a recorded event cannot be altered afterwards."""
        object.__setattr__(self, 'changes', MappingProxyType(dict(self.changes)))
        object.__setattr__(self, 'position', tuple(self.position))


@dataclass(frozen=True)
class RecordedEvent:
    """A custody event as stored, with its ledger sequence number."""

    sequence: int
    event: CustodyEvent


_TUBE_COLUMNS = ('tube_id, serial_number, kind, holder, designation, sample_name, content, seal, '
                 'core_length, volume, x, y, z, last_change, last_sequence')
_EVENT_COLUMNS = ('sequence, sim_time, tube_id, from_holder, to_holder, action, actor, x, y, z, '
                  'changes')


def _tube_from_row(row):
    """Build a TubeRecord from a row selected with _TUBE_COLUMNS."""
    return TubeRecord(*row[:10], tuple(row[10:13]), row[13], row[14])


def _event_from_row(row):
    """Build a RecordedEvent from a row selected with _EVENT_COLUMNS."""
    event = CustodyEvent(row[1], row[2], row[3], row[4], row[5], row[6], tuple(row[7:10]),
                         json.loads(row[10]))
    return RecordedEvent(row[0], event)


class TubeLedger:
    """The chain-of-custody database. Use as a context manager or call ``close``."""

    def __init__(self, path):
        """Open (or create) the database at ``path`` (``':memory:'`` for a throw-away one)."""
        self.path = str(path)
        # Autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE. The
        # connection may be used from any thread (a ROS executor's pool); callers serialise.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10.0,
                                   check_same_thread=False)
        self._db.execute('PRAGMA journal_mode=WAL')
        self._db.execute('PRAGMA foreign_keys=ON')
        self._db.execute('PRAGMA synchronous=NORMAL')  # WAL keeps it crash-safe
        with self._transaction():
            for statement in _SCHEMA.split(';'):
                if statement.strip():
                    self._db.execute(statement)
            self._init_tubes()

    def _init_tubes(self):
        """Fill the tubes table with the catalogue the first time, and stamp the schema."""
        version = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        row = version.fetchone()
        if row is not None:
            if int(row[0]) != SCHEMA_VERSION:
                raise CustodyError('INVALID_EVENT', f'{self.path}: schema version {row[0]}, '
                                   f'this code reads {SCHEMA_VERSION}')
            return
        self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self._db.executemany(
            'INSERT INTO tubes (tube_id, serial_number, kind, initial_holder, holder) '
            'VALUES (?, ?, ?, ?, ?)',
            [(t.tube_id, t.serial_number, int(t.kind), INITIAL_HOLDER, INITIAL_HOLDER)
             for t in tube_catalogue()])

    def close(self):
        """Close the database connection."""
        self._db.close()

    def __enter__(self):
        """Return the ledger for a ``with`` block."""
        return self

    def __exit__(self, *exc):
        """Close the ledger at the end of a ``with`` block."""
        self.close()

    class _Transaction:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK if the block raises."""

        def __init__(self, db):
            """Wrap the connection ``db``."""
            self.db = db

        def __enter__(self):
            """Start an immediate (write-locking) transaction."""
            self.db.execute('BEGIN IMMEDIATE')

        def __exit__(self, exc_type, exc, traceback):
            """Commit on success, roll back on any exception."""
            self.db.execute('COMMIT' if exc_type is None else 'ROLLBACK')
            return False

    def _transaction(self):
        """Return a context manager for one atomic write."""
        return self._Transaction(self._db)

    # -- writing ----------------------------------------------------------------------------

    def record(self, event, verify=False):
        """Append one event atomically and return its ``RecordedEvent``; raise CustodyError."""
        return self.record_many([event], verify)[0]

    def record_many(self, events, verify=False):
        """
        Append several events in one transaction: all are written, or none.

        With ``verify`` the whole database is checked with ``verify_invariant`` inside the
        transaction, and any problem refuses the batch (INVALID_EVENT) and rolls it back.
        """
        recorded = []
        with self._transaction():
            for event in events:
                recorded.append(self._apply(event))
            problems = self.verify_invariant() if verify else []
            if problems:
                raise CustodyError('INVALID_EVENT', 'the event would break the custody '
                                   'invariant: ' + '; '.join(problems[:3]))
        return recorded

    def _apply(self, event):
        """Check one event against the current state and write it (inside a transaction)."""
        row = self._db.execute('SELECT holder FROM tubes WHERE tube_id = ?',
                               (event.tube_id,)).fetchone()
        if row is None:
            raise CustodyError('UNKNOWN_TUBE', f'tube_id {event.tube_id!r} is not in the ledger')
        self._check_event(event, row[0])
        changes = self._checked_changes(event)
        sequence = self.last_sequence + 1
        x, y, z = event.position
        self._db.execute(
            f'INSERT INTO custody_events ({_EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
            (sequence, float(event.sim_time), event.tube_id, event.from_holder,
             event.to_holder, event.action, event.actor, float(x), float(y), float(z),
             json.dumps(changes, sort_keys=True)))
        assignments = ''.join(f', {name} = ?' for name in changes)
        self._db.execute(
            f'UPDATE tubes SET holder = ?, x = ?, y = ?, z = ?, last_change = ?, '
            f'last_sequence = ?{assignments} WHERE tube_id = ?',
            (event.to_holder, float(x), float(y), float(z), float(event.sim_time), sequence,
             *changes.values(), event.tube_id))
        return RecordedEvent(sequence, event)

    def _check_event(self, event, holder):
        """Raise CustodyError unless ``event`` may follow the tube's current ``holder``."""
        tube = event.tube_id
        if not isinstance(event.sim_time, (int, float)) or not math.isfinite(event.sim_time):
            raise CustodyError('INVALID_EVENT', f'{tube}: sim_time {event.sim_time!r} is not '
                               'a finite time (s)')
        if len(event.position) != 3 or not all(
                isinstance(c, (int, float)) and math.isfinite(c) for c in event.position):
            raise CustodyError('INVALID_EVENT', f'{tube}: position {event.position!r} is not '
                               'a finite (x, y, z)')
        if not event.action or not event.actor:
            raise CustodyError('INVALID_EVENT', f'{tube}: action and actor must not be empty')
        for name in ('from_holder', 'to_holder'):
            if not is_valid_holder(getattr(event, name)):
                raise CustodyError('INVALID_EVENT', f'{tube}: {name} '
                                   f'{getattr(event, name)!r} is not a known holder')
        if event.from_holder != holder:
            raise CustodyError('WRONG_HOLDER', f'{tube}: from_holder {event.from_holder!r} does '
                               f'not match the current holder {holder!r}; nothing recorded')
        if is_terminal_holder(holder) and event.to_holder != holder:
            raise CustodyError('INVALID_EVENT', f'{tube}: it has left Mars ({holder}); '
                               'it cannot move again')
        last_time = self._db.execute('SELECT MAX(sim_time) FROM custody_events').fetchone()[0]
        if last_time is not None and event.sim_time < last_time:
            raise CustodyError('TIME_REVERSED', f'{tube}: sim_time {event.sim_time} s is before '
                               f'the last event at {last_time} s')
        if event.to_holder != holder and holds_one_tube(event.to_holder):
            other = self._db.execute('SELECT tube_id FROM tubes WHERE holder = ? AND '
                                     'tube_id != ?', (event.to_holder, tube)).fetchone()
            if other is not None:
                raise CustodyError('HOLDER_OCCUPIED', f'{tube}: {event.to_holder} already '
                                   f'holds {other[0]}')

    @staticmethod
    def _checked_changes(event):
        """Return the event's state changes, validated, in a stable order."""
        changes = {}
        for name in sorted(event.changes):
            if name not in _CHANGE_CHECKS:
                raise CustodyError('INVALID_EVENT', f'{event.tube_id}: change {name!r} is not '
                                   f'one of {", ".join(_CHANGE_CHECKS)}')
            try:
                changes[name] = _CHANGE_CHECKS[name](event.changes[name])
            except ValueError as error:
                raise CustodyError('INVALID_EVENT', f'{event.tube_id}: change {name} = '
                                   f'{event.changes[name]!r} is invalid: {error}') from error
        return changes

    # -- reading ----------------------------------------------------------------------------

    @property
    def last_sequence(self):
        """Return the newest event's sequence number (0 when there is none)."""
        return self._db.execute('SELECT COALESCE(MAX(sequence), 0) FROM custody_events'
                                ).fetchone()[0]

    def tube(self, tube_id):
        """Return the TubeRecord of one tube; raise CustodyError UNKNOWN_TUBE."""
        row = self._db.execute(f'SELECT {_TUBE_COLUMNS} FROM tubes WHERE tube_id = ?',
                               (tube_id,)).fetchone()
        if row is None:
            raise CustodyError('UNKNOWN_TUBE', f'tube_id {tube_id!r} is not in the ledger')
        return _tube_from_row(row)

    def current_holder(self, tube_id):
        """Return the holder of one tube."""
        return self.tube(tube_id).holder

    def holders(self):
        """Return {tube_id: holder} for every tube."""
        return dict(self._db.execute('SELECT tube_id, holder FROM tubes ORDER BY tube_id'))

    def inventory(self):
        """Return every TubeRecord, ordered by tube id."""
        rows = self._db.execute(f'SELECT {_TUBE_COLUMNS} FROM tubes ORDER BY tube_id')
        return [_tube_from_row(row) for row in rows]

    def tubes_at(self, holder_prefix):
        """Return the ids of tubes whose holder starts with ``holder_prefix`` (e.g. 'depot/')."""
        rows = self._db.execute("SELECT tube_id FROM tubes WHERE holder LIKE ? ESCAPE '\\' "
                                'ORDER BY tube_id',
                                (holder_prefix.replace('_', '\\_') + '%',))
        return [row[0] for row in rows]

    def history(self, tube_id):
        """Return every RecordedEvent of one tube, oldest first."""
        self.tube(tube_id)
        rows = self._db.execute(f'SELECT {_EVENT_COLUMNS} FROM custody_events WHERE tube_id = ? '
                                'ORDER BY sequence', (tube_id,))
        return [_event_from_row(row) for row in rows]

    def events(self, after_sequence=0):
        """Return every RecordedEvent with a sequence above ``after_sequence``, oldest first."""
        rows = self._db.execute(f'SELECT {_EVENT_COLUMNS} FROM custody_events WHERE sequence > ? '
                                'ORDER BY sequence', (after_sequence,))
        return [_event_from_row(row) for row in rows]

    def verify_invariant(self):
        """
        Check the whole database and return a list of problems (empty when it is sound).

        Replays every event from each tube's initial holder and checks: the catalogue is
        complete, sequences are contiguous, times never go back, each event starts where the
        tube was, holders are valid, single-tube holders hold at most one tube, and the replayed
        holder equals the stored one.
        """
        problems = []
        catalogue = {t.tube_id: t.serial_number for t in tube_catalogue()}
        rows = self._db.execute('SELECT tube_id, serial_number, initial_holder, holder, '
                                'last_sequence FROM tubes').fetchall()
        stored = {row[0]: row for row in rows}
        for tube_id in sorted(set(catalogue) - set(stored)):
            problems.append(f'{tube_id} is missing from the tubes table')
        for tube_id in sorted(set(stored) - set(catalogue)):
            problems.append(f'{tube_id} is in the tubes table but not in the catalogue')
        replayed = {tube_id: row[2] for tube_id, row in stored.items()}
        last_seen = dict.fromkeys(stored, 0)
        expected_sequence, last_time = 1, -math.inf
        for recorded in self.events():
            event, sequence = recorded.event, recorded.sequence
            if sequence != expected_sequence:
                problems.append(f'sequence jumps from {expected_sequence - 1} to {sequence}')
            expected_sequence = sequence + 1
            if event.sim_time < last_time:
                problems.append(f'event {sequence}: time {event.sim_time} s goes back')
            last_time = max(last_time, event.sim_time)
            if event.tube_id not in replayed:
                problems.append(f'event {sequence}: unknown tube {event.tube_id}')
                continue
            if event.from_holder != replayed[event.tube_id]:
                problems.append(f'event {sequence}: {event.tube_id} moves from '
                                f'{event.from_holder} but was at {replayed[event.tube_id]}')
            if not is_valid_holder(event.to_holder):
                problems.append(f'event {sequence}: unknown holder {event.to_holder!r}')
            replayed[event.tube_id] = event.to_holder
            last_seen[event.tube_id] = sequence
        occupancy = {}
        for tube_id, row in sorted(stored.items()):
            if tube_id in catalogue and row[1] != catalogue[tube_id]:
                problems.append(f'{tube_id}: serial {row[1]} differs from the catalogue')
            if row[3] != replayed[tube_id]:
                problems.append(f'{tube_id}: stored holder {row[3]} but the events put it at '
                                f'{replayed[tube_id]}')
            if row[4] != last_seen[tube_id]:
                problems.append(f'{tube_id}: last_sequence {row[4]} but its last event is '
                                f'{last_seen[tube_id]}')
            occupancy.setdefault(row[3], []).append(tube_id)
        for holder, tubes in sorted(occupancy.items()):
            if holds_one_tube(holder) and len(tubes) > 1:
                problems.append(f'{holder} holds {len(tubes)} tubes: {", ".join(tubes)}')
        return problems
