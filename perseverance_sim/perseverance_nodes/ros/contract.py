# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The names and QoS profiles every node shares: one owner for each.

Topic, service and action names of the world contract (docs/world_contract.md) and of the
mission nodes (docs/architecture.md), and the QoS each kind of stream uses: the world's streams
reliable, volatile, depth 10 (what ros_gz_bridge does); state that late joiners need
(inventory, mission status) transient-local depth 1; faults transient-local with history.
"""

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

# --- QoS ------------------------------------------------------------------------------------
# The world publishes and subscribes reliable, volatile, depth 10; subscribers may be either.
CONTRACT_QOS = QoSProfile(depth=10, history=HistoryPolicy.KEEP_LAST,
                          reliability=ReliabilityPolicy.RELIABLE,
                          durability=DurabilityPolicy.VOLATILE)
# State that late joiners need (inventory, mission status): the last message is kept for them.
LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                     reliability=ReliabilityPolicy.RELIABLE)
# /faults: every fault state change, kept for late joiners.
FAULT_QOS = QoSProfile(depth=50, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                       reliability=ReliabilityPolicy.RELIABLE)
# /custody_events: every event, none dropped while a subscriber keeps up.
EVENTS_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)

# --- World contract -------------------------------------------------------------------------
CLOCK = '/clock'
TUBE_POSES = '/world/tube_poses'
ATTACH_TUBE = '/world/attach_tube'
DETACH_TUBE = '/world/detach_tube'
ROVER_ODOMETRY = '/model/perseverance/odometry'
ROVER_JOINT_STATES = '/model/perseverance/joint_states'
ROVER_CMD_VEL = '/model/perseverance/cmd_vel'
ROVER_ARM_TRAJECTORY = '/model/perseverance/arm/joint_trajectory'
ROVER_MAST_CAMERA_IMAGE = '/model/perseverance/mast_camera/image'
ROVER_MAST_CAMERA_INFO = '/model/perseverance/mast_camera/camera_info'
ROVER_STEER_CORNERS = ('front_left', 'front_right', 'rear_left', 'rear_right')
LANDER_JOINT_STATES = '/model/lander/joint_states'
LANDER_ARM_TRAJECTORY = '/model/lander/arm/joint_trajectory'
# The world's helicopters (helicopter_1 .. helicopter_4 on helipad_1 .. helipad_4); a campaign
# flies the first N, the others stay parked but are still simulated and published.
WORLD_HELICOPTERS = ('helicopter_1', 'helicopter_2', 'helicopter_3', 'helicopter_4')


def model_topic(model, suffix):
    """Return a model's contract topic, e.g. ``/model/helicopter_2/odometry``."""
    return '/model/{}/{}'.format(model, suffix.lstrip('/'))


def rover_steer_topic(corner):
    """Return a rover corner's steering command topic, e.g. ``.../steer_front_left/cmd_pos``."""
    return model_topic('perseverance', 'steer_{}/cmd_pos'.format(corner))


# --- Mission nodes --------------------------------------------------------------------------
TUBE_INVENTORY = '/tube_inventory'
CUSTODY_EVENTS = '/custody_events'
RECORD_CUSTODY = '/tube_ledger/record'
GET_TUBE = '/tube_ledger/get_tube'
FAULTS = '/faults'
MISSION_STATUS = '/mission_status'
INJECT_FAULT = '/mission_control/inject_fault'
CLEAR_FAULT = '/mission_control/clear_fault'
RUN_CAMPAIGN = '/mission_control/run_campaign'
ROVER_TELEOP_CMD_VEL = '/rover/cmd_vel'
ROVER_ARM_NAMED_POSE = '/rover/arm/named_pose'
ROVER_PARAMETERS = '/rover/get_parameters'   # the rover's limits, read by the teleop and viewer
NAVIGATE_TO = '/rover/navigate_to'
COLLECT_SAMPLE = '/rover/collect_sample'
DEPOSIT_TUBE = '/rover/deposit_tube'
HAND_OVER_TUBE = '/rover/hand_over_tube'
CACHE_SAMPLE = '/caching_assembly/cache_sample'
LOAD_TUBE = '/lander/load_tube'
LAUNCH_MAV = '/lander/launch_mav'


def retrieve_tube_action(number):
    """Return helicopter ``number``'s RetrieveTube action name."""
    return '/helicopter_{}/retrieve_tube'.format(number)
