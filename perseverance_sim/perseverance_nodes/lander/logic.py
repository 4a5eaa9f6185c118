# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The sample retrieval lander: Sample Transfer Arm, Orbiting Sample container and MAV launch.

Transfer arm kinematics follow models/sample_retrieval_lander: the arm is mounted on the deck's
-x edge and at joint zero points horizontally along -x, 1.5 m above the ground. sta_joint_1
slews it about +z; sta_joint_2, 4 and 6 pitch about +y (positive lifts the arm); sta_joint_3, 5
and 7 roll about the link's x axis. With the rolls 3 and 5 at zero the arm is planar, which
gives a closed-form IK for grasps from straight above. Positions are in the lander frame (origin
on the ground under the deck centre, x forward, z up) unless a function says "world".
"""

import enum
import math

import numpy as np

from ..domain.geometry import wrap_angle
from ..domain.site_layout import DROPZONE, RACK_AHEAD, RACK_HEIGHT, ROVER_HANDOVER
from ..domain.timeline import Step, Timeline
from ..domain.tubes import GROUND, LANDER_CONTAINER, LANDER_TRANSFER_ARM
from ..domain.validation import check_int, check_joint_vector, ConfigError, Refusal

TRANSFER_ARM_JOINTS = tuple(f'sta_joint_{i}' for i in range(1, 8))

# Joint limits (rad), as in the model.
TRANSFER_ARM_LIMITS = {
    'sta_joint_1': (-3.1, 3.1),
    'sta_joint_2': (-1.6, 1.6),
    'sta_joint_3': (-3.1, 3.1),
    'sta_joint_4': (-2.8, 2.8),
    'sta_joint_5': (-3.1, 3.1),
    'sta_joint_6': (-2.0, 2.0),
    'sta_joint_7': (-3.1, 3.1),
}

# Joint axes in their link frames, and the offset from each joint to the next (the last one to
# the grasp point between the fingers), m; from the model's link poses.
_AXES = ('z', 'y', 'x', 'y', 'x', 'y', 'x')
_OFFSETS = ((0.0, 0.0, 0.25), (-0.6, 0.0, 0.0), (-0.6, 0.0, 0.0), (-0.55, 0.0, 0.0),
            (-0.55, 0.0, 0.0), (-0.1, 0.0, 0.0), (-0.13, 0.0, 0.0))
MOUNT = (-1.0, 0.0, 1.25)       # sta_joint_1 in the lander frame, m
SHOULDER = (-1.0, 0.0, 1.5)     # sta_joint_2, m
UPPER_ARM = 1.2                 # sta_joint_2 to sta_joint_4, m
FOREARM = 1.1                   # sta_joint_4 to sta_joint_6, m
TOOL = 0.23                     # sta_joint_6 to the grasp point, m

# Places in the lander frame (m), from docs/world_contract.md with the lander at yaw 0.
CONTAINER_PORT = (0.415, 0.0, 3.0)     # frame container_port: the Orbiting Sample container
# The port is straight behind the arm's slew axis, which stops at +-3.1 rad (just short of pi):
# tubes go in from 0.1 m to the side, inside the container's 0.14 m radius.
CONTAINER_INSERT = (0.415, 0.1, 3.0)


def _rotation(axis, angle):
    """Return the 3x3 rotation about the unit x, y or z axis."""
    c, s = math.cos(angle), math.sin(angle)
    if axis == 'x':
        return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    if axis == 'y':
        return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def validate_transfer_arm_joints(positions):
    """Return the 7 positions as a tuple if finite and within limits; else ConfigError."""
    return check_joint_vector('transfer arm joint positions', TRANSFER_ARM_JOINTS,
                              TRANSFER_ARM_LIMITS, positions, tolerance=1e-9)


def forward_kinematics(joints):
    """
    Return (grasp point (3,), gripper rotation (3x3)) in the lander frame for 7 angles.

    The gripper points along the rotation's -x column (links point along -x at joint zero); its
    second column is the direction the fingers close.
    """
    rotation, position = np.eye(3), np.array(MOUNT, dtype=float)
    for axis, angle, offset in zip(_AXES, validate_transfer_arm_joints(joints), _OFFSETS):
        rotation = rotation @ _rotation(axis, angle)
        position = position + rotation @ np.array(offset)
    return position, rotation


def solve_ik(target, tool_pitch=-math.pi / 2.0, grasp_yaw=0.0):
    """
    Return 7 joint angles putting the grasp point at ``target`` (lander frame, m).

    ``tool_pitch`` is the gripper's angle above the horizontal (-pi/2: pointing straight down,
    as for a tube on the ground; None: the steepest downward pitch that reaches, in 5 degree
    steps); ``grasp_yaw`` is the tube's yaw, so that the fingers close across it. Elbow-up
    solution. Raises ``Refusal('OUT_OF_REACH', reason)`` naming why a target cannot be reached:
    too far, too close, or a joint limit.
    """
    if tool_pitch is not None:
        return _solve_ik(target, tool_pitch, grasp_yaw)
    first_error = None
    for degrees in range(-90, 91, 5):
        try:
            return _solve_ik(target, math.radians(degrees), grasp_yaw)
        except Refusal as error:
            first_error = first_error or error
    raise first_error


def _solve_ik(target, tool_pitch, grasp_yaw):
    """Solve the IK for one tool pitch (see ``solve_ik``)."""
    target = np.asarray(target, dtype=float)
    if target.shape != (3,) or not np.all(np.isfinite(target)):
        raise Refusal('INVALID_GOAL', f'target {target.tolist()!r} is not a finite 3-D point')
    offset = target - np.array(SHOULDER)
    heading = math.atan2(offset[1], offset[0])
    slew = wrap_angle(heading - math.pi)  # at zero the arm points along -x
    radial, height = math.hypot(offset[0], offset[1]), offset[2]
    # The grasp point lies TOOL beyond the wrist along the tool pitch; solve the 2-link arm.
    wrist_r = radial - TOOL * math.cos(tool_pitch)
    wrist_z = height - TOOL * math.sin(tool_pitch)
    span = math.hypot(wrist_r, wrist_z)
    where = np.round(target, 3).tolist()
    if span > UPPER_ARM + FOREARM:
        raise Refusal('OUT_OF_REACH', f'target {where} needs the wrist {span:.2f} m from the '
                      f'shoulder; the arm reaches {UPPER_ARM + FOREARM:.2f} m')
    if span < abs(UPPER_ARM - FOREARM):
        raise Refusal('OUT_OF_REACH', f'target {where} is too close to the shoulder '
                      f'({span:.2f} m < {abs(UPPER_ARM - FOREARM):.2f} m)')
    cos_elbow = (span ** 2 - UPPER_ARM ** 2 - FOREARM ** 2) / (2 * UPPER_ARM * FOREARM)
    elbow = -math.acos(max(-1.0, min(1.0, cos_elbow)))  # negative: the forearm folds down
    shoulder = math.atan2(wrist_z, wrist_r) - math.atan2(
        FOREARM * math.sin(elbow), UPPER_ARM + FOREARM * math.cos(elbow))
    wrist = tool_pitch - shoulder - elbow
    # Fingers close along the gripper's y axis; pointing down, a roll r turns it to the yaw
    # slew + pi/2 + r. Across the tube means along grasp_yaw + pi/2.
    roll = wrap_angle(grasp_yaw - slew)
    if roll > math.pi / 2.0:  # two fingers: a half turn grasps the same way
        roll -= math.pi
    elif roll < -math.pi / 2.0:
        roll += math.pi
    joints = (slew, shoulder, 0.0, elbow, 0.0, wrist, roll)
    for name, value in zip(TRANSFER_ARM_JOINTS, joints):
        low, high = TRANSFER_ARM_LIMITS[name]
        if not low <= value <= high:
            raise Refusal('OUT_OF_REACH', f'target {where} needs {name} = {value:.3f} rad, '
                          f'outside [{low:.3f}, {high:.3f}]')
    return joints


TRANSFER_ARM_POSES = {
    # The model's initial (ready) pose, kept clear of the deck: shoulder raised 57 deg, elbow
    # folded, gripper level.
    'stow': (0.0, 1.0, 0.0, -2.0, 0.0, 1.0, 0.0),
    # A tube lying in the helicopter drop zone.
    'pick_ground': solve_ik((DROPZONE[0], DROPZONE[1], 0.02)),
    # A tube in the rack of the rover parked at rover_handover.
    'pick_rover': solve_ik((ROVER_HANDOVER[0] + RACK_AHEAD, 0.0, RACK_HEIGHT)),
    'insert_container': solve_ik(CONTAINER_INSERT, tool_pitch=None),
}
validate_transfer_arm_joints(TRANSFER_ARM_POSES['stow'])


def transfer_arm_pose(name):
    """Return the joint vector of a named transfer arm pose."""
    if name not in TRANSFER_ARM_POSES:
        raise ConfigError('transfer arm pose', name, 'one of ' + ', '.join(TRANSFER_ARM_POSES))
    return TRANSFER_ARM_POSES[name]


# ---------------------------------------------------------------------------------------------
# LoadTube


class LoadStage(enum.IntEnum):
    """LoadTube feedback stages (LoadTube.action STAGE_*)."""

    REACH = 0
    GRASP = 1
    TRANSFER = 2
    INSERT = 3
    STOW = 4


def plan_load(tube_id, tube_world, tube_yaw, site, container, sealed, facts, source=GROUND):
    """
    Plan picking ``tube_id`` at ``tube_world`` from ``source`` and inserting it.

    ``source`` is the tube's holder: the ground (drop zone) or the rover's caching assembly (a
    rover parked at the hand-over pose).

    Checks the container first (full, closed, unsealed tube) and then the reach; raises
    ``Refusal`` naming the problem. Returns a Timeline whose steps carry joint targets and the
    custody transfers for the ledger. The container is not changed: call
    ``container.load`` when the INSERT step completes.
    """
    slot = container.check_load(tube_id, sealed)
    lander = facts.lander
    local = site.to_lander(*tube_world)
    grasp = (local[0], local[1], local[2] + 0.02)  # fingers close around the tube's upper half
    # Straight down where it reaches; tilted towards the lander for the far end of the rack.
    pick = solve_ik(grasp, tool_pitch=None, grasp_yaw=wrap_angle(tube_yaw - site.pose.yaw))
    above = solve_ik((grasp[0], grasp[1], grasp[2] + 0.3), tool_pitch=None)
    details = {'tube_id': tube_id, 'slot': slot}
    return Timeline([
        Step(LoadStage.REACH, 'reach', lander.reach_duration, {**details, 'joints': above}),
        Step(LoadStage.GRASP, 'grasp', lander.grasp_duration,
             {**details, 'joints': pick, 'transfer': (source, LANDER_TRANSFER_ARM, 'grasp')}),
        Step(LoadStage.TRANSFER, 'transfer', lander.reach_duration,
             {**details, 'joints': transfer_arm_pose('insert_container')}),
        Step(LoadStage.INSERT, 'insert', lander.insert_duration,
             {**details, 'joints': transfer_arm_pose('insert_container'),
              'transfer': (LANDER_TRANSFER_ARM, LANDER_CONTAINER, 'load')}),
        Step(LoadStage.STOW, 'stow', lander.reach_duration,
             {**details, 'joints': transfer_arm_pose('stow')}),
    ])


class SampleContainer:
    """The Orbiting Sample container on the MAV: numbered slots, a lid, a sealed-only policy."""

    def __init__(self, capacity=30, allow_unsealed=False):
        """Create an empty, open container with ``capacity`` slots."""
        self.capacity = check_int('capacity', capacity, 1, 99)
        self.allow_unsealed = allow_unsealed
        self.lid_closed = False
        self._slots = []

    @property
    def tubes(self):
        """Return the loaded tube ids in slot order."""
        return tuple(self._slots)

    def check_load(self, tube_id, sealed):
        """Return the slot ``tube_id`` would take, or raise Refusal saying why it cannot."""
        if self.lid_closed:
            raise Refusal('CONTAINER_CLOSED', 'the container lid is closed')
        if tube_id in self._slots:
            raise Refusal('INVALID_GOAL', f'{tube_id} is already in slot '
                          f'{self._slots.index(tube_id)}')
        if len(self._slots) >= self.capacity:
            raise Refusal('CONTAINER_FULL', f'all {self.capacity} slots are taken')
        if not sealed and not self.allow_unsealed:
            raise Refusal('TUBE_UNSEALED', f'{tube_id} is not sealed and the policy requires '
                          'sealed tubes')
        return len(self._slots)

    def load(self, tube_id, sealed):
        """Insert a tube and return its slot (0-based)."""
        slot = self.check_load(tube_id, sealed)
        self._slots.append(tube_id)
        return slot

    def close_lid(self):
        """Close the lid; nothing can be loaded afterwards."""
        self.lid_closed = True


class LaunchStage(enum.IntEnum):
    """LaunchMav feedback stages (LaunchMav.action STAGE_*)."""

    CLOSE_LID = 0
    COUNTDOWN = 1
    LIFTOFF = 2


class MarsAscentVehicle:
    """The MAV: launch preconditions, the launch sequence and the launch record."""

    def __init__(self, container):
        """Carry ``container`` (a SampleContainer)."""
        self.container = container
        self.launched = False
        self.launch_time = None
        self.launched_tubes = ()

    def check_ready(self, min_tubes=1, arm_stowed=True):
        """Raise Refusal unless the MAV may start its launch sequence."""
        if self.launched:
            raise Refusal('ALREADY_LAUNCHED', f'the MAV launched at {self.launch_time} s')
        min_tubes = max(1, min_tubes)
        loaded = len(self.container.tubes)
        if loaded < min_tubes:
            raise Refusal('TOO_FEW_TUBES', f'{loaded} tubes loaded, at least {min_tubes} needed')
        if not arm_stowed:
            raise Refusal('INVALID_GOAL', 'the transfer arm is not stowed')

    def plan(self, facts):
        """Return the launch Timeline: close the lid, count down, lift off."""
        lander = facts.lander
        return Timeline([
            Step(LaunchStage.CLOSE_LID, 'close_lid', lander.lid_close_duration),
            Step(LaunchStage.COUNTDOWN, 'countdown', lander.countdown_duration),
            Step(LaunchStage.LIFTOFF, 'liftoff', lander.liftoff_duration),
        ])

    def liftoff(self, now):
        """Record lift-off at sim time ``now`` and return the tube ids on board."""
        if not self.container.lid_closed:
            raise Refusal('INVALID_GOAL', 'the container lid must be closed before lift-off')
        if self.launched:
            raise Refusal('ALREADY_LAUNCHED', f'the MAV launched at {self.launch_time} s')
        self.launched, self.launch_time = True, now
        self.launched_tubes = self.container.tubes
        return self.launched_tubes
