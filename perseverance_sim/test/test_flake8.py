# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""flake8 with ament's configuration and plugins, over the whole package and the repo's tools."""

import os

from ament_flake8.main import main_with_errors
import pytest

from lint_targets import python_sources


@pytest.mark.flake8
@pytest.mark.linter
def test_flake8():
    """No flake8 errors (ament_flake8 rules: max line 99, google import order, quotes)."""
    rc, errors = main_with_errors(argv=python_sources())
    assert rc == 0, 'Found {} code style errors / warnings:\n'.format(len(errors)) + \
        '\n'.join(errors)


def test_lint_targets_cover_the_package():
    """The lint run sees the node package itself, not an empty list."""
    sources = python_sources()
    assert any(os.path.basename(s) == 'setup.py' for s in sources)
    assert any(os.path.sep + 'perseverance_nodes' + os.path.sep in s for s in sources)
