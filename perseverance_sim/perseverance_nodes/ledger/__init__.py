# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Tube ledger: chain of custody of every tube in SQLite."""
