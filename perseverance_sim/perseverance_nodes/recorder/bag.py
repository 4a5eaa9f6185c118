# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
A rosbag2 bag of one MCAP file, written the way rosbag2's MCAP storage plugin (Jazzy) writes it.

rosbag2_storage_mcap opens its writer with the ``ros2`` profile, chunks of 768 KiB (the MCAP C++
default) left uncompressed (its default; ``zstd`` is its zstd_fast preset's choice), one schema
per type (encoding ``ros2msg``, name ``pkg/msg/Type``, the full definition of definitions.py),
one channel per topic (message encoding ``cdr``, metadata ``offered_qos_profiles`` as a YAML
string and ``topic_type_hash``), and ends it with the summary (schemas and channels repeated,
statistics, chunk and metadata indices, summary offsets) so that readers can seek, plus the
metadata record ``rosbag2`` holding the bag's metadata. On close, metadata.yaml is written
beside the file, making its directory a bag that ``ros2 bag info`` and ``ros2 bag play`` open.

Messages go in as they arrived, serialised (CDR bytes); log and publish time are what the caller
gives (the recorder: its simulation clock at receipt, in ns).
"""

import os

from mcap.writer import CompressionType, LIBRARY_IDENTIFIER, Writer

from .metadata import (bag_metadata, METADATA_FILE, metadata_yaml, SERIALIZATION_FORMAT,
                       to_yaml, TopicRecord)

PROFILE = 'ros2'
SCHEMA_ENCODING = 'ros2msg'
CHUNK_SIZE = 768 * 1024       # bytes; McapWriterOptions::chunkSize, which rosbag2 keeps
COMPRESSIONS = {'none': CompressionType.NONE, 'zstd': CompressionType.ZSTD,
                'lz4': CompressionType.LZ4}
LIBRARY = 'perseverance_sim recorder, ' + LIBRARY_IDENTIFIER


class BagError(ValueError):
    """A bag used the wrong way: an unknown compression, topic or type, a closed bag."""


class McapBag:
    """One .mcap file being written, and its rosbag2 metadata."""

    def __init__(self, path, definitions, compression='none', chunk_size=CHUNK_SIZE):
        """
        Create ``path`` (its directory too); ``definitions`` is a DefinitionSource.

        The schema of each type is looked up when its first topic is added, so a missing
        definition is an error then, not at the first message.
        """
        if compression not in COMPRESSIONS:
            raise BagError('compression {!r}: one of {}'.format(
                compression, ', '.join(COMPRESSIONS)))
        self.path = os.path.abspath(path)
        self.directory = os.path.dirname(self.path)
        os.makedirs(self.directory, exist_ok=True)
        self.definitions = definitions
        self._stream = open(self.path, 'wb')
        self._writer = Writer(self._stream, chunk_size=chunk_size,
                              compression=COMPRESSIONS[compression])
        self._writer.start(profile=PROFILE, library=LIBRARY)
        self._schemas = {}        # type name -> schema id
        self._channels = {}       # topic -> channel id
        self.topics = {}          # topic -> TopicRecord, in the order they were added
        self._first = None        # log time of the first and last message (ns)
        self._last = None
        self.closed = False

    def schema(self, type_name):
        """Return the schema id of ``type_name``, registering it on first use."""
        if type_name not in self._schemas:
            text = self.definitions.full_text(type_name)
            self._schemas[type_name] = self._writer.register_schema(
                name=type_name, encoding=SCHEMA_ENCODING, data=text.encode('utf-8'))
        return self._schemas[type_name]

    def add_topic(self, name, type_name, offered_qos_profiles=(), type_hash=None):
        """
        Register topic ``name`` of ``type_name``; return its channel id (the same if known).

        ``offered_qos_profiles``: metadata.offered_qos() dicts of its publishers; ``type_hash``
        None looks the type's RIHS01 hash up in its type description.
        """
        self._check_open()
        if name in self._channels:
            return self._channels[name]
        if type_hash is None:
            type_hash = self.definitions.type_hash(type_name)
        record = TopicRecord(name, type_name, list(offered_qos_profiles), type_hash)
        self._channels[name] = self._writer.register_channel(
            topic=name, message_encoding=SERIALIZATION_FORMAT, schema_id=self.schema(type_name),
            metadata={'offered_qos_profiles': to_yaml(record.offered_qos_profiles),
                      'topic_type_hash': type_hash})
        self.topics[name] = record
        return self._channels[name]

    def write(self, topic, data, log_time_ns, publish_time_ns=None):
        """Write one serialised message of a registered ``topic``."""
        self._check_open()
        channel = self._channels.get(topic)
        if channel is None:
            raise BagError('topic {!r} was not added to {}'.format(topic, self.path))
        log_time_ns = int(log_time_ns)
        self._writer.add_message(
            channel_id=channel, log_time=log_time_ns, data=bytes(data),
            publish_time=log_time_ns if publish_time_ns is None else int(publish_time_ns))
        self.topics[topic].message_count += 1
        if self._first is None or log_time_ns < self._first:
            self._first = log_time_ns
        if self._last is None or log_time_ns > self._last:
            self._last = log_time_ns

    @property
    def message_count(self):
        """Return the number of messages written so far."""
        return sum(topic.message_count for topic in self.topics.values())

    def metadata(self):
        """Return the rosbag2 BagMetadata (a dict) of what was written so far."""
        start = self._first if self._first is not None else 0
        duration = (self._last - self._first) if self._first is not None else 0
        return bag_metadata(os.path.basename(self.path), list(self.topics.values()), start,
                            duration)

    def close(self):
        """Finish the .mcap (metadata record, summary) and write metadata.yaml; return it."""
        if self.closed:
            return self.metadata()
        metadata = self.metadata()
        self._writer.add_metadata('rosbag2', {'serialized_metadata': to_yaml(metadata)})
        self._writer.finish()
        self._stream.close()
        self.closed = True
        # metadata.yaml last: a directory whose metadata.yaml exists holds a finished bag.
        yaml_path = os.path.join(self.directory, METADATA_FILE)
        with open(yaml_path + '.part', 'w', encoding='utf-8') as stream:
            stream.write(metadata_yaml(metadata))
        os.replace(yaml_path + '.part', yaml_path)
        return metadata

    def _check_open(self):
        if self.closed:
            raise BagError('{} is closed'.format(self.path))
