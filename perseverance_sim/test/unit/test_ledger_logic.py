# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the tube ledger: custody invariant, atomicity, restart, verification."""

import sqlite3

from perseverance_nodes.domain.tubes import Content, SealState
from perseverance_nodes.ledger.logic import CustodyError, CustodyEvent, TubeLedger
import pytest

CACHE, ARM = 'rover/caching_assembly', 'rover/arm'


@pytest.fixture
def ledger(tmp_path):
    """Open a fresh ledger in a temporary directory."""
    with TubeLedger(tmp_path / 'ledger.db') as opened:
        yield opened


def _core(tube, time):
    """Return the events of coring a tube and caching it."""
    return [CustodyEvent(time, tube, CACHE, ARM, 'core', '/rover', (1.0, 2.0, 0.5)),
            CustodyEvent(time + 1, tube, ARM, CACHE, 'cache', '/rover', (1.0, 2.0, 0.5),
                         {'content': Content.ROCK_CORE, 'core_length': 0.06,
                          'designation': 'M2020-00579-17', 'sample_name': 'Mageik'})]


def _snapshot(path):
    """Return every row of both tables, to compare states."""
    with sqlite3.connect(path) as db:
        return (db.execute('SELECT * FROM tubes ORDER BY tube_id').fetchall(),
                db.execute('SELECT * FROM custody_events ORDER BY sequence').fetchall())


def test_new_ledger_holds_43_tubes_in_the_caching_assembly_in_wal_mode(ledger, tmp_path):
    """Check that a new ledger holds 43 tubes in the caching assembly, in WAL mode."""
    assert len(ledger.inventory()) == 43
    assert set(ledger.holders().values()) == {CACHE}
    assert ledger.last_sequence == 0 and ledger.verify_invariant() == []
    with sqlite3.connect(tmp_path / 'ledger.db') as db:
        assert db.execute('PRAGMA journal_mode').fetchone()[0] == 'wal'


def test_record_moves_a_tube_and_sets_its_state(ledger):
    """Check that record moves a tube and sets its state."""
    recorded = ledger.record_many(_core('tube_01', 10.0))
    assert [r.sequence for r in recorded] == [1, 2]
    tube = ledger.tube('tube_01')
    assert tube.holder == CACHE and tube.content == Content.ROCK_CORE
    assert tube.designation == 'M2020-00579-17' and tube.last_sequence == 2
    assert tube.position == (1.0, 2.0, 0.5) and tube.last_change == 11.0
    ledger.record(CustodyEvent(12.0, 'tube_01', CACHE, CACHE, 'seal', '/caching_assembly',
                               changes={'seal': SealState.SEALED}))
    assert ledger.tube('tube_01').seal == SealState.SEALED
    history = ledger.history('tube_01')
    assert [h.event.action for h in history] == ['core', 'cache', 'seal']
    assert history[1].event.changes['designation'] == 'M2020-00579-17'
    assert ledger.verify_invariant() == []


def test_bad_transfer_is_rejected_and_leaves_the_database_unchanged(ledger, tmp_path):
    """Check that bad transfer is rejected and leaves the database unchanged."""
    ledger.record_many(_core('tube_01', 10.0))
    before = _snapshot(tmp_path / 'ledger.db')
    with pytest.raises(CustodyError) as error:
        ledger.record(CustodyEvent(20.0, 'tube_01', ARM, 'ground', 'place', '/rover'))
    assert error.value.code == 'WRONG_HOLDER'
    assert "'rover/arm'" in str(error.value) and "'rover/caching_assembly'" in str(error.value)
    assert _snapshot(tmp_path / 'ledger.db') == before


def test_batch_is_atomic(ledger, tmp_path):
    """Check that batch is atomic."""
    before = _snapshot(tmp_path / 'ledger.db')
    good = CustodyEvent(1.0, 'tube_02', CACHE, ARM, 'core', '/rover')
    bad = CustodyEvent(2.0, 'tube_03', ARM, CACHE, 'cache', '/rover')
    with pytest.raises(CustodyError):
        ledger.record_many([good, bad])
    assert _snapshot(tmp_path / 'ledger.db') == before
    assert ledger.current_holder('tube_02') == CACHE


@pytest.mark.parametrize('event, code', [
    (CustodyEvent(1.0, 'tube_99', CACHE, ARM, 'core', '/rover'), 'UNKNOWN_TUBE'),
    (CustodyEvent(1.0, 'tube_01', CACHE, 'depot/slot_x', 'drop', '/rover'), 'INVALID_EVENT'),
    (CustodyEvent(float('nan'), 'tube_01', CACHE, ARM, 'core', '/rover'), 'INVALID_EVENT'),
    (CustodyEvent(1.0, 'tube_01', CACHE, ARM, '', '/rover'), 'INVALID_EVENT'),
    (CustodyEvent(1.0, 'tube_01', CACHE, ARM, 'core', '/rover', changes={'colour': 'red'}),
     'INVALID_EVENT'),
    (CustodyEvent(1.0, 'tube_01', CACHE, ARM, 'core', '/rover',
                  changes={'designation': 'M2020-1-1'}), 'INVALID_EVENT'),
    (CustodyEvent(1.0, 'tube_01', CACHE, ARM, 'core', '/rover', changes={'volume': -1.0}),
     'INVALID_EVENT'),
])
def test_invalid_events_are_refused(ledger, event, code):
    """Check that invalid events are refused."""
    with pytest.raises(CustodyError) as error:
        ledger.record(event)
    assert error.value.code == code
    assert ledger.last_sequence == 0


def test_single_tube_holders_and_time_order(ledger):
    """Check the single tube holders and time order."""
    ledger.record(CustodyEvent(5.0, 'tube_01', CACHE, 'depot/slot_01', 'drop', '/rover'))
    with pytest.raises(CustodyError) as error:
        ledger.record(CustodyEvent(6.0, 'tube_02', CACHE, 'depot/slot_01', 'drop', '/rover'))
    assert error.value.code == 'HOLDER_OCCUPIED' and 'tube_01' in error.value.message
    with pytest.raises(CustodyError) as error:
        ledger.record(CustodyEvent(4.0, 'tube_02', CACHE, 'depot/slot_02', 'drop', '/rover'))
    assert error.value.code == 'TIME_REVERSED'
    # Many tubes may lie on the ground or in the container.
    for tube in ('tube_02', 'tube_03'):
        ledger.record(CustodyEvent(7.0, tube, CACHE, 'ground', 'place', '/rover'))
    assert ledger.tubes_at('ground') == ['tube_02', 'tube_03']
    assert ledger.tubes_at('depot/') == ['tube_01']


def test_launched_tubes_never_move_again(ledger):
    """Check that launched tubes never move again."""
    path = [CACHE, 'ground', 'lander/transfer_arm', 'lander/container', 'mav/launched']
    for time, (here, there) in enumerate(zip(path, path[1:])):
        ledger.record(CustodyEvent(float(time), 'tube_01', here, there, 'move', '/test'))
    with pytest.raises(CustodyError, match='left Mars'):
        ledger.record(CustodyEvent(9.0, 'tube_01', 'mav/launched', 'ground', 'fall', '/test'))


def test_restart_continues_the_sequence(tmp_path):
    """Check that restart continues the sequence."""
    path = tmp_path / 'ledger.db'
    with TubeLedger(path) as first:
        first.record_many(_core('tube_01', 1.0))
    with TubeLedger(path) as second:
        assert second.last_sequence == 2
        assert second.current_holder('tube_01') == CACHE
        recorded = second.record(CustodyEvent(3.0, 'tube_01', CACHE, ARM, 'grasp', '/rover'))
        assert recorded.sequence == 3
        assert len(second.inventory()) == 43  # the catalogue is not inserted twice
        assert second.verify_invariant() == []


def test_verify_invariant_finds_tampering(ledger, tmp_path):
    """Check that verify invariant finds tampering."""
    ledger.record_many(_core('tube_01', 1.0))
    with sqlite3.connect(tmp_path / 'ledger.db') as db:
        db.execute("UPDATE tubes SET holder = 'ground' WHERE tube_id = 'tube_05'")
        db.execute("UPDATE tubes SET holder = 'rover/arm' WHERE tube_id IN ('tube_06', "
                   "'tube_07')")
        db.execute('DELETE FROM custody_events WHERE sequence = 1')
    problems = ledger.verify_invariant()
    text = '\n'.join(problems)
    assert 'tube_05: stored holder ground' in text
    assert 'rover/arm holds 2 tubes' in text
    assert 'sequence jumps' in text
    assert 'tube_01 moves from rover/arm but was at rover/caching_assembly' in text


def test_events_since_a_sequence(ledger):
    """Check reading events after a sequence number."""
    ledger.record_many(_core('tube_01', 1.0) + _core('tube_02', 3.0))
    assert [r.sequence for r in ledger.events(after_sequence=2)] == [3, 4]
    with pytest.raises(CustodyError):
        ledger.history('tube_77')
