# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The domain layer: the mission's vocabulary in plain Python (no rclpy, no simulator).

Tubes and holders, mission facts, the site and scenarios, geometry, timelines and validation.
Every other layer may import it; it imports nothing of theirs.
"""
