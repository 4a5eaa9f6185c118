# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Sample recovery helicopters: flight plans, battery, velocity setpoints."""
