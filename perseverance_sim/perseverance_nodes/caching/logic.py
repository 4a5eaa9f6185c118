# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The Adaptive Caching Assembly: stations, seal dispensers, Bore Sweep recovery, tube inventory.

A CacheSample goal is planned with ``CachingAssembly.plan_cache`` (no state changes), played by
the node against sim time, then applied with ``commit``; a cancelled goal is simply not committed.

Seal model (Mageik, Oct 2022): the open end of the tube presses onto a seal that must come free of
its dispenser. Each tube has an insertion force; above ``caching.seal_force_limit`` the seal stays
in the dispenser. The assembly detects the missing seal and stores the tube unsealed, in a retry
queue. A retry runs Bore Sweep Tool passes, each keeping ``caching.bore_sweep_force_factor`` of
the force, until it falls below the limit; then the tube is sealed with the same dispenser, whose
seal never left. Every stage's duration comes from mission_facts.yaml (documented guesses).
"""

from dataclasses import dataclass, field, replace
import enum
import random

from ..domain.timeline import Step, Timeline
from ..domain.tubes import (Content, derive_seed, FaultKind, SealState, tube_catalogue,
                            TubeKind)
from ..domain.validation import Refusal


class Station(enum.IntEnum):
    """CacheSample feedback stages (CacheSample.action STATION_*)."""

    VOLUME_PROBE = 0
    IMAGING = 1
    SEAL_DISPENSE = 2
    SEAL_ACTIVATION = 3
    STORAGE = 4
    BORE_SWEEP = 5


@dataclass(frozen=True)
class CachedTube:
    """What the caching assembly knows about one tube."""

    tube_id: str
    kind: TubeKind
    on_board: bool = True
    filled: bool = False            # a sample (or an empty core) went in
    content: Content = Content.EMPTY
    volume: float = 0.0             # m3 as recorded at coring
    core_length: float = 0.0        # m
    designation: str = ''
    sample_name: str = ''
    processed: bool = False         # went through the stations at least once
    seal: SealState = SealState.UNSEALED
    dispenser: int = -1             # seal dispenser assigned, -1 = none yet
    insertion_force: float = -1.0   # N, -1 = not measured yet
    bore_sweep_passes: int = 0
    witness_open: bool = False


class CacheInventory:
    """
    Bookkeeping of the 43 tubes: empty, filled, sealed, on board or gone.

    Witness tubes are opened one at a time: opening a second while one is open is refused.
    """

    def __init__(self):
        """Start with every tube empty, unsealed and on board."""
        self._tubes = {spec.tube_id: CachedTube(spec.tube_id, spec.kind)
                       for spec in tube_catalogue()}
        self._unsealed_queue = []

    def get(self, tube_id):
        """Return the ``CachedTube`` record; raise Refusal UNKNOWN_TUBE for an unknown id."""
        if tube_id not in self._tubes:
            raise Refusal('UNKNOWN_TUBE', f'tube_id {tube_id!r} is not one of tube_01..tube_43')
        return self._tubes[tube_id]

    def tubes(self):
        """Return every record in id order."""
        return [self._tubes[key] for key in sorted(self._tubes)]

    def update(self, tube_id, **changes):
        """Replace fields of a tube's record and return the new record."""
        self._tubes[tube_id] = replace(self.get(tube_id), **changes)
        return self._tubes[tube_id]

    def empty_sample_tubes(self):
        """Return the ids of empty sample tubes on board, lowest first (the next to use)."""
        return [t.tube_id for t in self.tubes()
                if t.kind == TubeKind.SAMPLE and t.on_board and not t.filled]

    def fill(self, tube_id, content, volume, core_length=0.0, designation='', sample_name=''):
        """Record what went into a tube at coring (from CollectSample's result)."""
        record = self.get(tube_id)
        if record.filled:
            raise Refusal('INVALID_GOAL', f'{tube_id} is already filled')
        if record.kind != TubeKind.SAMPLE:
            raise Refusal('INVALID_GOAL', f'{tube_id} is a witness tube, not a sample tube')
        return self.update(tube_id, filled=True, content=Content(content), volume=volume,
                           core_length=core_length, designation=designation,
                           sample_name=sample_name)

    def release(self, tube_id):
        """Record that a tube left the rover (depot drop or hand-over to the lander)."""
        record = self.get(tube_id)
        if not record.on_board:
            raise Refusal('TUBE_NOT_IN_CACHE', f'{tube_id} already left the rover')
        if tube_id in self._unsealed_queue:
            self._unsealed_queue.remove(tube_id)
        return self.update(tube_id, on_board=False)

    def open_witness(self, tube_id=None):
        """Open a witness tube (the lowest unused one by default); only one may be open."""
        opened = [t.tube_id for t in self.tubes() if t.witness_open]
        if opened:
            raise Refusal('INVALID_GOAL', f'witness {opened[0]} is still open; close it first')
        if tube_id is None:
            unused = [t.tube_id for t in self.tubes()
                      if t.kind == TubeKind.WITNESS and t.on_board and not t.filled]
            if not unused:
                raise Refusal('NO_EMPTY_TUBES', 'every witness tube has been used')
            tube_id = unused[0]
        record = self.get(tube_id)
        if record.kind != TubeKind.WITNESS or record.filled or not record.on_board:
            raise Refusal('INVALID_GOAL', f'{tube_id} is not an unused witness tube on board')
        return self.update(tube_id, witness_open=True, filled=True, content=Content.WITNESS)

    def queue_unsealed(self, tube_id):
        """Put a stored, unsealed tube at the back of the retry queue (once)."""
        if tube_id not in self._unsealed_queue:
            self._unsealed_queue.append(tube_id)

    def dequeue_sealed(self, tube_id):
        """Remove a tube from the retry queue once it is sealed."""
        if tube_id in self._unsealed_queue:
            self._unsealed_queue.remove(tube_id)

    @property
    def unsealed_queue(self):
        """Return the ids of stored tubes waiting for a seal retry, oldest first."""
        return tuple(self._unsealed_queue)

    def counts(self):
        """Return counts for status displays: on board, empty, filled, sealed, unsealed."""
        on_board = [t for t in self._tubes.values() if t.on_board]
        return {
            'on_board': len(on_board),
            'empty': sum(1 for t in on_board if not t.filled),
            'filled': sum(1 for t in self._tubes.values() if t.filled),
            'sealed': sum(1 for t in self._tubes.values() if t.seal == SealState.SEALED),
            'unsealed_filled': sum(1 for t in self._tubes.values()
                                   if t.filled and t.seal != SealState.SEALED),
        }


class SealDispensers:
    """Seven dispensers with a count of seals each; used round-robin so wear spreads evenly."""

    def __init__(self, count, seals_each):
        """Fill ``count`` dispensers with ``seals_each`` seals."""
        self.remaining = [seals_each] * count
        self._next = 0

    def choose(self):
        """Return the next dispenser index with a seal, or raise Refusal NO_SEALS_LEFT."""
        for offset in range(len(self.remaining)):
            index = (self._next + offset) % len(self.remaining)
            if self.remaining[index] > 0:
                return index
        raise Refusal('NO_SEALS_LEFT', f'all {len(self.remaining)} seal dispensers are empty')

    def consume(self, index):
        """Take one seal from dispenser ``index`` (the seal left the dispenser)."""
        if self.remaining[index] <= 0:
            raise Refusal('NO_SEALS_LEFT', f'seal dispenser {index} is empty')
        self.remaining[index] -= 1
        self._next = (index + 1) % len(self.remaining)

    @property
    def total(self):
        """Return the seals left in all dispensers."""
        return sum(self.remaining)


@dataclass(frozen=True)
class CachePlan:
    """One CacheSample goal: its timeline and the state it leaves when committed."""

    tube_id: str
    timeline: Timeline
    sealed: bool
    dispenser: int
    volume: float              # m3 measured by the volume probe
    insertion_force: float     # N at the last seal attempt
    bore_sweep_passes: int     # total passes on this tube so far
    seal_stuck: bool           # True when the seal did not leave the dispenser (stored unsealed)
    changes: dict = field(default_factory=dict)


class CachingAssembly:
    """The caching station state machine over a ``CacheInventory`` and ``SealDispensers``."""

    def __init__(self, facts, seed, inventory=None):
        """Use ``MissionFacts.caching`` numbers; ``seed`` makes seal forces reproducible."""
        self.facts = facts.caching
        self.seed = seed
        self.inventory = inventory if inventory is not None else CacheInventory()
        self.dispensers = SealDispensers(self.facts.seal_dispensers,
                                         self.facts.seals_per_dispenser)

    def _initial_force(self, tube_id, stuck):
        """Draw a tube's seal insertion force (N); a dusty rim (SEAL_STUCK) needs far more."""
        rng = random.Random(derive_seed(self.seed, 'seal_force', tube_id))
        if stuck:
            return rng.uniform(self.facts.stuck_seal_force_min, self.facts.stuck_seal_force_max)
        return min(self.facts.nominal_seal_force * rng.uniform(0.8, 1.2),
                   0.95 * self.facts.seal_force_limit)

    def _seal_steps(self, dispenser, force, sealed):
        """Return the seal dispense (and, if it worked, activation) steps."""
        steps = [Step(Station.SEAL_DISPENSE, 'seal_dispense', self.facts.seal_dispense_duration,
                      {'dispenser': dispenser, 'insertion_force': force,
                       'seal_left_dispenser': sealed})]
        if sealed:
            steps.append(Step(Station.SEAL_ACTIVATION, 'seal_activation',
                              self.facts.seal_activation_duration,
                              {'dispenser': dispenser, 'insertion_force': force}))
        return steps

    def plan_cache(self, tube_id, faults=()):
        """
        Plan one CacheSample goal for ``tube_id`` without changing any state.

        A filled tube not yet processed goes through every station; SEAL_STUCK in ``faults``
        gives it a stuck seal. A stored unsealed tube is retried with Bore Sweep passes. An unused
        witness tube is opened (exposed) first, then goes through the same stations to close;
        ``CacheInventory.open_witness`` opens one ahead of time instead.
        """
        record = self.inventory.get(tube_id)
        if not record.on_board:
            raise Refusal('TUBE_NOT_IN_CACHE', f'{tube_id} is no longer on the rover')
        if record.seal == SealState.SEALED:
            raise Refusal('INVALID_GOAL', f'{tube_id} is already sealed')
        opens_witness = record.kind == TubeKind.WITNESS and not record.filled
        if not record.filled and not opens_witness:
            raise Refusal('INVALID_GOAL', f'{tube_id} holds no sample yet (record it with fill)')
        if opens_witness:
            opened = [t.tube_id for t in self.inventory.tubes() if t.witness_open]
            if opened:
                raise Refusal('INVALID_GOAL', f'witness {opened[0]} is still open; one at a time')
        stuck = FaultKind.SEAL_STUCK in {FaultKind(kind) for kind in faults}
        caching = self.facts
        dispenser = record.dispenser if record.dispenser >= 0 else self.dispensers.choose()
        force = (record.insertion_force if record.insertion_force >= 0.0
                 else self._initial_force(tube_id, stuck))
        passes = record.bore_sweep_passes
        steps = []
        if opens_witness:  # exposed to the rover's environment, then sealed like a sample
            steps.append(Step(Station.STORAGE, 'witness_exposure', caching.storage_duration,
                              {'witness': True}))
        if not record.processed:
            steps.append(Step(Station.VOLUME_PROBE, 'volume_probe', caching.volume_probe_duration,
                              {'volume': record.volume}))
            steps.append(Step(Station.IMAGING, 'imaging', caching.imaging_duration, {}))
        else:
            for _ in range(caching.max_bore_sweep_passes):
                if force <= caching.seal_force_limit:
                    break
                force *= caching.bore_sweep_force_factor
                passes += 1
                steps.append(Step(Station.BORE_SWEEP, f'bore_sweep_{passes}',
                                  caching.bore_sweep_duration,
                                  {'pass': passes, 'insertion_force': force}))
        sealed = force <= caching.seal_force_limit
        steps += self._seal_steps(dispenser, force, sealed)
        steps.append(Step(Station.STORAGE, 'storage', caching.storage_duration,
                          {'sealed': sealed}))
        content = record.content
        if record.kind == TubeKind.SAMPLE and record.volume <= 0.0:
            content = Content.ATMOSPHERIC  # Roubion: the probe finds no core; kept as atmosphere
        if opens_witness:
            content = Content.WITNESS
        changes = {'processed': True, 'filled': True, 'dispenser': dispenser,
                   'insertion_force': force,
                   'bore_sweep_passes': passes, 'content': content, 'witness_open': False,
                   'seal': SealState.SEALED if sealed else SealState.UNSEALED}
        return CachePlan(tube_id, Timeline(steps), sealed, dispenser, record.volume, force,
                         passes, not sealed, changes)

    def commit(self, plan):
        """Apply a played plan: consume the seal if it left the dispenser, update the queue."""
        if plan.sealed:
            self.dispensers.consume(plan.dispenser)
        self.inventory.update(plan.tube_id, **plan.changes)
        if plan.sealed:
            self.inventory.dequeue_sealed(plan.tube_id)
        else:
            self.inventory.queue_unsealed(plan.tube_id)
        return self.inventory.get(plan.tube_id)

    def cache(self, tube_id, faults=()):
        """Plan and commit at once (for callers without a clock, e.g. campaign dry runs)."""
        plan = self.plan_cache(tube_id, faults)
        self.commit(plan)
        return plan
