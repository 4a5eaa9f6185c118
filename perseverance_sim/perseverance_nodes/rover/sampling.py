# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
CollectSample and DepositTube logic: coring two tubes from one rock, and depot drop checks.

Approaching the rock is NavigateTo's job (see ``domain.geometry.approach_pose``): the CollectSample
action starts with the rover parked in front of the rock, as the interface's stages say.
"""

from dataclasses import dataclass
import enum
import math
import random

from .arm import arm_pose
from ..domain.geometry import rotate_z_axis
from ..domain.timeline import Step, Timeline
from ..domain.tubes import (Content, DEPOT_SAMPLES_BY_KEY, derive_seed, FaultKind,
                            format_designation, ROCK_NAMES, ROVER_ARM, ROVER_CACHING_ASSEMBLY)
from ..domain.validation import check_int, Refusal


class CollectStage(enum.IntEnum):
    """CollectSample feedback stages (CollectSample.action STAGE_*)."""

    ARM_DEPLOY = 0
    ABRADING = 1
    CORING = 2
    CAROUSEL_RECOVERY = 3
    HANDOFF_TO_CACHE = 4
    ARM_STOW = 5


@dataclass(frozen=True)
class CoreOutcome:
    """What one tube holds after coring."""

    tube_id: str
    designation: str
    sample_name: str
    content: Content
    core_length: float  # m; 0 for an empty core (atmospheric, like Roubion)
    volume: float       # m3


@dataclass(frozen=True)
class CollectionPlan:
    """
    The steps of one CollectSample goal and its outcome.

    ``cores`` lists the tubes filled when every step succeeds. When ``error`` is set (the carousel
    stayed blocked), the plan's steps end with the failed recovery and the tube of that core is
    left in the arm.
    """

    rock: str
    timeline: Timeline
    cores: tuple
    error: Refusal = None
    faults_seen: tuple = ()

    @property
    def success(self):
        """Return True if the plan ends with every tube handed to the caching assembly."""
        return self.error is None


def _transfer(tube, from_holder, to_holder, action):
    """Return step details describing one custody change for the ledger."""
    return {'tube_id': tube, 'transfer': (from_holder, to_holder, action)}


def _core_outcome(rock, tube, designation, empty, rng, tube_facts):
    """Draw the content of one core (deterministic for the rng's seed)."""
    name = DEPOT_SAMPLES_BY_KEY[rock].name
    area = math.pi * (tube_facts.core_diameter / 2.0) ** 2
    if empty:
        # Roubion: the rock crumbled; the tube was sealed anyway and kept as an atmospheric sample.
        return CoreOutcome(tube, designation, name, Content.ATMOSPHERIC, 0.0, 0.0)
    if DEPOT_SAMPLES_BY_KEY[rock].content == Content.REGOLITH:
        volume = tube_facts.regolith_volume
        return CoreOutcome(tube, designation, name, Content.REGOLITH, volume / area, volume)
    length = rng.uniform(tube_facts.core_length_min, tube_facts.core_length_max)
    return CoreOutcome(tube, designation, name, Content.ROCK_CORE, length, length * area)


def _clear_carousel(steps, index, tube, rng, rover):
    """
    Append the blocked hand-off and the carousel rotations that shake the debris out.

    Return None when they clear it, else the CAROUSEL_BLOCKED Refusal (the tube stays in the arm).
    """
    steps.append(Step(CollectStage.HANDOFF_TO_CACHE, 'handoff_blocked', rover.handoff_duration,
                      {'core_index': index, 'pose': arm_pose('bit_carousel')}))
    needed = rng.randint(1, 3)  # pebbles took a few rotations to shake out
    for rotation in range(1, min(needed, rover.max_carousel_rotations) + 1):
        steps.append(Step(CollectStage.CAROUSEL_RECOVERY, f'carousel_rotation_{rotation}',
                          rover.carousel_rotation_duration,
                          {'core_index': index, 'rotation': rotation}))
    if needed > rover.max_carousel_rotations:
        return Refusal('CAROUSEL_BLOCKED', f'debris still in the bit carousel after '
                       f'{rover.max_carousel_rotations} rotations; {tube} stays in the arm')
    return None


def plan_collection(rock, tube_ids, first_sample_number, sol, facts, seed, faults=(), cores=2):
    """
    Plan coring ``cores`` tubes from ``rock`` and return a ``CollectionPlan``.

    ``tube_ids`` are empty sample tubes in coring order, ``first_sample_number`` and ``sol`` make
    the designations, ``facts`` is ``MissionFacts`` and ``faults`` the ``FaultKind`` values armed
    for this rock: EMPTY_CORE empties the first core; CAROUSEL_DEBRIS blocks the first hand-off
    until enough carousel rotations (drawn from the seed) clear it.
    Raises ``Refusal`` (UNKNOWN_ROCK, NO_EMPTY_TUBES, INVALID_GOAL) for goals it cannot start.
    """
    if rock not in ROCK_NAMES:
        raise Refusal('UNKNOWN_ROCK', f'rock {rock!r} is not one of {", ".join(ROCK_NAMES)}')
    try:
        check_int('cores', cores, 1, 2)
        check_int('first_sample_number', first_sample_number, 1, 99 - cores + 1)
    except ValueError as error:
        raise Refusal('INVALID_GOAL', str(error)) from error
    if len(tube_ids) < cores:
        raise Refusal('NO_EMPTY_TUBES', f'{cores} empty tubes needed, {len(tube_ids)} given')
    faults = frozenset(FaultKind(kind) for kind in faults)
    rover = facts.rover
    rng = random.Random(derive_seed(seed, 'collect', rock))
    regolith = DEPOT_SAMPLES_BY_KEY[rock].content == Content.REGOLITH

    steps = [Step(CollectStage.ARM_DEPLOY, 'arm_to_ready', rover.arm_move_duration,
                  {'pose': arm_pose('ready')})]
    if not regolith:  # abrading is for rock surfaces; regolith is scooped
        steps.append(Step(CollectStage.ARM_DEPLOY, 'arm_to_rock', rover.arm_move_duration,
                          {'pose': arm_pose('core_at_rock')}))
        steps.append(Step(CollectStage.ABRADING, 'abrade', rover.abrasion_duration,
                          {'pose': arm_pose('core_at_rock')}))
    outcomes, error, seen = [], None, []
    for index, tube in enumerate(tube_ids[:cores]):
        designation = format_designation(sol, first_sample_number + index)
        empty = index == 0 and FaultKind.EMPTY_CORE in faults
        if empty:
            seen.append(FaultKind.EMPTY_CORE)
        outcomes.append(_core_outcome(rock, tube, designation, empty, rng, facts.tubes))
        steps.append(Step(CollectStage.CORING, f'core_{index + 1}', rover.coring_duration,
                          {'core_index': index, 'pose': arm_pose('core_at_rock'),
                           **_transfer(tube, ROVER_CACHING_ASSEMBLY, ROVER_ARM, 'core')}))
        handoff = {'core_index': index, 'pose': arm_pose('bit_carousel'),
                   **_transfer(tube, ROVER_ARM, ROVER_CACHING_ASSEMBLY, 'cache')}
        if index == 0 and FaultKind.CAROUSEL_DEBRIS in faults:
            seen.append(FaultKind.CAROUSEL_DEBRIS)
            error = _clear_carousel(steps, index, tube, rng, rover)
            if error is not None:
                break
        steps.append(Step(CollectStage.HANDOFF_TO_CACHE, f'handoff_{index + 1}',
                          rover.handoff_duration, handoff))
        if index + 1 < cores:
            steps.append(Step(CollectStage.ARM_DEPLOY, f'arm_to_rock_{index + 2}',
                              rover.arm_move_duration, {'pose': arm_pose('core_at_rock')}))
    if error is None:
        steps.append(Step(CollectStage.ARM_STOW, 'arm_stow', rover.arm_move_duration,
                          {'pose': arm_pose('stow')}))
        done = tuple(outcomes)
    else:
        done = tuple(outcomes[:-1])
    return CollectionPlan(rock, Timeline(steps), done, error, tuple(seen))


# ---------------------------------------------------------------------------------------------
# Depot drop


class DepositStage(enum.IntEnum):
    """DepositTube feedback stages (DepositTube.action STAGE_*)."""

    ALIGN = 0
    RELEASE = 1
    FALLING = 2
    INSPECT = 3
    RECOVER = 4


RECOVERY_KNOCK_OVER = 'knock_over'  # push the top of a standing tube with the turret
RECOVERY_NUDGE = 'nudge'            # push a tube out of the wheel track


@dataclass(frozen=True)
class DropCheck:
    """The camera check after a drop: how the tube lies and what recovery it needs."""

    on_end: bool
    in_wheel_path: bool
    tilt: float            # rad between the tube axis and the vertical
    recoveries: tuple      # RECOVERY_* in the order to perform them
    nudge_target: tuple    # (x, y) in frame "world" to push the tube to, or None

    @property
    def clear(self):
        """Return True when the tube lies flat and out of the wheel path."""
        return not self.recoveries


def fall_time(drop_height, gravity):
    """Return the time (s) a tube takes to fall ``drop_height`` metres from rest."""
    return math.sqrt(2.0 * drop_height / gravity)


def plan_deposit(tube_id, slot, facts):
    """Return the Timeline of one drop: align, release, fall, inspect (recovery is added later)."""
    rover = facts.rover
    details = {'tube_id': tube_id, 'slot': slot}
    return Timeline([
        Step(DepositStage.ALIGN, 'align', rover.arm_move_duration, details),
        Step(DepositStage.RELEASE, 'release', 1.0,
             {**details, 'transfer': (ROVER_CACHING_ASSEMBLY, slot, 'drop')}),
        Step(DepositStage.FALLING, 'falling',
             fall_time(rover.drop_height, facts.mars.gravity), details),
        Step(DepositStage.INSPECT, 'inspect', rover.drop_inspect_duration, details),
    ])


def classify_drop(tube_position, tube_quaternion, rover_pose, facts):
    """
    Classify a dropped tube from its resting pose (position in m, (x, y, z, w) quaternion).

    ON_END: the tube's long (z) axis is within ``depot.on_end_tilt_max`` of the vertical.
    IN_WHEEL_PATH: the tube lies ahead of the rover, within ``depot.wheel_path_lookahead``, inside
    the band swept by the left or right wheels. A standing tube is knocked over first; where it
    ends up is then checked again by the caller.
    """
    axis = rotate_z_axis(tube_quaternion)
    tilt = math.acos(min(1.0, abs(axis[2])))
    on_end = tilt <= facts.depot.on_end_tilt_max
    forward, left = rover_pose.to_local(tube_position[0], tube_position[1])
    half_track, half_wheel = facts.rover.wheel_track / 2.0, facts.rover.wheel_width / 2.0
    margin = facts.tubes.length_with_glove / 2.0  # a tube lying across reaches this far
    in_band = abs(abs(left) - half_track) <= half_wheel + margin
    in_wheel_path = 0.0 <= forward <= facts.depot.wheel_path_lookahead and in_band
    recoveries, target = [], None
    if on_end:
        recoveries.append(RECOVERY_KNOCK_OVER)
    if in_wheel_path:
        recoveries.append(RECOVERY_NUDGE)
        side = 1.0 if left >= 0.0 else -1.0
        target = rover_pose.to_world(forward, side * (half_track + half_wheel + 2.0 * margin))
    return DropCheck(on_end, in_wheel_path, tilt, tuple(recoveries), target)


def recovery_steps(check, tube_id, facts):
    """Return the RECOVER steps for a ``DropCheck`` (empty when the tube lies well)."""
    return [Step(DepositStage.RECOVER, recovery, facts.rover.drop_recover_duration,
                 {'tube_id': tube_id, 'pose': arm_pose('drop'),
                  'target': check.nudge_target if recovery == RECOVERY_NUDGE else None})
            for recovery in check.recoveries]


def forced_drop_pose(kind, rover_pose, facts):
    """
    Return the (position, quaternion) a fault imposes on a dropped tube.

    TUBE_ON_END: standing upright under the drop point. TUBE_IN_WHEEL_PATH: lying flat across the
    left wheel track one metre ahead. The world backend can place the tube there to replay the
    check without relying on chance bounces.
    """
    kind = FaultKind(kind)
    if kind == FaultKind.TUBE_ON_END:
        return ((rover_pose.x, rover_pose.y, facts.tubes.length_with_glove / 2.0),
                (0.0, 0.0, 0.0, 1.0))
    if kind == FaultKind.TUBE_IN_WHEEL_PATH:
        x, y = rover_pose.to_world(1.0, facts.rover.wheel_track / 2.0)
        # Lying flat: body z axis rotated onto the horizontal, across the track.
        half = math.sqrt(0.5)
        return ((x, y, facts.tubes.core_diameter), (half, 0.0, 0.0, half))
    raise ValueError(f'fault kind {kind.name} does not set a drop pose')
