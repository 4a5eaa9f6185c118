# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The rover's 5-joint robotic arm: joint names, limits, named poses, drill-tip kinematics.

Geometry, limits and the stowed pose follow models/perseverance: at joint zero the arm points
straight ahead, horizontal; positive elevation, elbow and wrist angles turn it downwards
(right-hand rule about +y); the turret rolls about the forearm. Positions are in the rover's
model frame (on the ground below the chassis centre, x forward, z up).
"""

import math

from ..domain.validation import check_joint_vector, ConfigError, Refusal

ARM_JOINTS = ('arm_shoulder_azimuth', 'arm_shoulder_elevation', 'arm_elbow', 'arm_wrist',
              'arm_turret')

# Lower and upper limit of each joint (rad), as in models/perseverance.
ARM_LIMITS = {
    'arm_shoulder_azimuth': (-1.9, 1.9),
    'arm_shoulder_elevation': (-1.6, 1.6),
    'arm_elbow': (-0.3, 3.0),
    'arm_wrist': (-3.0, 3.0),
    'arm_turret': (-3.1, 3.1),
}

AZIMUTH_X = 1.3              # shoulder azimuth axis, ahead of the chassis centre, m
SHOULDER = (1.4, 1.1)        # elevation joint (forward, up) at zero azimuth, m
UPPER_ARM = 0.95             # elevation joint to elbow joint, m
FOREARM = 0.90               # elbow joint to wrist joint, m
DRILL_OFFSET = (0.30, -0.525)  # wrist joint to drill tip at zero total pitch (forward, up), m


def drill_tip(positions):
    """Return the drill tip (x, y, z) in the rover's model frame for five joint positions."""
    azimuth, elevation, elbow, wrist, _ = validate_arm_joints(positions)
    pitches = (elevation, elevation + elbow, elevation + elbow + wrist)
    # In the arm's vertical plane: distance ahead of the azimuth axis, and height.
    ahead = (SHOULDER[0] - AZIMUTH_X + UPPER_ARM * math.cos(pitches[0])
             + FOREARM * math.cos(pitches[1]) + DRILL_OFFSET[0] * math.cos(pitches[2])
             + DRILL_OFFSET[1] * math.sin(pitches[2]))
    up = (SHOULDER[1] - UPPER_ARM * math.sin(pitches[0]) - FOREARM * math.sin(pitches[1])
          - DRILL_OFFSET[0] * math.sin(pitches[2]) + DRILL_OFFSET[1] * math.cos(pitches[2]))
    return (AZIMUTH_X + ahead * math.cos(azimuth), ahead * math.sin(azimuth), up)


def solve_drill_ik(forward, up):
    """
    Return joint positions putting the drill tip, pointing straight down, at (forward, up).

    Elbow above the line shoulder-wrist, azimuth and turret zero. Raises Refusal
    ('ROCK_OUT_OF_REACH') naming the distance when the point is beyond the arm.
    """
    wrist_x = forward - DRILL_OFFSET[0] - SHOULDER[0]
    wrist_z = up - DRILL_OFFSET[1] - SHOULDER[1]
    span = math.hypot(wrist_x, wrist_z)
    if not abs(UPPER_ARM - FOREARM) <= span <= UPPER_ARM + FOREARM:
        raise Refusal('ROCK_OUT_OF_REACH', f'drill target ({forward:.2f}, {up:.2f}) m needs the '
                      f'wrist {span:.2f} m from the shoulder; the arm spans '
                      f'{abs(UPPER_ARM - FOREARM):.2f}..{UPPER_ARM + FOREARM:.2f} m')
    cos_elbow = (span ** 2 - UPPER_ARM ** 2 - FOREARM ** 2) / (2 * UPPER_ARM * FOREARM)
    elbow = math.acos(max(-1.0, min(1.0, cos_elbow)))  # positive: the forearm folds down
    down_to_wrist = math.atan2(-wrist_z, wrist_x)
    elevation = down_to_wrist - math.atan2(FOREARM * math.sin(elbow),
                                           UPPER_ARM + FOREARM * math.cos(elbow))
    wrist = -(elevation + elbow)  # drill vertical: total pitch zero
    positions = (0.0, elevation, elbow, wrist, 0.0)
    try:
        return validate_arm_joints(positions)
    except ConfigError as error:
        raise Refusal('ROCK_OUT_OF_REACH', f'drill target ({forward:.2f}, {up:.2f}) m: '
                      f'{error}') from error


def validate_arm_joints(positions):
    """Return the positions as a tuple if there are five finite values within the joint limits."""
    return check_joint_vector('arm joint positions', ARM_JOINTS, ARM_LIMITS, positions)


# Named poses (rad, in ARM_JOINTS order).
ARM_POSES = {
    # The model's initial (stowed) pose: drill tip 0.4 m up, 0.6 m ahead of the front wheels.
    'stow': (0.0, -0.8, 2.7, -1.9, 0.0),
    # Raised in front of the rover, drill 1 m above the ground: the start of every task.
    'ready': solve_drill_ik(2.6, 1.0),
    # Drill down on the top face (0.6 m high) of a rock outcrop 3.0 m ahead, 0.35 m into it.
    'core_at_rock': solve_drill_ik(2.65, 0.6),
    # Bit presented to the bit carousel at the rover's front (hand-off to the cache); the
    # turret rolls a quarter turn to line the bit up with the carousel.
    'bit_carousel': solve_drill_ik(2.2, 0.5)[:4] + (1.57,),
    # Tube held just above the ground 2.6 m ahead, for the hand-over to the lander.
    'drop': solve_drill_ik(2.6, 0.25),
}

DEFAULT_JOINT_SPEED = 0.1  # rad/s, slowest joint sets the move time; guess


def arm_pose(name):
    """Return the joint vector of a named pose (``stow``, ``ready``, ``core_at_rock``, ...)."""
    if name not in ARM_POSES:
        raise ConfigError('arm pose', name, 'one of ' + ', '.join(ARM_POSES))
    return ARM_POSES[name]


def arm_move_duration(start, goal, joint_speed=DEFAULT_JOINT_SPEED):
    """Return the time (s) to move from ``start`` to ``goal`` with every joint at most at speed."""
    start, goal = validate_arm_joints(start), validate_arm_joints(goal)
    if joint_speed <= 0.0:
        raise ConfigError('joint_speed', joint_speed, '> 0 rad/s')
    return max(abs(b - a) for a, b in zip(start, goal)) / joint_speed


def interpolate_arm(start, goal, fraction):
    """Return the joint vector a ``fraction`` (0..1) of the way along a straight joint move."""
    start, goal = validate_arm_joints(start), validate_arm_joints(goal)
    fraction = min(max(fraction, 0.0), 1.0)
    return tuple(a + fraction * (b - a) for a, b in zip(start, goal))


# Validate the table at import: a bad edit fails every test at once, naming the pose.
for _name, _pose in ARM_POSES.items():
    try:
        validate_arm_joints(_pose)
    except ConfigError as error:
        raise ConfigError(f'ARM_POSES[{_name!r}]', _pose, str(error)) from error
