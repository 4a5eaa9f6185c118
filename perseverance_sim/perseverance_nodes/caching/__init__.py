# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Adaptive Caching Assembly: stations, seals, Bore Sweep recovery, tube inventory."""
