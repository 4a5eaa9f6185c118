# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The rover's targets: the mapped terrain and the drill spot on a rock.

Pure Python (no ROS). Coordinates are in frame "world" (docs/world_contract.md); where rocks and
depot slots are comes with each goal, or from the site's named places (domain/site_layout.py).
"""

import math

from .arm import ARM_LIMITS, AZIMUTH_X, solve_drill_ik
from ..domain.tubes import DEPOT_SAMPLES_BY_KEY
from ..domain.validation import Refusal

# The mapped terrain: 240 m x 240 m centred on the origin (world contract, Conventions). A
# target must leave room for the rover's half length (1.5 m) inside it.
TERRAIN_HALF_SIZE = 120.0  # m
ROVER_HALF_LENGTH = 1.5    # m

ROCK_TOP = 0.6          # m above the rock's base (rock_outcrop box: 1.4 x 1.2 x 0.6 m)
DRILL_INSET = 0.35      # m from the rock centre towards the rover: the drill spot on the top face


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
