# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The recorder's pure parts: definitions, rosbag2 metadata, the MCAP bag, the topic table.

A bag written from a few CDR messages is read back by two independent readers, rosbags (through
metadata.yaml, as `ros2 bag` opens a bag directory) and mcap_ros2 (the .mcap alone, decoding
from the schema text only), and both must give back the values that went in.
"""

import os
from pathlib import Path

from geometry_msgs.msg import Point, Pose
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
from nav_msgs.msg import Odometry
from perseverance_interfaces.msg import TubeInventory, TubeState
from perseverance_nodes.recorder.bag import BagError, McapBag
from perseverance_nodes.recorder.definitions import (DefinitionError, DefinitionSource, DELIMITER,
                                                     field_dependencies, package_share)
from perseverance_nodes.recorder.metadata import INFINITE_NS, metadata_yaml, offered_qos
from perseverance_nodes.recorder.node import offered_qos_of
from perseverance_nodes.recorder.topics import (FAULT_HISTORY, LATCHED_STATE, recorded_topics,
                                                Throttle)
from perseverance_nodes.ros import contract
import pytest
from rclpy.duration import Duration
from rclpy.qos import (DurabilityPolicy, HistoryPolicy, LivelinessPolicy, QoSProfile,
                       ReliabilityPolicy)
from rclpy.serialization import serialize_message
from rosbags.highlevel import AnyReader
import yaml

SOURCE = DefinitionSource()


def _mcap_messages(path, topics=None):
    """Return the (schema, channel, message, decoded) of an .mcap, decoded by mcap_ros2 alone."""
    with open(path, 'rb') as stream:
        reader = make_reader(stream, decoder_factories=[DecoderFactory()])
        return list(reader.iter_decoded_messages(topics=topics))


def _sections(text):
    """Return [(type name, text)] of a schema: the root (name None), then each MSG: part."""
    parts = text.split('\n{}\n'.format(DELIMITER))
    sections = [(None, parts[0])]
    for part in parts[1:]:
        header, _, body = part.partition('\n')
        assert header.startswith('MSG: '), header
        sections.append((header[len('MSG: '):], body))
    return sections


def _msg_file(type_name):
    package, message = type_name.split('/')
    return (Path(package_share(package, SOURCE.prefixes)) / 'msg' / (message + '.msg')).read_text()


def test_odometry_definition_is_its_msg_then_every_nested_type_once_depth_first():
    """rosbag2's order: a type's dependencies sorted, each followed by its own, none twice."""
    sections = _sections(SOURCE.full_text('nav_msgs/msg/Odometry'))
    assert [name for name, _ in sections] == [
        None, 'geometry_msgs/PoseWithCovariance', 'geometry_msgs/Pose', 'geometry_msgs/Point',
        'geometry_msgs/Quaternion', 'geometry_msgs/TwistWithCovariance', 'geometry_msgs/Twist',
        'geometry_msgs/Vector3', 'std_msgs/Header', 'builtin_interfaces/Time']
    assert sections[0][1] == _msg_file('nav_msgs/Odometry')  # the file as installed, comments too
    for name, text in sections[1:]:
        assert text == _msg_file(name)


def test_our_inventory_definition_resolves_relative_names_in_its_own_package():
    """Our `TubeState[] tubes` means perseverance_interfaces/TubeState; Time comes once."""
    sections = _sections(SOURCE.full_text('perseverance_interfaces/msg/TubeInventory'))
    assert [name for name, _ in sections] == [
        None, 'perseverance_interfaces/TubeState', 'builtin_interfaces/Time',
        'geometry_msgs/Pose', 'geometry_msgs/Point', 'geometry_msgs/Quaternion',
        'std_msgs/Header']
    assert 'TubeState[] tubes' in sections[0][1]


def test_field_types_are_read_from_field_lines_only():
    """Arrays, bounds, constants, comments, builtins and relative names."""
    text = '\n'.join([
        '# Pose in a comment, geometry_msgs/Fake too',
        'uint8 KIND_A = 1            # a constant',
        'Header header',
        'Point[] points',
        'geometry_msgs/Pose[3] poses',
        'geometry_msgs/Twist[<=2] twists',
        'string<=8 name',
        'wstring wide',
        'float64[36] covariance',
        '',
        '   Quaternion   q   # indented',
    ])
    assert field_dependencies(text, 'std_msgs') == [
        'geometry_msgs/Pose', 'geometry_msgs/Twist', 'std_msgs/Header', 'std_msgs/Point',
        'std_msgs/Quaternion']


def test_a_missing_definition_is_named_with_where_it_was_looked_for(tmp_path):
    """Unknown packages and malformed names are errors that say which and where."""
    source = DefinitionSource(prefixes=[str(tmp_path)])
    with pytest.raises(DefinitionError, match='nav_msgs.*{}'.format(tmp_path)):
        source.full_text('nav_msgs/msg/Odometry')
    with pytest.raises(DefinitionError, match='pkg/msg/Type'):
        SOURCE.full_text('nav_msgs/srv/Odometry')
    with pytest.raises(DefinitionError, match='NoSuchType.msg'):
        SOURCE.full_text('nav_msgs/msg/NoSuchType')


def test_type_hash_comes_from_the_type_description():
    """RIHS01 and 64 hex digits, the one rosidl generated for the type."""
    digest = SOURCE.type_hash('nav_msgs/msg/Odometry')
    assert digest.startswith('RIHS01_') and len(digest) == 7 + 64
    assert SOURCE.type_hash('perseverance_interfaces/msg/TubeInventory') != digest


def _inventory(sequence, holder):
    return TubeInventory(last_event_sequence=sequence, tubes=[
        TubeState(tube_id='tube_01', holder=holder, seal=TubeState.SEAL_SEALED,
                  pose=Pose(position=Point(x=1.5, y=-2.0, z=0.89))),
        TubeState(tube_id='tube_02', holder='rover/caching_assembly')])


LATCHED_QOS = offered_qos(durability='transient_local')


def _write_bag(path, compression='none'):
    """Write 5 odometry messages and 2 inventories (sim time 10 s on); return the bag."""
    bag = McapBag(path, SOURCE, compression=compression)
    bag.add_topic('/model/perseverance/odometry', 'nav_msgs/msg/Odometry', [offered_qos()])
    bag.add_topic('/tube_inventory', 'perseverance_interfaces/msg/TubeInventory', [LATCHED_QOS])
    for i in range(5):
        odometry = Odometry(child_frame_id='perseverance/base_footprint')
        odometry.header.frame_id = 'world'
        odometry.pose.pose.position.x = 32.0 - i
        bag.write('/model/perseverance/odometry', serialize_message(odometry),
                  10_000_000_000 + i * 50_000_000)
    bag.write('/tube_inventory', serialize_message(_inventory(1, 'rover/arm')), 10_100_000_000)
    bag.write('/tube_inventory', serialize_message(_inventory(2, 'depot/slot_01')),
              10_300_000_000)
    bag.close()
    return bag


def test_metadata_yaml_is_rosbag2_jazzy_version_9(tmp_path):
    """What `ros2 bag info DIR` reads: every key rosbag2_storage decodes, in its formats."""
    _write_bag(str(tmp_path / 'campaign.mcap'))
    info = yaml.safe_load((tmp_path / 'metadata.yaml').read_text())['rosbag2_bagfile_information']
    assert list(info) == [
        'version', 'storage_identifier', 'duration', 'starting_time', 'message_count',
        'topics_with_message_count', 'compression_format', 'compression_mode',
        'relative_file_paths', 'files', 'custom_data', 'ros_distro']
    assert (info['version'], info['storage_identifier'], info['ros_distro']) == \
        (9, 'mcap', 'jazzy')
    assert info['starting_time'] == {'nanoseconds_since_epoch': 10_000_000_000}  # sim time
    assert info['duration'] == {'nanoseconds': 300_000_000}
    assert info['message_count'] == 7
    assert info['relative_file_paths'] == ['campaign.mcap']
    assert info['files'] == [{'path': 'campaign.mcap',
                              'starting_time': {'nanoseconds_since_epoch': 10_000_000_000},
                              'duration': {'nanoseconds': 300_000_000}, 'message_count': 7}]
    assert (info['compression_format'], info['compression_mode'], info['custom_data']) == \
        ('', '', None)
    odometry, inventory = info['topics_with_message_count']
    assert odometry['message_count'] == 5 and inventory['message_count'] == 2
    topic = inventory['topic_metadata']
    assert (topic['name'], topic['type'], topic['serialization_format']) == \
        ('/tube_inventory', 'perseverance_interfaces/msg/TubeInventory', 'cdr')
    assert topic['type_description_hash'] == SOURCE.type_hash(topic['type'])
    assert topic['offered_qos_profiles'] == [{
        'history': 'unknown', 'depth': 0, 'reliability': 'reliable',
        'durability': 'transient_local', 'deadline': {'sec': 9223372036, 'nsec': 854775807},
        'lifespan': {'sec': 9223372036, 'nsec': 854775807}, 'liveliness': 'automatic',
        'liveliness_lease_duration': {'sec': 9223372036, 'nsec': 854775807},
        'avoid_ros_namespace_conventions': False}]
    text = (tmp_path / 'metadata.yaml').read_text()
    assert 'custom_data: ~' in text and 'compression_format: ""' in text  # as yaml-cpp writes


def test_the_mcap_is_what_rosbag2s_mcap_storage_writes(tmp_path):
    """ros2 profile, ros2msg schemas, cdr channels with QoS metadata, a seekable summary."""
    _write_bag(str(tmp_path / 'campaign.mcap'))
    with open(tmp_path / 'campaign.mcap', 'rb') as stream:
        reader = make_reader(stream)
        assert reader.get_header().profile == 'ros2'
        summary = reader.get_summary()
        schemas = {s.name: s for s in summary.schemas.values()}
        assert set(schemas) == {'nav_msgs/msg/Odometry',
                                'perseverance_interfaces/msg/TubeInventory'}
        assert {s.encoding for s in schemas.values()} == {'ros2msg'}
        assert schemas['nav_msgs/msg/Odometry'].data.decode() == \
            SOURCE.full_text('nav_msgs/msg/Odometry')
        channels = {c.topic: c for c in summary.channels.values()}
        assert {c.message_encoding for c in channels.values()} == {'cdr'}
        latched = channels['/tube_inventory'].metadata
        assert yaml.safe_load(latched['offered_qos_profiles']) == [LATCHED_QOS]
        assert latched['topic_type_hash'].startswith('RIHS01_')
        assert summary.statistics.message_count == 7
        assert summary.statistics.channel_message_counts == {
            channels['/model/perseverance/odometry'].id: 5, channels['/tube_inventory'].id: 2}
        assert summary.chunk_indexes and all(c.message_index_offsets
                                             for c in summary.chunk_indexes)
        records = [m for m in reader.iter_metadata() if m.name == 'rosbag2']
        assert len(records) == 1
        embedded = yaml.safe_load(records[0].metadata['serialized_metadata'])
        assert embedded['message_count'] == 7 and embedded['version'] == 9


@pytest.mark.parametrize('compression', ['none', 'zstd'])
def test_both_readers_decode_what_went_in(tmp_path, compression):
    """Both rosbags (metadata.yaml) and mcap_ros2 (the schema text) decode the same messages."""
    _write_bag(str(tmp_path / 'campaign.mcap'), compression)
    with AnyReader([tmp_path]) as reader:
        assert {c.topic: c.msgcount for c in reader.connections} == {
            '/model/perseverance/odometry': 5, '/tube_inventory': 2}
        decoded = [(c.topic, t, reader.deserialize(raw, c.msgtype))
                   for c, t, raw in reader.messages()]
    odometry = [m for topic, _, m in decoded if topic == '/model/perseverance/odometry']
    assert [m.pose.pose.position.x for m in odometry] == [32.0, 31.0, 30.0, 29.0, 28.0]
    assert odometry[0].child_frame_id == 'perseverance/base_footprint'
    last = [m for topic, _, m in decoded if topic == '/tube_inventory'][-1]
    assert last.last_event_sequence == 2
    assert [(t.tube_id, t.holder, t.seal) for t in last.tubes] == [
        ('tube_01', 'depot/slot_01', TubeState.SEAL_SEALED),
        ('tube_02', 'rover/caching_assembly', TubeState.SEAL_UNSEALED)]
    assert [t for _, t, _ in decoded][:2] == [10_000_000_000, 10_050_000_000]

    messages = _mcap_messages(tmp_path / 'campaign.mcap')
    assert [m.channel.topic for m in messages].count('/tube_inventory') == 2
    inventory = [m for m in messages if m.channel.topic == '/tube_inventory'][-1]
    assert inventory.message.log_time == inventory.message.publish_time == 10_300_000_000
    assert [(t.tube_id, t.holder, t.seal, t.pose.position.z)
            for t in inventory.decoded_message.tubes] == [
        ('tube_01', 'depot/slot_01', 1, 0.89), ('tube_02', 'rover/caching_assembly', 0, 0.0)]
    first = next(m.decoded_message for m in messages
                 if m.channel.topic == '/model/perseverance/odometry')
    assert first.header.frame_id == 'world' and first.pose.pose.position.x == 32.0


def test_a_bag_refuses_misuse_and_an_empty_bag_is_still_a_bag(tmp_path):
    """Unknown compression, an unregistered topic, writing after close; 0 messages is valid."""
    with pytest.raises(BagError, match='compression'):
        McapBag(str(tmp_path / 'x.mcap'), SOURCE, compression='bz2')
    bag = McapBag(str(tmp_path / 'empty' / 'campaign.mcap'), SOURCE)
    with pytest.raises(BagError, match='/nowhere'):
        bag.write('/nowhere', b'', 0)
    metadata = bag.close()
    assert metadata['message_count'] == 0 and metadata['topics_with_message_count'] == []
    with pytest.raises(BagError, match='closed'):
        bag.add_topic('/clock', 'rosgraph_msgs/msg/Clock')
    with AnyReader([tmp_path / 'empty']) as reader:
        assert reader.message_count == 0
    assert metadata_yaml(metadata).startswith('rosbag2_bagfile_information:\n  version: 9\n')


def test_publisher_qos_is_written_by_policy_name():
    """A discovered publisher's QoS (history unknown to DDS, durations infinite) as rosbag2's."""
    infinite = Duration(nanoseconds=INFINITE_NS)
    discovered = QoSProfile(depth=0, history=HistoryPolicy.UNKNOWN,
                            reliability=ReliabilityPolicy.RELIABLE,
                            durability=DurabilityPolicy.TRANSIENT_LOCAL, deadline=infinite,
                            lifespan=infinite, liveliness=LivelinessPolicy.AUTOMATIC,
                            liveliness_lease_duration=infinite)
    assert offered_qos_of(discovered) == LATCHED_QOS
    local = offered_qos_of(QoSProfile(depth=10, reliability=ReliabilityPolicy.BEST_EFFORT))
    assert {key: local[key] for key in ('history', 'depth', 'reliability', 'durability',
                                        'liveliness', 'deadline')} == {
        'history': 'keep_last', 'depth': 10, 'reliability': 'best_effort',
        'durability': 'volatile', 'liveliness': 'system_default',
        'deadline': {'sec': 0, 'nsec': 0}}


def test_the_recorded_topics_are_the_contract_and_the_mission_state():
    """The world contract's topics but images, all four helicopters, latched state latched."""
    topics = {t.name: t for t in recorded_topics()}
    assert contract.ROVER_MAST_CAMERA_IMAGE not in topics
    for name in (contract.CLOCK, contract.ROVER_ODOMETRY, contract.ROVER_JOINT_STATES,
                 contract.LANDER_JOINT_STATES, contract.TUBE_POSES, contract.ROVER_CMD_VEL,
                 contract.ROVER_ARM_TRAJECTORY, contract.LANDER_ARM_TRAJECTORY,
                 contract.ROVER_MAST_CAMERA_INFO, contract.rover_steer_topic('rear_right'),
                 '/model/helicopter_4/odometry', '/model/helicopter_4/joint_states',
                 '/model/helicopter_1/cmd_vel', '/model/helicopter_1/enable',
                 '/model/helicopter_3/arm/cmd_pos', contract.CUSTODY_EVENTS):
        assert name in topics, name
    assert len(topics) == 1 + 4 + 4 + 3 + 5 * 4 + 1 + 4
    assert topics[contract.TUBE_INVENTORY].qos == LATCHED_STATE
    assert topics[contract.MISSION_STATUS].qos == LATCHED_STATE
    assert topics[contract.FAULTS].qos == FAULT_HISTORY
    assert all(t.min_period == 0 for t in topics.values())
    for topic in topics.values():  # every type has a definition to write
        assert SOURCE.full_text(topic.type_name)
    image = {t.name: t for t in recorded_topics(True, 2.0)}[contract.ROVER_MAST_CAMERA_IMAGE]
    assert (image.type_name, image.min_period) == ('sensor_msgs/msg/Image', 2.0)
    with pytest.raises(ValueError, match='image_period'):
        recorded_topics(True, 0.0)


def test_throttle_keeps_one_frame_a_period_of_a_jittering_source():
    """10 Hz throttled to 1 Hz keeps 1 a second; 1 Hz arriving a clock tick off keeps all."""
    throttle = Throttle(1.0)
    kept = [t for t in range(0, 100_000_000_000, 100_000_000) if throttle.admits(t)]
    assert len(kept) == 1 + 100  # t = 0, then one per second, taken up to a quarter early
    assert all(b - a >= 750_000_000 for a, b in zip(kept, kept[1:]))
    throttle = Throttle(1.0)
    arrivals = [0, 948_000_000, 2_000_000_000, 3_052_000_000, 3_948_000_000, 5_000_000_000]
    assert [throttle.admits(t) for t in arrivals] == [True] * 6
    throttle = Throttle(1.0)  # after a pause (no frames) the grid starts again from the next
    assert [throttle.admits(t) for t in (0, 10_000_000_000, 10_500_000_000,
                                         10_800_000_000)] == [True, True, False, True]
    assert all(Throttle(0.0).admits(t) for t in (0, 0, 1))


def test_the_bag_directory_holds_nothing_but_what_it_names(tmp_path):
    """close() leaves the .mcap and metadata.yaml (no temporary file) in the run directory."""
    _write_bag(str(tmp_path / 'campaign.mcap'))
    assert sorted(os.listdir(tmp_path)) == ['campaign.mcap', 'metadata.yaml']
