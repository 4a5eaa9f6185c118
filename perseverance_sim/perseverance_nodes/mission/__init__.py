# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Mission control: scenarios, fault schedule, campaign planning, reports."""
