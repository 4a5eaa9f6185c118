# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
What the recorder records: every topic of the world contract and the mission's state topics.

The world contract (docs/world_contract.md) out and in: /clock, odometry and joint states of
every vehicle (the four helicopters of the world whether they fly or not), /world/tube_poses,
the mast camera's camera_info, and the commands (rover cmd_vel, arm trajectory and corner
steering; the lander's arm trajectory; each helicopter's cmd_vel, enable and arm). The mission
nodes' /tube_inventory, /custody_events, /mission_status and /faults, with the QoS their
publishers offer (the latched ones transient-local, so the last state before the recorder
started is in the bag too). Images only when asked for, and then at most one frame per period of
simulation time: a 320x240 rgb8 frame is 230 kB, the rest of a second of campaign about 40 kB.
"""

from dataclasses import dataclass

from ..ros.contract import (CLOCK, CUSTODY_EVENTS, FAULTS, LANDER_ARM_TRAJECTORY,
                            LANDER_JOINT_STATES, MISSION_STATUS, model_topic,
                            ROVER_ARM_TRAJECTORY, ROVER_CMD_VEL, ROVER_JOINT_STATES,
                            ROVER_MAST_CAMERA_IMAGE, ROVER_MAST_CAMERA_INFO, ROVER_ODOMETRY,
                            ROVER_STEER_CORNERS, rover_steer_topic, TUBE_INVENTORY, TUBE_POSES,
                            WORLD_HELICOPTERS)

# QoS kinds (the node maps them to ros.contract's profiles): the world's reliable volatile
# streams and commands, latched state, the fault history and the custody event stream.
CONTRACT, LATCHED_STATE, FAULT_HISTORY, EVENTS = 'contract', 'latched', 'faults', 'events'

ODOMETRY, JOINT_STATE = 'nav_msgs/msg/Odometry', 'sensor_msgs/msg/JointState'
TWIST, FLOAT64, BOOL = 'geometry_msgs/msg/Twist', 'std_msgs/msg/Float64', 'std_msgs/msg/Bool'
TRAJECTORY = 'trajectory_msgs/msg/JointTrajectory'


@dataclass(frozen=True)
class RecordedTopic:
    """One topic to record: its type (``pkg/msg/Type``), QoS kind and throttle period."""

    name: str
    type_name: str
    qos: str = CONTRACT
    min_period: float = 0.0       # s of sim time between two recorded messages; 0 = all


def recorded_topics(record_images=False, image_period=1.0, helicopters=WORLD_HELICOPTERS):
    """Return the RecordedTopics, world contract first; the mast camera image if asked for."""
    topics = [
        RecordedTopic(CLOCK, 'rosgraph_msgs/msg/Clock'),
        RecordedTopic(ROVER_ODOMETRY, ODOMETRY),
        RecordedTopic(ROVER_JOINT_STATES, JOINT_STATE),
        RecordedTopic(ROVER_CMD_VEL, TWIST),
        RecordedTopic(ROVER_ARM_TRAJECTORY, TRAJECTORY),
    ] + [RecordedTopic(rover_steer_topic(corner), FLOAT64) for corner in ROVER_STEER_CORNERS]
    topics += [
        RecordedTopic(ROVER_MAST_CAMERA_INFO, 'sensor_msgs/msg/CameraInfo'),
        RecordedTopic(LANDER_JOINT_STATES, JOINT_STATE),
        RecordedTopic(LANDER_ARM_TRAJECTORY, TRAJECTORY),
    ]
    for model in helicopters:
        topics += [RecordedTopic(model_topic(model, 'odometry'), ODOMETRY),
                   RecordedTopic(model_topic(model, 'joint_states'), JOINT_STATE),
                   RecordedTopic(model_topic(model, 'cmd_vel'), TWIST),
                   RecordedTopic(model_topic(model, 'enable'), BOOL),
                   RecordedTopic(model_topic(model, 'arm/cmd_pos'), FLOAT64)]
    topics += [
        RecordedTopic(TUBE_POSES, 'geometry_msgs/msg/PoseArray'),
        RecordedTopic(TUBE_INVENTORY, 'perseverance_interfaces/msg/TubeInventory',
                      LATCHED_STATE),
        RecordedTopic(CUSTODY_EVENTS, 'perseverance_interfaces/msg/CustodyEvent', EVENTS),
        RecordedTopic(MISSION_STATUS, 'perseverance_interfaces/msg/MissionStatus',
                      LATCHED_STATE),
        RecordedTopic(FAULTS, 'perseverance_interfaces/msg/Fault', FAULT_HISTORY),
    ]
    if record_images:
        if not image_period > 0:
            raise ValueError('image_period must be > 0 s, not {!r}'.format(image_period))
        topics.append(RecordedTopic(ROVER_MAST_CAMERA_IMAGE, 'sensor_msgs/msg/Image',
                                    min_period=float(image_period)))
    return topics


# Each message is stamped with the recorder's clock at arrival, which may still read the
# previous /clock tick (50 ms in a campaign): a source at exactly the throttle's rate arrives a
# tick early or late. Frames are therefore kept on a grid of one period, each allowed this
# share of a period early, so that such a source keeps every frame and a faster one averages
# one frame a period.
THROTTLE_TOLERANCE = 0.25


class Throttle:
    """Let one message through per ``period`` of sim time (ns clock), on average at most."""

    def __init__(self, period):
        """Throttle to one message per ``period`` seconds; 0 lets everything through."""
        self.period_ns = int(round(float(period) * 1e9))
        self.tolerance_ns = int(self.period_ns * THROTTLE_TOLERANCE)
        self._due = None

    def admits(self, now_ns):
        """Return True (and take its slot) if a message at ``now_ns`` may pass."""
        if self.period_ns <= 0:
            return True
        if self._due is not None and now_ns < self._due - self.tolerance_ns:
            return False
        # The next slot follows this one on the grid; a late message (after a pause) moves the
        # grid to itself. Either way two kept messages are at least period - tolerance apart.
        grid = (self._due if self._due is not None else now_ns) + self.period_ns
        self._due = max(grid, now_ns + self.period_ns)
        return True
