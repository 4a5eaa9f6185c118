# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""The files the linters and the licence check look at: every source file we own."""

import os
import subprocess

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(PACKAGE_DIR)
SKIP_DIRS = {'.git', '.venv', 'build', 'install', 'log', '__pycache__', '.pytest_cache'}
SOURCE_SUFFIXES = ('.py', '.sh', '.msg', '.srv', '.action', '.sdf', '.xml', '.cfg', '.yaml',
                   '.txt', '.in')


def _walk(top, suffixes):
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and
                             not d.endswith('.egg-info'))
        for name in sorted(filenames):
            if name.endswith(suffixes):
                yield os.path.join(dirpath, name)


def tracked_files():
    """Files git tracks or would add (respecting .gitignore); a plain walk outside git."""
    try:
        out = subprocess.run(
            ['git', 'ls-files', '--cached', '--others', '--exclude-standard'], cwd=REPO_DIR,
            check=True, capture_output=True, text=True).stdout
        return [os.path.join(REPO_DIR, line) for line in out.splitlines()
                if os.path.exists(os.path.join(REPO_DIR, line))]
    except (OSError, subprocess.CalledProcessError):
        return list(_walk(REPO_DIR, SOURCE_SUFFIXES))


def python_sources():
    """Every Python file of the repository (package, tests, bench, scripts)."""
    return [f for f in tracked_files() if f.endswith('.py')]


def licensed_sources():
    """Every source file that must carry the licence header."""
    return [f for f in tracked_files() if f.endswith(SOURCE_SUFFIXES) or
            os.path.basename(f) in ('CMakeLists.txt', 'Makefile') or
            _is_script(f)]


def _is_script(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read(2) == b'#!'
    except OSError:
        return False
