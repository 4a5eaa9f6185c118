# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures of the embedded world backend tests (no ROS)."""

import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
PACKAGE = HERE.parents[1]
if str(PACKAGE) not in sys.path:
    sys.path.insert(0, str(PACKAGE))

# Import the backend before anything imports mujoco: it picks the GL back-end (MUJOCO_GL).
import perseverance_nodes.world  # noqa: E402,F401,I100

FIXTURES = HERE / 'fixtures'
FIXTURE_MODELS = FIXTURES / 'models'
FIXTURE_WORLD = FIXTURES / 'worlds' / 'test_world.sdf'
REAL_MODELS = PACKAGE / 'models'
REAL_WORLD = PACKAGE / 'worlds' / 'jezero.sdf'


@pytest.fixture
def fixture_engine():
    """Build a WorldEngine on the fixture world (fresh per test)."""
    from perseverance_nodes.world.engine import WorldEngine

    def make(**kwargs):
        return WorldEngine(str(FIXTURE_WORLD), [str(FIXTURE_MODELS)], **kwargs)
    return make
