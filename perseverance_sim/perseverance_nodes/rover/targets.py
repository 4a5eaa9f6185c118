# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Where the rover's goals point to: rocks, depot slots, the mapped terrain and the drill target.

Pure Python (no ROS), used by the rover node and the teleop. Coordinates are in frame "world"
(docs/world_contract.md); the scenario file gives the rocks and depot slots of a run, and the
contract's named places fill in what a scenario leaves out (e.g. depot slots 3..10 of
quick.yaml).
"""

import math
import re

from .arm import ARM_LIMITS, AZIMUTH_X, solve_drill_ik
from ..common.logic import DEPOT_SAMPLES_BY_KEY, ROCK_NAMES
from ..common.validation import Refusal

# The mapped terrain: 240 m x 240 m centred on the origin (world contract, Conventions). A
# target must leave room for the rover's half length (1.5 m) inside it.
TERRAIN_HALF_SIZE = 120.0  # m
ROVER_HALF_LENGTH = 1.5    # m

# The contract's rock outcrops (named places rock_<name>) and depot slots, in drop order.
CONTRACT_ROCKS = {
    'roubion': (20.0, 12.0), 'montdenier': (10.0, 22.0), 'coulettes': (0.0, 12.0),
    'malay': (-10.0, 22.0), 'atsah': (-20.0, 12.0), 'skyland': (-30.0, 22.0),
    'bearwallow': (-40.0, 12.0), 'mageik': (-48.0, 24.0), 'crosswind_lake': (-62.0, 28.0),
}
CONTRACT_SLOTS = ((-72.0, -36.0), (-78.0, -28.0), (-72.0, -20.0), (-78.0, -12.0),
                  (-72.0, -4.0), (-78.0, 4.0), (-72.0, 12.0), (-78.0, 20.0), (-72.0, 28.0),
                  (-78.0, 36.0))
ROCK_TOP = 0.6          # m above the rock's base (rock_outcrop box: 1.4 x 1.2 x 0.6 m)
DRILL_INSET = 0.35      # m from the rock centre towards the rover: the drill spot on the top face

_SLOT = re.compile(r'^(?:depot/)?slot_(\d{1,2})$')


def rock_key(name):
    """
    Return the rock key (``mageik``) of a name as written: key, ``rock_<key>`` or display name.

    Raises ``Refusal('UNKNOWN_ROCK')`` listing the known rocks.
    """
    text = str(name).strip().lower().replace(' ', '_')
    if text.startswith('rock_'):
        text = text[len('rock_'):]
    if text not in ROCK_NAMES:
        raise Refusal('UNKNOWN_ROCK', f'rock {name!r} is not one of {", ".join(ROCK_NAMES)}')
    return text


def rock_table(scenario=None):
    """Return {rock key: (x, y)}: the scenario's rocks override the contract's places."""
    table = dict(CONTRACT_ROCKS)
    if scenario is not None:
        table.update({rock.name: (rock.x, rock.y) for rock in scenario.rocks})
    return table


def slot_table(scenario=None):
    """Return the depot slot positions, slot 1 first: the scenario's, then the contract's."""
    slots = list(scenario.depot.slots) if scenario is not None else []
    slots += CONTRACT_SLOTS[len(slots):]
    return tuple(slots)


def parse_slot(text, slots):
    """
    Return (holder name ``depot/slot_NN``, number, (x, y)) for a slot written as in the goal.

    Accepts ``depot/slot_03`` or ``slot_03`` (1-based, as the ledger names slots). Raises
    ``Refusal('INVALID_GOAL')`` naming the value and the slots that exist.
    """
    match = _SLOT.match(str(text).strip())
    number = int(match.group(1)) if match else 0
    if not 1 <= number <= len(slots):
        raise Refusal('INVALID_GOAL', f'slot {text!r} is not one of depot/slot_01..'
                      f'depot/slot_{len(slots):02d}')
    return f'depot/slot_{number:02d}', number, tuple(slots[number - 1])


def check_in_terrain(x, y):
    """Raise ``Refusal('UNREACHABLE')`` if (x, y) is outside the mapped terrain."""
    limit = TERRAIN_HALF_SIZE - ROVER_HALF_LENGTH
    if not (math.isfinite(x) and math.isfinite(y)):
        raise Refusal('INVALID_GOAL', f'target ({x}, {y}) is not a finite point')
    if abs(x) > limit or abs(y) > limit:
        raise Refusal('UNREACHABLE', f'target ({x:.2f}, {y:.2f}) m is outside the mapped '
                      f'terrain (|x|, |y| <= {limit:.1f} m: the 240 m x 240 m Jezero map less '
                      "the rover's half length)")


def drill_pose_for_rock(rover_pose, rover_z, rock_xy, rock_z=0.0):
    """
    Return the arm joints putting the drill tip on the rock's top face, and the rover-rock range.

    The drill spot is ``DRILL_INSET`` from the rock centre towards the rover, on the top face; the
    shoulder azimuth turns the arm towards it when the rover does not face the rock squarely.
    Raises ``Refusal('ROCK_OUT_OF_REACH')`` naming the distance when the arm cannot get there.
    """
    rng = rover_pose.distance_to(*rock_xy)
    if rng < 1e-6:
        raise Refusal('ROCK_OUT_OF_REACH', 'the rover stands on the rock centre')
    ux, uy = (rover_pose.x - rock_xy[0]) / rng, (rover_pose.y - rock_xy[1]) / rng
    spot = (rock_xy[0] + DRILL_INSET * ux, rock_xy[1] + DRILL_INSET * uy)
    forward, left = rover_pose.to_local(*spot)
    ahead = math.hypot(forward - AZIMUTH_X, left)
    azimuth = math.atan2(left, forward - AZIMUTH_X)
    low, high = ARM_LIMITS['arm_shoulder_azimuth']
    where = f'the rover is {rng:.2f} m from the rock centre'
    if forward <= AZIMUTH_X or not low <= azimuth <= high:
        raise Refusal('ROCK_OUT_OF_REACH', f'{where}, with the rock behind or beside the arm '
                      f'(bearing {math.degrees(rover_pose.bearing_to(*rock_xy)):.0f} deg)')
    try:
        joints = solve_drill_ik(AZIMUTH_X + ahead, rock_z + ROCK_TOP - rover_z)
    except Refusal as error:
        raise Refusal('ROCK_OUT_OF_REACH', f'{where}: {error.message}') from error
    return (azimuth,) + tuple(joints[1:]), rng


def sample_sol(rock):
    """Return the sol the real sample of ``rock`` was cored on (its designation's sol)."""
    return DEPOT_SAMPLES_BY_KEY[rock].sol_cored
