# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Sample retrieval lander: transfer arm, Orbiting Sample container, MAV launch."""
