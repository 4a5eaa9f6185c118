# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The vocabulary every subsystem shares: tubes, sample designations, holders and fault kinds.

Integer enums carry the same values as the constants of perseverance_interfaces (TubeState.msg,
Fault.msg), so a node copies them into messages unchanged.
"""

from dataclasses import dataclass
import enum
import hashlib
import math
import re
import zlib

from .validation import Refusal

TUBE_COUNT = 43              # tubes on board (MISSION_FACTS "Tubes and samples")
SAMPLE_TUBE_COUNT = 38       # of which sample tubes
WITNESS_TUBE_COUNT = 5       # and contamination witness tubes, opened one at a time
SOL_SECONDS = 88775.244      # a sol is 24 h 39 min 35.244 s


class TubeKind(enum.IntEnum):
    """What a tube is for (TubeState KIND_*)."""

    SAMPLE = 0
    WITNESS = 1


class Content(enum.IntEnum):
    """What a tube holds (TubeState CONTENT_*)."""

    EMPTY = 0
    ROCK_CORE = 1
    REGOLITH = 2
    ATMOSPHERIC = 3
    WITNESS = 4


class SealState(enum.IntEnum):
    """Whether a tube is sealed (TubeState SEAL_*)."""

    UNSEALED = 0
    SEALED = 1
    FAILED = 2


class FaultKind(enum.IntEnum):
    """Fault kinds, each modelled on a real anomaly (Fault.msg KIND_*)."""

    SEAL_STUCK = 1           # Mageik, Oct 2022: the seal would not leave its dispenser
    EMPTY_CORE = 2           # Roubion, Aug 2021: the rock crumbled; the tube came back empty
    CAROUSEL_DEBRIS = 3      # Issole, Dec 2021: pebbles blocked the bit carousel
    TUBE_ON_END = 4          # a dropped tube came to rest standing on end
    TUBE_IN_WHEEL_PATH = 5   # a dropped tube rolled into the wheel path
    HELICOPTER_FAILURE = 6   # a helicopter fails in flight


def derive_seed(seed, *labels):
    """
    Return a 32-bit seed for one named random stream of a run seeded with ``seed``.

    Each stream gets its own seed so that an outcome (a core length, a seal force) does not change
    when an unrelated step is added or reordered. SHA-256 keeps it stable across processes.
    """
    text = '/'.join([str(int(seed))] + [str(label) for label in labels])
    return int.from_bytes(hashlib.sha256(text.encode('utf-8')).digest()[:4], 'big')


# ---------------------------------------------------------------------------------------------
# Tubes

@dataclass(frozen=True)
class TubeSpec:
    """One tube of the catalogue: id (also the Gazebo model name), kind and serial number."""

    tube_id: str
    index: int
    kind: TubeKind
    serial_number: str


_TUBE_ID = re.compile(r'^tube_(\d{2})$')


def tube_id(index):
    """Return the id of tube ``index`` (1..43), e.g. ``tube_07``."""
    if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= TUBE_COUNT:
        raise ValueError(f'tube index {index!r} outside 1..{TUBE_COUNT}')
    return f'tube_{index:02d}'


def tube_index(tube):
    """Return the index (1..43) of a tube id such as ``tube_07``; reject unknown ids."""
    match = _TUBE_ID.match(tube) if isinstance(tube, str) else None
    if not match or not 1 <= int(match.group(1)) <= TUBE_COUNT:
        raise ValueError(f'tube id {tube!r} is not one of tube_01..tube_{TUBE_COUNT}')
    return int(match.group(1))


def check_tube_id(tube):
    """Return ``tube`` if it names one of the 43 tubes; else Refusal UNKNOWN_TUBE (for goals)."""
    try:
        tube_index(tube)
    except ValueError as error:
        raise Refusal('UNKNOWN_TUBE', f'tube_id: {error}') from None
    return tube


def tube_kind(tube):
    """Return the kind of a tube: the last five tubes are the witness tubes."""
    return TubeKind.SAMPLE if tube_index(tube) <= SAMPLE_TUBE_COUNT else TubeKind.WITNESS


def serial_number(tube):
    """
    Return the tube's laser-etched-style serial number, stable across runs and machines.

    The check field is a CRC-32 of the id, so it never depends on Python's salted ``hash``.
    """
    index = tube_index(tube)
    kind = 'S' if tube_kind(tube) == TubeKind.SAMPLE else 'W'
    check = zlib.crc32(tube.encode('ascii')) & 0xFFFF
    return f'M2020-SHT-{kind}{index:02d}-{check:04X}'


def tube_catalogue():
    """Return the 43 tubes in id order: 38 sample tubes, then 5 witness tubes."""
    return tuple(
        TubeSpec(tube_id(i), i, tube_kind(tube_id(i)), serial_number(tube_id(i)))
        for i in range(1, TUBE_COUNT + 1))


# ---------------------------------------------------------------------------------------------
# Sample designations

_DESIGNATION = re.compile(r'^M2020-(\d{5})-(\d{2})$')


def format_designation(sol, sample_number):
    """Return a sample designation such as ``M2020-00579-17`` (sol 579, sample 17)."""
    if isinstance(sol, bool) or not isinstance(sol, int) or not 0 <= sol <= 99999:
        raise ValueError(f'sol {sol!r} outside 0..99999')
    if (isinstance(sample_number, bool) or not isinstance(sample_number, int)
            or not 1 <= sample_number <= 99):
        raise ValueError(f'sample number {sample_number!r} outside 1..99')
    return f'M2020-{sol:05d}-{sample_number:02d}'


def parse_designation(designation):
    """Return (sol, sample number) of a designation; reject malformed text."""
    match = _DESIGNATION.match(designation) if isinstance(designation, str) else None
    if not match or int(match.group(2)) == 0:
        raise ValueError(f'designation {designation!r} is not of the form M2020-<sol 5 digits>-'
                         '<sample 2 digits, 01..99>')
    return int(match.group(1)), int(match.group(2))


def sol_at(sim_time, start_sol):
    """Return the mission sol reached ``sim_time`` seconds after the start of ``start_sol``."""
    if not math.isfinite(sim_time) or sim_time < 0.0:
        raise ValueError(f'sim_time {sim_time!r} must be a finite time >= 0 s')
    return start_sol + int(sim_time // SOL_SECONDS)


@dataclass(frozen=True)
class DepotSample:
    """One of the ten real Three Forks depot tubes (MISSION_FACTS "Three Forks depot")."""

    key: str
    name: str
    designation: str
    sol_dropped: int
    content: Content

    @property
    def sol_cored(self):
        """Return the sol encoded in the designation (when the sample was taken)."""
        return parse_designation(self.designation)[0]

    @property
    def sample_number(self):
        """Return the sample number encoded in the designation."""
        return parse_designation(self.designation)[1]


DEPOT_SAMPLES = (
    DepotSample('malay', 'Malay', 'M2020-00337-08', 653, Content.ROCK_CORE),
    DepotSample('mageik', 'Mageik', 'M2020-00579-17', 655, Content.ROCK_CORE),
    DepotSample('crosswind_lake', 'Crosswind Lake', 'M2020-00639-21', 661, Content.REGOLITH),
    DepotSample('roubion', 'Roubion', 'M2020-00164-02', 666, Content.ATMOSPHERIC),
    DepotSample('coulettes', 'Coulettes', 'M2020-00271-06', 668, Content.ROCK_CORE),
    DepotSample('montdenier', 'Montdenier', 'M2020-00190-03', 672, Content.ROCK_CORE),
    DepotSample('bearwallow', 'Bearwallow', 'M2020-00516-15', 675, Content.ROCK_CORE),
    DepotSample('skyland', 'Skyland', 'M2020-00495-12', 680, Content.ROCK_CORE),
    DepotSample('atsah', 'Atsah', 'M2020-00374-10', 682, Content.ROCK_CORE),
    DepotSample('amalik_witness', 'Amalik witness', 'M2020-00586-18', 690, Content.WITNESS),
)
DEPOT_SAMPLES_BY_KEY = {sample.key: sample for sample in DEPOT_SAMPLES}

# Sampling sites a scenario may name: every depot sample except the witness tube, which is not cut
# from a rock. Roubion is listed because the EMPTY_CORE fault replays it.
ROCK_NAMES = tuple(s.key for s in DEPOT_SAMPLES if s.content != Content.WITNESS)


def rock_display_name(rock):
    """Return the display name of a rock key, e.g. ``Crosswind Lake`` for ``crosswind_lake``."""
    if rock not in ROCK_NAMES:
        raise ValueError(f'rock {rock!r} is not one of {", ".join(ROCK_NAMES)}')
    return DEPOT_SAMPLES_BY_KEY[rock].name


# ---------------------------------------------------------------------------------------------
# Holders: where a tube can be. Exactly one holder per tube at every instant (the ledger's job).

ROVER_CACHING_ASSEMBLY = 'rover/caching_assembly'
ROVER_ARM = 'rover/arm'
GROUND = 'ground'
LANDER_TRANSFER_ARM = 'lander/transfer_arm'
LANDER_CONTAINER = 'lander/container'
MAV_LAUNCHED = 'mav/launched'
FIXED_HOLDERS = (ROVER_CACHING_ASSEMBLY, ROVER_ARM, GROUND, LANDER_TRANSFER_ARM, LANDER_CONTAINER,
                 MAV_LAUNCHED)
INITIAL_HOLDER = ROVER_CACHING_ASSEMBLY

_DEPOT_SLOT = re.compile(r'^depot/slot_(\d{2})$')
_GRIPPER = re.compile(r'^helicopter_([1-9]\d?)/gripper$')
HOLDER_FORMS = FIXED_HOLDERS + ('depot/slot_NN (01..99)', 'helicopter_N/gripper (1..99)')

# Holders that can hold one tube at a time (a container or the ground can hold many).
_SINGLE_TUBE_HOLDERS = (ROVER_ARM, LANDER_TRANSFER_ARM)


def depot_slot(number):
    """Return the holder name of depot slot ``number`` (1-based), e.g. ``depot/slot_03``."""
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 99:
        raise ValueError(f'depot slot number {number!r} outside 1..99')
    return f'depot/slot_{number:02d}'


def helicopter_gripper(number):
    """Return the holder name of helicopter ``number``'s gripper, e.g. ``helicopter_1/gripper``."""
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 99:
        raise ValueError(f'helicopter number {number!r} outside 1..99')
    return f'helicopter_{number}/gripper'


def is_valid_holder(holder):
    """Return True if ``holder`` is in the holder vocabulary."""
    if not isinstance(holder, str):
        return False
    slot = _DEPOT_SLOT.match(holder)
    return (holder in FIXED_HOLDERS or bool(_GRIPPER.match(holder))
            or (slot is not None and int(slot.group(1)) >= 1))


def validate_holder(holder):
    """Return ``holder`` if it is in the vocabulary; otherwise raise ValueError listing it."""
    if not is_valid_holder(holder):
        raise ValueError(f'holder {holder!r} is not one of: {", ".join(HOLDER_FORMS)}')
    return holder


def holds_one_tube(holder):
    """Return True for holders with room for a single tube (arms, grippers, depot slots)."""
    return (holder in _SINGLE_TUBE_HOLDERS or bool(_GRIPPER.match(holder))
            or bool(_DEPOT_SLOT.match(holder)))


def is_terminal_holder(holder):
    """Return True for holders a tube never leaves (it has left Mars' surface)."""
    return holder == MAV_LAUNCHED


@dataclass(frozen=True)
class TubeRecord:
    """The ledger's view of one tube (the fields of TubeState.msg)."""

    tube_id: str
    serial_number: str
    kind: int
    holder: str
    designation: str
    sample_name: str
    content: int
    seal: int
    core_length: float
    volume: float
    position: tuple
    last_change: float
    last_sequence: int


def empty_sample_tubes(states, holder=ROVER_CACHING_ASSEMBLY):
    """Return the ids of the empty sample tubes at ``holder``, lowest first (TubeState-likes)."""
    return sorted(s.tube_id for s in states if s.kind == TubeKind.SAMPLE
                  and s.content == Content.EMPTY and s.holder == holder)


def next_sample_number(states):
    """Return the sample number of the next core: one more than the designations so far."""
    return min(sum(1 for s in states if s.designation) + 1, 98)
