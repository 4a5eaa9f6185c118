# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The ROS layer: what every node shares on top of rclpy.

The node base and main, parameters, QoS profiles and contract names, the action server, service
calls, and the tube client every node uses to handle tubes through the world and the ledger.
"""
