# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""pep257 docstring rules as ament applies them."""

from ament_pep257.main import main
from lint_targets import python_sources
import pytest


@pytest.mark.linter
@pytest.mark.pep257
def test_pep257():
    """Every module, class and public function is documented per ament's pep257 convention."""
    rc = main(argv=python_sources())
    assert rc == 0, 'Found code style errors / warnings'
