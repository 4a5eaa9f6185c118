# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Keyboard teleoperation of the rover: a terminal UI over /rover/cmd_vel and the rover actions."""
