# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The runner layer: what starts and drives the simulation from outside.

The `perseverance-sim` CLI, the campaign runner, bring-up from the one node table (which
launch/mission.launch.py reads too), the teleop session, processes and the domain lease.
"""
