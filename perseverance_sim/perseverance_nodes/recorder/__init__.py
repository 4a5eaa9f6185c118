# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The recorder: a campaign as a ROS 2 bag (one MCAP file and rosbag2's metadata.yaml).

topics (what is recorded, with which QoS, images throttled), definitions (the full message
definitions rosbag2 puts in an MCAP schema, from the installed .msg files), metadata (rosbag2's
bag metadata, version 9), bag (the MCAP writer) are pure; node.py subscribes raw and writes.
"""
