# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
report.html in headless chromium: one self-contained file that renders offline.

The page of a synthetic run folder (the quick scenario played by runner/dry_run with a small
recording, test/unit/test_report_run_folder.py) is opened from file://: no console error, no
request to any host nor for any other file, the outcome shown and both figures decoded. A run
without its recording still gets a page that shows its figures and says what is missing.
"""

import io

from page_checks import console_errors, requested_hosts
from perseverance_nodes.runner.report_command import PAGE_FILE, write_run_report
import pytest
from run_folder import make_run_folder
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# The synthetic run folder is built by the report's unit tests' module.

LOAD_TIMEOUT = 30.0   # s (wall) for the page and its images
IMAGES = """return Array.from(document.images).map(image => ({
    id: image.id, complete: image.complete, width: image.naturalWidth,
    height: image.naturalHeight, shown: image.getBoundingClientRect().width,
    source: image.currentSrc.slice(0, 21)}));"""
# Every resource the page fetched (data: URIs are not fetched, so none is expected).
RESOURCES = "return performance.getEntriesByType('resource').map(entry => entry.name);"


@pytest.fixture(scope='module')
def pages(tmp_path_factory):
    """Give the report pages of a recorded run and of the same run without its recording."""
    found = {}
    for name, bag in (('recorded', True), ('unrecorded', False)):
        directory = tmp_path_factory.mktemp(name)
        make_run_folder(directory, bag=bag)
        write_run_report(str(directory), io.StringIO())
        found[name] = directory / PAGE_FILE
    return found


def _open(driver, path):
    """Open a page from file:// and wait until it and its images have loaded."""
    driver.get(path.as_uri())
    WebDriverWait(driver, LOAD_TIMEOUT).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && "
        'Array.from(document.images).every(image => image.complete);'))
    return driver.execute_script(IMAGES)


def _assert_offline(driver):
    assert console_errors(driver) == []
    assert requested_hosts(driver) == set()
    assert driver.execute_script(RESOURCES) == []


def test_the_report_page_renders_offline_with_outcome_and_figures(chromium, pages):
    """No error, nothing fetched, the outcome in words, the map and the timeline decoded."""
    images = _open(chromium, pages['recorded'])
    _assert_offline(chromium)
    assert chromium.find_element(By.ID, 'outcome-title').text == 'Campaign quick SUCCEEDED'
    outcome = chromium.find_element(By.ID, 'outcome').text
    assert 'Tubes launched\n4' in outcome and 'Scenario\nquick' in outcome
    assert {image['id'] for image in images} == {'map-image', 'timeline-image'}
    for image in images:
        assert image['source'] == 'data:image/png;base64'
        assert image['complete'] and image['width'] > 0 and image['height'] > 0, image
        assert image['shown'] > 0, image
    assert chromium.find_elements(By.CSS_SELECTOR, '.missing') == []
    custody = chromium.find_element(By.ID, 'custody').find_element(By.XPATH, '..').text
    assert 'tube_01' in custody and 'mav/launched' in custody
    assert '39 tubes never used' in custody


def test_a_run_without_its_recording_says_so(chromium, pages):
    """The page of a run without campaign.mcap shows its figures and names what is missing."""
    images = _open(chromium, pages['unrecorded'])
    _assert_offline(chromium)
    missing = chromium.find_element(By.CSS_SELECTOR, '.missing').text
    assert 'no campaign.mcap' in missing
    assert [image['width'] > 0 for image in images] == [True, True]
