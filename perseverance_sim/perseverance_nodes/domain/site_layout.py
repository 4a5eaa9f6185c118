# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The site: where the world puts things, and where the lander takes and leaves tubes.

The world's SDF (worlds/jezero.sdf) places the rover, the rock outcrops, the depot marker, the
lander and the helipads; this module is their one owner in code (the world contract's named
places; test_sdf_validation checks them against the SDF and docs/world_contract.md). A scenario
plans a campaign on this site: it may move where a rock is cored or lay the depot elsewhere, and
mission_control sends those coordinates in every goal; a goal without coordinates (sent by hand
or by the teleop) takes the named place here. What the world places (rover start, lander,
helipads) a scenario cannot move.
"""

from dataclasses import dataclass
import re

from .geometry import Pose2D
from .tubes import ROCK_NAMES
from .validation import check_int, Refusal

# The contract's rock outcrops (named places rock_<name>) and depot slots, in drop order.
CONTRACT_ROCKS = {
    'roubion': (20.0, 12.0), 'montdenier': (10.0, 22.0), 'coulettes': (0.0, 12.0),
    'malay': (-10.0, 22.0), 'atsah': (-20.0, 12.0), 'skyland': (-30.0, 22.0),
    'bearwallow': (-40.0, 12.0), 'mageik': (-48.0, 24.0), 'crosswind_lake': (-62.0, 28.0),
}
CONTRACT_SLOTS = ((-72.0, -36.0), (-78.0, -28.0), (-72.0, -20.0), (-78.0, -12.0),
                  (-72.0, -4.0), (-78.0, 4.0), (-72.0, 12.0), (-78.0, 20.0), (-72.0, 28.0),
                  (-78.0, 36.0))
ROVER_START = Pose2D(32.0, 18.0, 3.141593)      # rover_start: perseverance model frame
LANDER_SITE = Pose2D(70.0, 0.0, 0.0)            # lander_site: lander model frame, yaw 0
HELIPADS = ((78.0, 8.0), (78.0, -8.0), (84.0, 8.0), (84.0, -8.0))  # helipad_1 .. helipad_4

# Places around the lander, in the lander frame (m), from docs/world_contract.md (yaw 0).
# rover_handover: the rover parks here facing +x, its front wheels 0.34 m from the lander's
# base; the rack's far tube (0.26 m behind its centre) is then 2.3 m from the shoulder.
ROVER_HANDOVER = (-3.3, 0.0)
HANDOVER_PARKING_TOLERANCE = 0.15     # m; further off, the far rack tubes are out of reach
RACK_AHEAD = 0.35                      # rover centre to its tube rack (belly_drop), m
RACK_HEIGHT = 0.89                     # tube centres in the rack above flat ground, m
DROPZONE = (-2.4, 1.0, 0.0)            # helicopter_dropzone: helicopters leave tubes here
# Where helicopters leave tubes (lander frame): helicopter_dropzone and its mirror image.
DROP_POINTS = ((DROPZONE[0], DROPZONE[1]), (DROPZONE[0], -DROPZONE[1]))

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


def parse_slot(text, slots=CONTRACT_SLOTS):
    """
    Return (holder name ``depot/slot_NN``, number, (x, y)) for a slot written as in a goal.

    Accepts ``depot/slot_03`` or ``slot_03`` (1-based, as the ledger names slots); (x, y) is
    the slot's place in ``slots``. Raises ``Refusal('INVALID_GOAL')`` naming the value and the
    slots that exist.
    """
    match = _SLOT.match(str(text).strip())
    number = int(match.group(1)) if match else 0
    if not 1 <= number <= len(slots):
        raise Refusal('INVALID_GOAL', f'slot {text!r} is not one of depot/slot_01..'
                      f'depot/slot_{len(slots):02d}')
    return f'depot/slot_{number:02d}', number, tuple(slots[number - 1])


@dataclass(frozen=True)
class LanderSite:
    """Where the lander stands: pose in frame "world" and its ground height (m)."""

    pose: Pose2D
    ground_z: float = 0.0

    def to_lander(self, x, y, z):
        """Convert a world point to the lander frame."""
        forward, left = self.pose.to_local(x, y)
        return (forward, left, z - self.ground_z)

    def to_world(self, x, y, z):
        """Convert a lander-frame point to frame "world"."""
        wx, wy = self.pose.to_world(x, y)
        return (wx, wy, z + self.ground_z)

    def rover_handover_pose(self, backoff=0.0):
        """
        Return the Pose2D (world) where the rover parks to hand tubes over.

        It faces the lander from its transfer-arm side with its tube rack in the arm's reach;
        ``backoff`` metres further back leaves the drop zone free for the helicopters.
        """
        x, y = self.pose.to_world(ROVER_HANDOVER[0] - backoff, ROVER_HANDOVER[1])
        return Pose2D(x, y, self.pose.yaw)

    def rover_rack_point(self):
        """Return the world position of the rack of a rover parked at the hand-over pose."""
        return self.to_world(ROVER_HANDOVER[0] + RACK_AHEAD, ROVER_HANDOVER[1], RACK_HEIGHT)

    def drop_points(self, helicopters):
        """
        Return the drop points (world, on the ground) for ``helicopters`` helicopters.

        One per helicopter up to len(DROP_POINTS): the lander-frame points of DROP_POINTS, each
        inside the transfer arm's reach and clear of the lander's legs, 2 m apart so that two
        helicopters can land, release and back away side by side.
        """
        check_int('helicopters', helicopters, 1, 9)
        return [self.to_world(x, y, 0.0) for x, y in DROP_POINTS[:helicopters]]
