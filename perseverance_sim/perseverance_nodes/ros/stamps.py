# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Times in seconds from ROS stamps and clocks (no rclpy import: the runner loads it early)."""


def stamp_seconds(stamp):
    """Return a builtin_interfaces Time or Duration (a header stamp) in seconds."""
    return stamp.sec + stamp.nanosec * 1e-9


def clock_seconds(clock):
    """Return an rclpy clock's time now in seconds (sim time under use_sim_time)."""
    return clock.now().nanoseconds * 1e-9
