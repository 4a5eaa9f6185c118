# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The ros_gz_bridge configuration is exactly the topic part of the world contract.

- every contract topic served by the bridge is in config/gz_bridge.yaml, once, with the same ROS
  type, the contract's gz type (a pair ros_gz_bridge supports on Jazzy) and direction;
- the bridge file holds nothing else, and /clock once, Gazebo to ROS;
- every Gazebo topic named in the bridge is one the SDF actually publishes or subscribes;
- every helicopter in the world has its entries, and the adapter-served entries are not bridged.
"""

import os
import re
import xml.etree.ElementTree as ET

from contract_doc import load_contract
import pytest
import yaml

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(PACKAGE_DIR)
BRIDGE = os.path.join(PACKAGE_DIR, 'config', 'gz_bridge.yaml')
WORLD = os.path.join(PACKAGE_DIR, 'worlds', 'jezero.sdf')
MODELS_DIR = os.path.join(PACKAGE_DIR, 'models')

# Topic type pairs ros_gz_bridge supports on ROS 2 Jazzy (from its README; also in the project's
# shared notes as gazebo/ros_gz_bridge_jazzy_topic_types.tsv).
JAZZY_TOPIC_TYPES = """
actuator_msgs/msg/Actuators gz.msgs.Actuators
builtin_interfaces/msg/Time gz.msgs.Time
geometry_msgs/msg/Point gz.msgs.Vector3d
geometry_msgs/msg/Pose gz.msgs.Pose
geometry_msgs/msg/PoseArray gz.msgs.Pose_V
geometry_msgs/msg/PoseStamped gz.msgs.Pose
geometry_msgs/msg/PoseWithCovariance gz.msgs.PoseWithCovariance
geometry_msgs/msg/PoseWithCovarianceStamped gz.msgs.PoseWithCovariance
geometry_msgs/msg/Quaternion gz.msgs.Quaternion
geometry_msgs/msg/Transform gz.msgs.Pose
geometry_msgs/msg/TransformStamped gz.msgs.Pose
geometry_msgs/msg/Twist gz.msgs.Twist
geometry_msgs/msg/TwistStamped gz.msgs.Twist
geometry_msgs/msg/TwistWithCovariance gz.msgs.TwistWithCovariance
geometry_msgs/msg/TwistWithCovarianceStamped gz.msgs.TwistWithCovariance
geometry_msgs/msg/Vector3 gz.msgs.Vector3d
geometry_msgs/msg/Wrench gz.msgs.Wrench
geometry_msgs/msg/WrenchStamped gz.msgs.Wrench
gps_msgs/msg/GPSFix gz.msgs.NavSat
nav_msgs/msg/Odometry gz.msgs.Odometry
nav_msgs/msg/Odometry gz.msgs.OdometryWithCovariance
rcl_interfaces/msg/ParameterValue gz.msgs.Any
ros_gz_interfaces/msg/Altimeter gz.msgs.Altimeter
ros_gz_interfaces/msg/Contact gz.msgs.Contact
ros_gz_interfaces/msg/Contacts gz.msgs.Contacts
ros_gz_interfaces/msg/Dataframe gz.msgs.Dataframe
ros_gz_interfaces/msg/Entity gz.msgs.Entity
ros_gz_interfaces/msg/EntityWrench gz.msgs.EntityWrench
ros_gz_interfaces/msg/Float32Array gz.msgs.Float_V
ros_gz_interfaces/msg/GuiCamera gz.msgs.GUICamera
ros_gz_interfaces/msg/JointWrench gz.msgs.JointWrench
ros_gz_interfaces/msg/Light gz.msgs.Light
ros_gz_interfaces/msg/ParamVec gz.msgs.Param
ros_gz_interfaces/msg/ParamVec gz.msgs.Param_V
ros_gz_interfaces/msg/SensorNoise gz.msgs.SensorNoise
ros_gz_interfaces/msg/StringVec gz.msgs.StringMsg_V
ros_gz_interfaces/msg/TrackVisual gz.msgs.TrackVisual
ros_gz_interfaces/msg/VideoRecord gz.msgs.VideoRecord
rosgraph_msgs/msg/Clock gz.msgs.Clock
sensor_msgs/msg/BatteryState gz.msgs.BatteryState
sensor_msgs/msg/CameraInfo gz.msgs.CameraInfo
sensor_msgs/msg/FluidPressure gz.msgs.FluidPressure
sensor_msgs/msg/Image gz.msgs.Image
sensor_msgs/msg/Imu gz.msgs.IMU
sensor_msgs/msg/JointState gz.msgs.Model
sensor_msgs/msg/Joy gz.msgs.Joy
sensor_msgs/msg/LaserScan gz.msgs.LaserScan
sensor_msgs/msg/MagneticField gz.msgs.Magnetometer
sensor_msgs/msg/NavSatFix gz.msgs.NavSat
sensor_msgs/msg/PointCloud2 gz.msgs.PointCloudPacked
std_msgs/msg/Bool gz.msgs.Boolean
std_msgs/msg/ColorRGBA gz.msgs.Color
std_msgs/msg/Empty gz.msgs.Empty
std_msgs/msg/Float32 gz.msgs.Float
std_msgs/msg/Float64 gz.msgs.Double
std_msgs/msg/Header gz.msgs.Header
std_msgs/msg/Int32 gz.msgs.Int32
std_msgs/msg/String gz.msgs.StringMsg
std_msgs/msg/UInt32 gz.msgs.UInt32
trajectory_msgs/msg/JointTrajectory gz.msgs.JointTrajectory
vision_msgs/msg/Detection2D gz.msgs.AnnotatedAxisAligned2DBox
vision_msgs/msg/Detection2DArray gz.msgs.AnnotatedAxisAligned2DBox_V
vision_msgs/msg/Detection3D gz::msgs::AnnotatedOriented3DBox
vision_msgs/msg/Detection3DArray gz::msgs::AnnotatedOriented3DBox_V
"""
SUPPORTED_PAIRS = {tuple(line.split()) for line in JAZZY_TOPIC_TYPES.strip().splitlines()}
DIRECTIONS = {'world_to_ros': 'GZ_TO_ROS', 'ros_to_world': 'ROS_TO_GZ'}
BRIDGE_KEYS = {'ros_topic_name', 'gz_topic_name', 'ros_type_name', 'gz_type_name', 'direction',
               'subscriber_queue', 'publisher_queue', 'lazy'}
# A ROS 2 topic name: absolute, tokens of [A-Za-z0-9_] not starting with a digit.
ROS_NAME = re.compile(r'^(/[A-Za-z_][A-Za-z0-9_]*)+$')


def load_bridge():
    """config/gz_bridge.yaml as a list of entries."""
    with open(BRIDGE, encoding='utf-8') as handle:
        entries = yaml.safe_load(handle)
    assert isinstance(entries, list)
    return entries


@pytest.fixture(scope='module')
def contract():
    """Load the contract block once per module."""
    return load_contract()


@pytest.fixture(scope='module')
def bridge():
    """Load the bridge entries once per module."""
    return load_bridge()


def test_bridge_entries_are_well_formed(bridge):
    """Known keys only, valid names, supported type pair, explicit direction."""
    for entry in bridge:
        assert set(entry) <= BRIDGE_KEYS, entry
        assert ROS_NAME.match(entry['ros_topic_name']), entry
        assert entry['gz_topic_name'].startswith('/'), entry
        assert (entry['ros_type_name'], entry['gz_type_name']) in SUPPORTED_PAIRS, entry
        assert entry['direction'] in ('GZ_TO_ROS', 'ROS_TO_GZ'), entry
    names = [e['ros_topic_name'] for e in bridge]
    assert len(names) == len(set(names)), 'a ROS topic is bridged twice'


def test_clock_bridged_once_from_gazebo(bridge):
    """/clock appears once, Gazebo to ROS."""
    clocks = [e for e in bridge if e['ros_topic_name'] == '/clock']
    assert len(clocks) == 1
    assert clocks[0]['direction'] == 'GZ_TO_ROS'
    assert clocks[0]['ros_type_name'] == 'rosgraph_msgs/msg/Clock'


def test_contract_topics_are_bridged_exactly(contract, bridge):
    """Bridged contract topics are in the YAML with the right types and direction; no extras."""
    by_name = {e['ros_topic_name']: e for e in bridge}
    bridged = [t for t in contract['topics'] if t['served_by'] == 'bridge']
    for topic in bridged:
        entry = by_name.get(topic['name'])
        assert entry is not None, topic['name'] + ' is missing from gz_bridge.yaml'
        assert entry['ros_type_name'] == topic['ros_type'], topic['name']
        assert entry['gz_type_name'] == topic['gz_type'], topic['name']
        assert entry['gz_topic_name'] == topic['gz_topic'], topic['name']
        assert entry['direction'] == DIRECTIONS[topic['direction']], topic['name']
        assert (topic['ros_type'], topic['gz_type']) in SUPPORTED_PAIRS, topic['name']
    extra = set(by_name) - {t['name'] for t in bridged}
    assert not extra, 'bridged but not in the contract: {}'.format(sorted(extra))


def test_contract_entries_are_complete(contract):
    """Every entry has a valid name, type, direction and server; services are the adapter's."""
    names = set()
    for topic in contract['topics']:
        assert ROS_NAME.match(topic['name']), topic
        assert topic['name'] not in names
        names.add(topic['name'])
        assert re.match(r'^\w+/msg/\w+$', topic['ros_type']), topic
        assert topic['direction'] in DIRECTIONS, topic
        assert topic['served_by'] in ('bridge', 'adapter'), topic
        assert ('gz_topic' in topic) == (topic['served_by'] == 'bridge'), topic
    services = {s['name']: s for s in contract['services']}
    assert services['/world/attach_tube']['ros_type'] == \
        'perseverance_interfaces/srv/AttachTube'
    assert services['/world/detach_tube']['ros_type'] == \
        'perseverance_interfaces/srv/DetachTube'
    assert all(s['served_by'] == 'adapter' for s in services.values())
    tube_poses = [t for t in contract['topics'] if t['name'] == '/world/tube_poses']
    assert tube_poses and tube_poses[0]['ros_type'] == 'geometry_msgs/msg/PoseArray'
    assert tube_poses[0]['frame_id'] == 'world'
    assert contract['default_tolerance_m'] == 0.05


def _plugins(elem):
    return {p.get('filename'): p for p in elem.findall('plugin')}


def _model(name):
    return ET.parse(os.path.join(MODELS_DIR, name, 'model.sdf')).getroot().find('model')


def gz_topics_in_sdf():
    """Gazebo topics the world's systems publish or subscribe, as the SDF configures them."""
    topics = {'/clock'}
    rover = _model('perseverance')
    plugins = _plugins(rover)
    topics.add(plugins['gz-sim-diff-drive-system'].findtext('topic'))
    topics.add(plugins['gz-sim-odometry-publisher-system'].findtext('odom_topic'))
    topics.add(plugins['gz-sim-joint-state-publisher-system'].findtext('topic'))
    topics.add(plugins['gz-sim-joint-trajectory-controller-system'].findtext('topic'))
    steering = [p for p in rover.findall('plugin')
                if p.get('filename') == 'gz-sim-joint-position-controller-system']
    assert len(steering) == 4, 'one steering controller per corner wheel'
    topics.update(p.findtext('topic') for p in steering)
    for sensor in rover.iter('sensor'):
        image = sensor.findtext('topic')
        topics.add(image)
        topics.add(image.rsplit('/', 1)[0] + '/camera_info')  # gz-sensors' derived name
    lander = _plugins(_model('sample_retrieval_lander'))
    topics.add(lander['gz-sim-joint-state-publisher-system'].findtext('topic'))
    topics.add(lander['gz-sim-joint-trajectory-controller-system'].findtext('topic'))
    heli = _plugins(_model('sample_recovery_helicopter'))
    assert heli['gz-sim-odometry-publisher-system'].find('odom_topic') is None
    # A literal topic would be shared by the four instances: gz's per-instance default it is.
    assert heli['gz-sim-joint-state-publisher-system'].find('topic') is None
    sub_topic = heli['gz-sim-joint-position-controller-system'].findtext('sub_topic')
    world = ET.parse(WORLD).getroot().find('world')
    for inc in world.findall('include'):
        name = inc.findtext('name')
        if not inc.findtext('uri').endswith('/sample_recovery_helicopter'):
            continue
        control = _plugins(inc)['gz-sim-multicopter-control-system']
        namespace = control.findtext('robotNamespace')
        assert namespace == name, 'robotNamespace must be the instance name'
        topics.add('/{}/{}'.format(namespace, control.findtext('commandSubTopic')))
        topics.add('/{}/{}'.format(namespace, control.findtext('enableSubTopic')))
        topics.add('/model/{}/odometry'.format(name))  # OdometryPublisher default
        # JointStatePublisher default
        topics.add('/world/{}/model/{}/joint_state'.format(world.get('name'), name))
        topics.add('/model/{}/{}'.format(name, sub_topic))
    return topics


def test_bridge_gz_topics_exist_in_sdf(bridge):
    """The Gazebo side of every bridge entry is a topic the SDF's systems actually use."""
    known = gz_topics_in_sdf()
    for entry in bridge:
        assert entry['gz_topic_name'] in known, entry['gz_topic_name']


def test_every_helicopter_has_its_topics(contract):
    """helicopter_<i> in the world <=> its cmd_vel, enable, odometry, joint state, arm entries."""
    world = ET.parse(WORLD).getroot().find('world')
    helis = sorted(inc.findtext('name') for inc in world.findall('include')
                   if inc.findtext('uri').endswith('/sample_recovery_helicopter'))
    assert helis == ['helicopter_%d' % i for i in range(1, 5)]
    names = {t['name'] for t in contract['topics']}
    in_contract = {n.split('/')[2] for n in names if n.startswith('/model/helicopter_')}
    assert in_contract == set(helis)
    for heli in helis:
        for leaf in ('cmd_vel', 'enable', 'odometry', 'joint_states', 'arm/cmd_pos'):
            assert '/model/{}/{}'.format(heli, leaf) in names
