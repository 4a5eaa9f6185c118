# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Debian's headless chromium under selenium, for the browser tests (one owner of its flags).

The conftest's ``chromium`` fixture uses it per test; a test module that keeps one browser for
several tests (the viewer's) opens ``headless_chromium`` itself.
"""

import contextlib
import os

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'

CHROMIUM_FLAGS = (
    '--headless=new',
    '--no-sandbox',  # tests run as root in CI
    '--disable-dev-shm-usage',
    # WebGL without a GPU: ANGLE on SwiftShader, the software renderer chromium ships.
    '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader',
    # Nothing but the page under test may talk to the network: no background services, and
    # every host name except loopback fails to resolve (an outside request shows in the logs).
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-default-apps',
    '--disable-extensions',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
    '--window-size=1280,800',
)


@contextlib.contextmanager
def headless_chromium(work_dir):
    """Start a selenium WebDriver on a fresh headless chromium (profile in ``work_dir``)."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        pytest.fail('browser tests need {} (Debian packages chromium and chromium-driver); '
                    'install them with scripts/setup.sh --with-test-tools'
                    .format(' and '.join(missing)), pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument('--user-data-dir={}'.format(work_dir / 'chromium-profile'))
    # Console messages and network events, read back by page_checks.py.
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL', 'performance': 'ALL'})
    driver_log = work_dir / 'chromedriver.log'
    # A driver path given to Service keeps Selenium Manager (which downloads) out of it.
    service = Service(executable_path=CHROMEDRIVER, log_output=str(driver_log))
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except WebDriverException as error:
        tail = driver_log.read_text(errors='replace')[-3000:] if driver_log.exists() else ''
        pytest.fail('chromium did not start: {}\nchromedriver log ({}):\n{}'.format(
            error.msg, driver_log, tail), pytrace=False)
    try:
        yield driver
    finally:
        driver.quit()
