# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Rover subsystem: drive safety, navigation, arm, sample collection, depot drops."""
