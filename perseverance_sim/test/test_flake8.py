# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""flake8 with ament's configuration and plugins, over the whole package and the repo's tools."""

import configparser
import os

import ament_flake8
from ament_flake8.main import main_with_errors
from lint_targets import python_sources
import pytest


def _single_process_config(tmp_path):
    """
    Return ament's flake8 configuration with `jobs = 1`.

    flake8's process pool forks; a fork of this pytest process after the ROS tests started rclpy
    threads can deadlock on a lock held by one of them, so the check runs in-process.
    """
    config = configparser.ConfigParser()
    config.read(os.path.join(os.path.dirname(ament_flake8.__file__), 'configuration',
                             'ament_flake8.ini'))
    config['flake8']['jobs'] = '1'
    path = tmp_path / 'flake8.ini'
    with open(path, 'w') as handle:
        config.write(handle)
    return str(path)


@pytest.mark.flake8
@pytest.mark.linter
def test_flake8(tmp_path):
    """No flake8 errors (ament_flake8 rules: max line 99, google import order, quotes)."""
    rc, errors = main_with_errors(
        argv=['--config', _single_process_config(tmp_path)] + python_sources())
    assert rc == 0, 'Found {} code style errors / warnings:\n'.format(len(errors)) + \
        '\n'.join(errors)


def test_lint_targets_cover_the_package():
    """The lint run sees the node package itself, not an empty list."""
    sources = python_sources()
    assert any(os.path.basename(s) == 'setup.py' for s in sources)
    assert any(os.path.sep + 'perseverance_nodes' + os.path.sep in s for s in sources)
