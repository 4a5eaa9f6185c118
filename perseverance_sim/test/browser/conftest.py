# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The browser under test: Debian's headless chromium, driven by selenium through chromedriver.

How it is started: browser_session.py; what a page did: page_checks.py (console errors, hosts
contacted, blank screenshots).
"""

from browser_session import headless_chromium
import pytest


@pytest.fixture
def chromium(tmp_path):
    """Give a test a selenium WebDriver on a fresh headless chromium; quit it afterwards."""
    with headless_chromium(tmp_path) as driver:
        yield driver
