# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Shared pure logic: tube catalogue, holders, faults, mission facts, timelines."""
