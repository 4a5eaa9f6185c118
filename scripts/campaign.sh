#!/usr/bin/env bash
# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
#
# Set up (idempotent), then run the sample-return campaign headless:
#   scripts/campaign.sh [perseverance-sim campaign options, e.g. --seed 7 --helicopters 2]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
export ROS_AUTOMATIC_DISCOVERY_RANGE="${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}"
exec "$ROOT/.venv/bin/perseverance-sim" campaign "$@"
