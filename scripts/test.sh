#!/usr/bin/env bash
# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
#
# Set up (idempotent, with the test tools), then run every test: unit, lint, SDF validation and
# the real-process ROS 2 tests. Extra arguments go to pytest, e.g. scripts/test.sh -k ledger
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh" --with-test-tools
# Loopback-only discovery for the test process and every node it starts; each test also takes
# its own ROS_DOMAIN_ID (see perseverance_sim/test/ros_harness.py).
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
export PYTHONUNBUFFERED=1
cd "$ROOT/perseverance_sim"
exec "$ROOT/.venv/bin/python" -m pytest test "$@"
