#!/usr/bin/env bash
# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
#
# Set up (idempotent), then run a sample-return campaign headless:
#   scripts/campaign.sh [perseverance-sim campaign options, e.g. --seed 7 --helicopters 2]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
export ROS_AUTOMATIC_DISCOVERY_RANGE="${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}"
# Without --scenario: the quick scenario (two rocks, a two-tube depot, one helicopter; about 2
# minutes on two cores). The full Three Forks story is config/scenarios/default.yaml.
case " $* " in
  *" --scenario "*|*" --scenario="*) ;;
  *) set -- --scenario "$ROOT/perseverance_sim/config/scenarios/quick.yaml" "$@" ;;
esac
exec "$ROOT/.venv/bin/perseverance-sim" campaign "$@"
