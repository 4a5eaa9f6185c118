# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The ``recorder`` node: the campaign as a ROS 2 bag (MCAP, as rosbag2 writes it).

    recorder --ros-args -p output:=runs/<ts>/campaign.mcap -p use_sim_time:=true
             [-p record_images:=true -p image_rate:=1.0] [-p compression:=zstd]
             [-p helicopters:=N]

  sub  every topic of recorder/topics.py (the world contract but images, /tube_inventory,
       /custody_events, /mission_status, /faults), raw: the CDR bytes as they arrive, never
       deserialised; the mast camera image too with record_images, at most image_rate Hz

Each message is written with its log and publish time set to the node's clock at receipt (sim
time: run it with use_sim_time). A topic's channel is added at its first message, with the QoS
its publishers offer then (as rosbag2 records them). On shutdown (SIGINT) the .mcap is finished
and metadata.yaml written beside it, so its directory is a bag for ``ros2 bag info`` and
``ros2 bag play``. The parameter services are started only once every subscription exists: a
runner that waits for them knows that the recording has begun.
"""

import importlib

from rclpy.parameter_service import ParameterService

from .bag import COMPRESSIONS, McapBag
from .definitions import DefinitionSource
from .metadata import offered_qos
from .topics import (CONTRACT, EVENTS, FAULT_HISTORY, LATCHED_STATE, recorded_topics,
                     Throttle)
from ..ros.contract import CONTRACT_QOS, EVENTS_QOS, FAULT_QOS, LATCHED, WORLD_HELICOPTERS
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.parameters import declare

SUBSCRIPTION_QOS = {CONTRACT: CONTRACT_QOS, LATCHED_STATE: LATCHED, FAULT_HISTORY: FAULT_QOS,
                    EVENTS: EVENTS_QOS}


def message_type(type_name):
    """Return the message class of 'pkg/msg/Type' (raw subscriptions still need its support)."""
    package, _, name = type_name.split('/')
    return getattr(importlib.import_module('{}.msg'.format(package)), name)


def offered_qos_of(profile):
    """
    Return an rclpy QoSProfile (a publisher's, from the graph) as metadata.offered_qos().

    rclpy's short keys of the policies are rmw's names, which rosbag2 writes ('unknown' too).
    """
    return offered_qos(
        history=profile.history.short_key, depth=profile.depth,
        reliability=profile.reliability.short_key, durability=profile.durability.short_key,
        deadline_ns=profile.deadline.nanoseconds, lifespan_ns=profile.lifespan.nanoseconds,
        liveliness=profile.liveliness.short_key,
        lease_ns=profile.liveliness_lease_duration.nanoseconds,
        avoid_ros_namespace_conventions=profile.avoid_ros_namespace_conventions)


class RecorderNode(LeanNode):
    """Raw subscriptions into one McapBag."""

    def __init__(self):
        """Declare the parameters, open the bag, subscribe; then serve the parameters."""
        super().__init__('recorder', start_parameter_services=False, enable_rosout=False)
        output = declare(self, 'output', 'campaign.mcap', 'the .mcap file to write '
                         '(metadata.yaml goes beside it; relative paths are from the working '
                         'directory)', read_only=True)
        record_images = declare(self, 'record_images', False, 'also record the mast camera '
                                'image, throttled to image_rate', read_only=True)
        image_rate = declare(self, 'image_rate', 1.0, 'mast camera frames recorded per second '
                             'of sim time, at most (Hz)', 0.01, 30.0, read_only=True)
        compression = declare(self, 'compression', 'none', 'chunk compression: {} (rosbag2 '
                              'writes none by default)'.format(', '.join(COMPRESSIONS)),
                              read_only=True)
        helicopters = declare(self, 'helicopters', len(WORLD_HELICOPTERS), 'record the first '
                              'N helicopters of the world (a parked one still streams 30 '
                              'messages per second of sim time)', 0, len(WORLD_HELICOPTERS),
                              read_only=True)
        definitions = DefinitionSource()
        topics = recorded_topics(record_images, 1.0 / image_rate,
                                 WORLD_HELICOPTERS[:helicopters])
        for type_name in sorted({topic.type_name for topic in topics}):
            definitions.full_text(type_name)  # a missing definition stops the node, no file
        self.bag = McapBag(output, definitions, compression)
        self._types = {topic.name: topic.type_name for topic in topics}
        self._throttles = {topic.name: Throttle(topic.min_period) for topic in topics
                           if topic.min_period > 0}
        self._registered = set()
        self._clock = self.get_clock()
        for topic in topics:
            self.create_subscription(
                message_type(topic.type_name), topic.name,
                lambda data, name=topic.name: self._on_message(name, data),
                SUBSCRIPTION_QOS[topic.qos], raw=True)
        self._parameter_service = ParameterService(self)
        self.log_message('recording {} topics to {}{}'.format(
            len(topics), self.bag.path, ' (with the mast camera image)' if record_images else
            ''))

    def _on_message(self, topic, data):
        now = self._clock.now().nanoseconds
        throttle = self._throttles.get(topic)
        if throttle is not None and not throttle.admits(now):
            return
        if topic not in self._registered:
            self._registered.add(topic)
            self.bag.add_topic(topic, self._types[topic], [
                offered_qos_of(info.qos_profile)
                for info in self.get_publishers_info_by_topic(topic)])
        self.bag.write(topic, data, now)

    def destroy_node(self):
        """Finish the bag and metadata.yaml, then destroy the node."""
        metadata = self.bag.close()
        self.log_message('recorded {} messages on {} topics to {}'.format(
            metadata['message_count'], len(metadata['topics_with_message_count']),
            self.bag.path))
        super().destroy_node()


def main(args=None):
    """Run the recorder node."""
    return spin_node(RecorderNode, args)
