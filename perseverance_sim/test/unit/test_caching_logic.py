# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the Adaptive Caching Assembly: stations, Mageik seal recovery, inventory."""

from perseverance_nodes.caching.logic import CacheInventory, CachingAssembly, SealDispensers
from perseverance_nodes.caching.logic import Station
from perseverance_nodes.domain.facts import load_mission_facts
from perseverance_nodes.domain.tubes import Content, FaultKind, SealState
from perseverance_nodes.domain.validation import Refusal
import pytest

FACTS = load_mission_facts()


def _assembly(seed=1, filled=('tube_01', 'tube_02')):
    """Return a caching assembly with two filled tubes."""
    assembly = CachingAssembly(FACTS, seed)
    for tube in filled:
        assembly.inventory.fill(tube, Content.ROCK_CORE, 9.0e-6, 0.068, 'M2020-00579-17',
                                'Mageik')
    return assembly


def test_nominal_tube_goes_through_every_station_and_is_sealed():
    """Check that nominal tube goes through every station and is sealed."""
    assembly = _assembly()
    plan = assembly.plan_cache('tube_01')
    assert [s.stage for s in plan.timeline] == [
        Station.VOLUME_PROBE, Station.IMAGING, Station.SEAL_DISPENSE, Station.SEAL_ACTIVATION,
        Station.STORAGE]
    caching = FACTS.caching
    assert plan.timeline.total_duration == pytest.approx(
        caching.volume_probe_duration + caching.imaging_duration + caching.seal_dispense_duration
        + caching.seal_activation_duration + caching.storage_duration)
    assert plan.sealed and not plan.seal_stuck and plan.volume == pytest.approx(9.0e-6)
    assert plan.insertion_force < caching.seal_force_limit
    # Planning changes nothing; committing does.
    assert assembly.inventory.get('tube_01').seal == SealState.UNSEALED
    assert assembly.dispensers.total == 49
    record = assembly.commit(plan)
    assert record.seal == SealState.SEALED and assembly.dispensers.total == 48
    with pytest.raises(Refusal, match='already sealed'):
        assembly.plan_cache('tube_01')


def test_mageik_seal_stuck_then_bore_sweep_recovery():
    """Check the Mageik fault: seal stuck, stored unsealed, Bore Sweep, sealed."""
    assembly = _assembly()
    first = assembly.cache('tube_01', faults=[FaultKind.SEAL_STUCK])
    # The seal did not leave its dispenser: detected, tube stored unsealed, seal not consumed.
    assert not first.sealed and first.seal_stuck
    assert first.insertion_force > FACTS.caching.seal_force_limit
    assert first.timeline.names()[-2:] == ['seal_dispense', 'storage']
    assert first.timeline.steps[2].details['seal_left_dispenser'] is False
    assert assembly.inventory.unsealed_queue == ('tube_01',)
    assert assembly.dispensers.total == 49
    assert assembly.inventory.get('tube_01').seal == SealState.UNSEALED

    retry = assembly.cache('tube_01')
    sweeps = [s for s in retry.timeline if s.stage == Station.BORE_SWEEP]
    forces = [s.details['insertion_force'] for s in sweeps]
    assert sweeps and forces == sorted(forces, reverse=True)
    assert forces[-1] <= FACTS.caching.seal_force_limit < ([first.insertion_force] + forces)[-2]
    assert retry.sealed and retry.dispenser == first.dispenser
    assert retry.bore_sweep_passes == len(sweeps)
    assert assembly.inventory.unsealed_queue == ()
    assert assembly.inventory.get('tube_01').seal == SealState.SEALED
    assert assembly.dispensers.total == 48


def test_seal_retry_gives_up_after_max_passes_and_stays_queued():
    """Check that seal retry gives up after max passes and stays queued."""
    assembly = _assembly()
    assembly.cache('tube_01', faults=[FaultKind.SEAL_STUCK])
    assembly.inventory.update('tube_01', insertion_force=1e6)  # hopelessly stuck
    retry = assembly.cache('tube_01')
    assert not retry.sealed
    assert retry.bore_sweep_passes == FACTS.caching.max_bore_sweep_passes
    assert assembly.inventory.unsealed_queue == ('tube_01',)


def test_seal_forces_are_deterministic_for_a_seed():
    """Check that seal forces are deterministic for a seed."""
    forces = [_assembly(seed).plan_cache('tube_01', [FaultKind.SEAL_STUCK]).insertion_force
              for seed in (5, 5, 6)]
    assert forces[0] == forces[1] != forces[2]


def test_roubion_empty_core_is_kept_as_atmospheric():
    """Check that the Roubion empty core is kept as atmospheric."""
    assembly = CachingAssembly(FACTS, 1)
    assembly.inventory.fill('tube_01', Content.ROCK_CORE, 0.0)
    plan = assembly.cache('tube_01')
    assert plan.sealed
    assert assembly.inventory.get('tube_01').content == Content.ATMOSPHERIC


def test_refusals_name_the_problem():
    """Check that refusals name the problem."""
    assembly = _assembly()
    cases = [('tube_99', 'UNKNOWN_TUBE'), ('tube_03', 'INVALID_GOAL')]
    for tube, code in cases:
        with pytest.raises(Refusal) as error:
            assembly.plan_cache(tube)
        assert error.value.code == code
    assembly.inventory.release('tube_02')
    with pytest.raises(Refusal) as error:
        assembly.plan_cache('tube_02')
    assert error.value.code == 'TUBE_NOT_IN_CACHE'


def test_dispensers_round_robin_and_run_out():
    """Check that dispensers round robin and run out."""
    dispensers = SealDispensers(2, 1)
    assert dispensers.choose() == 0
    dispensers.consume(0)
    assert dispensers.choose() == 1
    dispensers.consume(1)
    with pytest.raises(Refusal) as error:
        dispensers.choose()
    assert error.value.code == 'NO_SEALS_LEFT'


def test_inventory_bookkeeping():
    """Check the inventory bookkeeping."""
    inventory = CacheInventory()
    assert len(inventory.tubes()) == 43
    assert inventory.empty_sample_tubes()[:2] == ['tube_01', 'tube_02']
    assert len(inventory.empty_sample_tubes()) == 38
    inventory.fill('tube_01', Content.ROCK_CORE, 1e-5)
    with pytest.raises(Refusal, match='already filled'):
        inventory.fill('tube_01', Content.ROCK_CORE, 1e-5)
    with pytest.raises(Refusal, match='witness'):
        inventory.fill('tube_40', Content.ROCK_CORE, 1e-5)
    inventory.release('tube_01')
    with pytest.raises(Refusal, match='left the rover'):
        inventory.release('tube_01')
    assert inventory.counts() == {'on_board': 42, 'empty': 42, 'filled': 1, 'sealed': 0,
                                  'unsealed_filled': 1}


def test_witness_tubes_open_one_at_a_time():
    """Check that witness tubes open one at a time."""
    inventory = CacheInventory()
    first = inventory.open_witness()
    assert first.tube_id == 'tube_39' and first.content == Content.WITNESS
    with pytest.raises(Refusal, match='still open'):
        inventory.open_witness()
    assembly = CachingAssembly(FACTS, 1, inventory)
    with pytest.raises(Refusal, match='still open'):
        assembly.plan_cache('tube_40')  # would open a second witness
    assembly.cache('tube_39')
    assert not inventory.get('tube_39').witness_open
    assert inventory.get('tube_39').seal == SealState.SEALED
    assert inventory.open_witness().tube_id == 'tube_40'


def test_unused_witness_is_exposed_then_sealed_in_one_goal():
    """Check that unused witness is exposed then sealed in one goal."""
    assembly = CachingAssembly(FACTS, 1)
    plan = assembly.cache('tube_41')
    assert plan.timeline.names()[0] == 'witness_exposure' and plan.sealed
    assert assembly.inventory.get('tube_41').content == Content.WITNESS
