# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Perseverance sample-return simulation nodes: one sub-package per subsystem."""
