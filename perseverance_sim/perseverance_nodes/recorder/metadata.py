# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
rosbag2's bag metadata (version 9, what Jazzy writes and reads) for one MCAP file.

The same content goes twice where rosbag2 puts it: as ``metadata.yaml`` beside the .mcap, under
``rosbag2_bagfile_information`` (what ``ros2 bag info DIR`` / ``ros2 bag play DIR`` and rosbags'
reader open), and without that key in the MCAP metadata record ``rosbag2``
(``serialized_metadata``; what rosbag2 reads when it is given the .mcap alone). Keys and their
order follow rosbag2_storage's YAML conversion: durations as ``nanoseconds``, the start as
``nanoseconds_since_epoch`` (here nanoseconds of simulation time), QoS policies by name
(``keep_last``, ``reliable``, ``transient_local``, ``automatic``; ``unknown`` where DDS does not
say, as for the history of a discovered publisher) and durations of QoS as ``sec`` / ``nsec``.
"""

from dataclasses import dataclass, field

import yaml

METADATA_VERSION = 9          # rosbag2_storage BagMetadata::version in Jazzy
STORAGE_IDENTIFIER = 'mcap'
SERIALIZATION_FORMAT = 'cdr'
METADATA_FILE = 'metadata.yaml'
ROS_DISTRO = 'jazzy'
INFINITE_NS = 2 ** 63 - 1     # RMW_DURATION_INFINITE: deadline, lifespan, lease left unset


def qos_duration(nanoseconds):
    """Return a QoS duration as rosbag2 writes it: {sec, nsec}."""
    nanoseconds = int(nanoseconds)
    return {'sec': nanoseconds // 1000000000, 'nsec': nanoseconds % 1000000000}


def offered_qos(history='unknown', depth=0, reliability='reliable', durability='volatile',
                deadline_ns=INFINITE_NS, lifespan_ns=INFINITE_NS, liveliness='automatic',
                lease_ns=INFINITE_NS, avoid_ros_namespace_conventions=False):
    """Return one offered QoS profile in rosbag2's version-9 form (policies by name)."""
    return {'history': history, 'depth': int(depth), 'reliability': reliability,
            'durability': durability, 'deadline': qos_duration(deadline_ns),
            'lifespan': qos_duration(lifespan_ns), 'liveliness': liveliness,
            'liveliness_lease_duration': qos_duration(lease_ns),
            'avoid_ros_namespace_conventions': bool(avoid_ros_namespace_conventions)}


@dataclass
class TopicRecord:
    """One recorded topic: what rosbag2 keeps of it, and its message count."""

    name: str
    type_name: str                       # pkg/msg/Type
    offered_qos_profiles: list = field(default_factory=list)   # offered_qos() dicts
    type_description_hash: str = ''      # RIHS01_...
    message_count: int = 0

    def as_metadata(self):
        """Return its topics_with_message_count entry."""
        return {'topic_metadata': {
            'name': self.name, 'type': self.type_name,
            'serialization_format': SERIALIZATION_FORMAT,
            'offered_qos_profiles': list(self.offered_qos_profiles),
            'type_description_hash': self.type_description_hash},
            'message_count': self.message_count}


def bag_metadata(file_name, topics, starting_time_ns, duration_ns):
    """
    Return the BagMetadata of one MCAP file ``file_name`` holding ``topics`` (TopicRecord).

    ``starting_time_ns`` is the first message's log time, ``duration_ns`` the last one's minus
    it (both 0 for a bag without messages).
    """
    count = sum(topic.message_count for topic in topics)
    return {
        'version': METADATA_VERSION,
        'storage_identifier': STORAGE_IDENTIFIER,
        'duration': {'nanoseconds': int(duration_ns)},
        'starting_time': {'nanoseconds_since_epoch': int(starting_time_ns)},
        'message_count': count,
        'topics_with_message_count': [topic.as_metadata() for topic in topics],
        'compression_format': '',      # chunk compression is the storage's business, not this
        'compression_mode': '',
        'relative_file_paths': [file_name],
        'files': [{'path': file_name,
                   'starting_time': {'nanoseconds_since_epoch': int(starting_time_ns)},
                   'duration': {'nanoseconds': int(duration_ns)},
                   'message_count': count}],
        'custom_data': None,
        'ros_distro': ROS_DISTRO,
    }


class _Dumper(yaml.SafeDumper):
    """YAML as yaml-cpp emits it for rosbag2: block style, sequences indented, ~ and ""."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_str(dumper, value):
    return dumper.represent_scalar('tag:yaml.org,2002:str', value, style='"' if not value
                                   else None)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(type(None), lambda dumper, _: dumper.represent_scalar(
    'tag:yaml.org,2002:null', '~'))


def to_yaml(data):
    """Return ``data`` as YAML text in rosbag2's layout (keys in the order given)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     width=1000)


def metadata_yaml(metadata):
    """Return the text of metadata.yaml for a BagMetadata."""
    return to_yaml({'rosbag2_bagfile_information': metadata})
