# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The live 3D page in a real browser, over the teleop session's nodes as real processes.

The world (at real time), the tube ledger, the caching assembly, the rover and the viewer run as
`perseverance-sim teleop` configures them (runner/bringup.node_table); headless chromium opens
the page. The probe plays mission_control: it publishes /mission_status (to see driving
disabled during a campaign) and serves InjectFault (to see the page's injection arrive). The
page must load from this machine only, draw the rover where its odometry says, drive it from
its keys and buttons, list the 43 tubes and show a cored one.

Set PERSEVERANCE_SIM_DOCS_SCREENSHOT=1 to write the README's screenshot (docs/images/viewer.png).
"""

import math
import os
import pathlib
import re
import socket
import time

from browser_session import headless_chromium
from geometry_msgs.msg import Point
from nav_msgs.msg import Odometry
from page_checks import console_errors, requested_hosts, screenshot_is_blank
from perseverance_interfaces.action import NavigateTo
from perseverance_interfaces.msg import MissionStatus
from perseverance_interfaces.srv import InjectFault
from perseverance_nodes.domain.tubes import TUBE_COUNT
from perseverance_nodes.ros.contract import LATCHED
from perseverance_nodes.runner.bringup import node_table, RunOptions, viewer_url
from perseverance_nodes.runner.teleop_session import TELEOP_CAMERA_RATE, TELEOP_NODES
import pytest
from rclpy.action import ActionClient
from ros_harness import Latest, RosTestRig
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

READY_TIMEOUT = 60.0    # s (wall): five node processes and a browser on a loaded 2-core machine
STEP_TIMEOUT = 30.0     # s (wall) for the page or the rover to show what a control did
CORE_TIMEOUT = 120.0    # s (wall) to drive to Roubion, to core there, to seal a tube
DOCS_SCREENSHOT = pathlib.Path(__file__).resolve().parents[3] / 'docs' / 'images' / 'viewer.png'
# The rover's chassis link in the page's scene tree, and the root it hangs from (viser turns the
# root for +z up, so positions are read in the root's frame).
CHASSIS = '/world/perseverance/chassis'
POSITION_IN_ROOT = """
const mutable = window.__viserMutable;
const node = mutable && mutable.nodeRefFromName[arguments[0]];
if (!node) { return null; }
const root = mutable.nodeRefFromName[''];
root.updateMatrixWorld(true);
const point = new node.position.constructor();
node.getWorldPosition(point);
root.worldToLocal(point);
return [point.x, point.y, point.z];"""
CAMERA_POSITION = """
const camera = window.__viserMutable.camera;
return [camera.position.x, camera.position.y, camera.position.z];"""


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class Site:
    """The running nodes, the probe's view of them and the page's address."""

    def __init__(self, rig, out_dir):
        """Start the teleop session's nodes with a viewer on a free port."""
        self.rig, self.probe = rig, rig.probe
        self.port = _free_port()
        options = RunOptions(out_dir=str(out_dir), real_time_factor=1.0, fast_rover=True,
                             duration_scale=0.01, helicopters=0, viewer=True,
                             viewer_port=self.port, camera_rate=TELEOP_CAMERA_RATE)
        for spec in node_table(options):
            if spec.process_name in TELEOP_NODES:
                rig.start_node(spec.executable, spec.process_name, ros_args=spec.ros_args())
        self.url = viewer_url('127.0.0.1', self.port)
        node = self.probe.node
        self.odometry = Latest(self.probe, Odometry, '/model/perseverance/odometry')
        self.status = node.create_publisher(MissionStatus, '/mission_status', LATCHED)
        self.injected = []
        node.create_service(InjectFault, '/mission_control/inject_fault', self._inject)
        self.navigate = ActionClient(node, NavigateTo, '/rover/navigate_to')

    def _inject(self, request, response):
        self.injected.append((request.kind, request.target, request.trigger))
        response.success, response.fault_id = True, 'fault_0042'
        return response

    def xy(self):
        """Return the rover's (x, y) from odometry."""
        position = self.odometry.msg.pose.pose.position
        return (position.x, position.y)

    def publish_phase(self, phase):
        """Publish /mission_status with ``phase`` (a MissionStatus PHASE_* constant)."""
        self.status.publish(MissionStatus(phase=phase, step='test step'))


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """Run the nodes for the module's tests; every process must exit 0 at the end."""
    out_dir = tmp_path_factory.mktemp('viewer_site')
    rig = RosTestRig(str(out_dir / 'logs'))
    try:
        site = Site(rig, out_dir)
        rig.probe.wait_for_action_server(site.navigate, READY_TIMEOUT)
        rig.probe.spin_until(lambda: site.odometry.msg is not None, READY_TIMEOUT, 'odometry')
        rig.assert_running()
        yield site
    finally:
        codes = rig.shutdown()
        bad = {name: code for name, code in codes.items() if code != 0}
        assert not bad, 'processes exited uncleanly: {}\n{}'.format(bad, rig.processes.report())


class Page:
    """The browser on the viewer's page, and what a test reads off it."""

    def __init__(self, driver, site):
        """Open the page and wait until the scene and the ledger are there."""
        self.driver, self.site = driver, site
        started = time.monotonic()
        driver.get(site.url)
        self.wait(lambda: self.position(CHASSIS) is not None, READY_TIMEOUT, 'the rover drawn')
        self.first_paint = time.monotonic() - started
        self.wait(lambda: '{} tubes'.format(TUBE_COUNT) in self.text(), READY_TIMEOUT,
                  'the ledger panel')
        # Dismiss viser's "software WebGL" notice (this machine has no GPU) for the pictures.
        for close in driver.find_elements(By.CSS_SELECTOR, '.mantine-Notification-closeButton'):
            close.click()

    def text(self):
        """Return what the page shows as text."""
        return self.driver.find_element(By.TAG_NAME, 'body').text

    def position(self, node):
        """Return a scene node's position in the world (x, y, z), or None if not drawn."""
        return self.driver.execute_script(POSITION_IN_ROOT, node)

    def camera(self):
        """Return the page's camera position (the client's frame)."""
        return self.driver.execute_script(CAMERA_POSITION)

    def press(self, key):
        """Type ``key`` on the page (no text field focused)."""
        ActionChains(self.driver).send_keys(key).perform()

    def button(self, label):
        """Return the button labelled ``label``."""
        return self.driver.find_element(
            By.XPATH, '//button[normalize-space()="{}"]'.format(label))

    def wait(self, predicate, timeout, describe):
        """Spin the probe until ``predicate()`` holds; fail naming ``describe`` and the page."""
        try:
            self.site.probe.spin_until(predicate, timeout, describe)
        except TimeoutError as error:
            raise AssertionError('{}; the page shows:\n{}'.format(error, self.text())) from None


@pytest.fixture(scope='module')
def page(site, tmp_path_factory):
    """Open the page once for the module's tests."""
    with headless_chromium(tmp_path_factory.mktemp('chromium')) as driver:
        yield Page(driver, site)


def _moved(site, start):
    return math.dist(site.xy(), start)


def test_the_page_loads_from_this_machine_alone(page):
    """No console error; every request and websocket goes to 127.0.0.1."""
    assert console_errors(page.driver) == []
    hosts = requested_hosts(page.driver)
    assert hosts == {'127.0.0.1'}, hosts
    print('first paint (rover drawn) after {:.2f} s'.format(page.first_paint))


def test_the_page_listens_on_loopback_only(site):
    """The viewer's listening socket is bound to 127.0.0.1, on no other address."""
    listening = []
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        with open(table) as rows:
            for row in list(rows)[1:]:
                local, state = row.split()[1], row.split()[3]
                address, port = local.rsplit(':', 1)
                if state == '0A' and int(port, 16) == site.port:  # 0A: LISTEN
                    listening.append(address)
    assert listening == ['0100007F'], listening  # 127.0.0.1, little-endian hex


def test_the_rover_is_drawn_where_its_odometry_says(page, site):
    """A screenshot is not blank, and the chassis sits over the odometry's position."""
    canvas = page.driver.find_element(By.TAG_NAME, 'canvas')
    assert not screenshot_is_blank(canvas.screenshot_as_png)
    if os.environ.get('PERSEVERANCE_SIM_DOCS_SCREENSHOT') == '1':
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.driver.save_screenshot(str(DOCS_SCREENSHOT))

    def drawn_over_odometry():
        drawn = page.position(CHASSIS)
        return drawn is not None and math.dist(drawn[:2], site.xy()) < 0.3
    page.wait(drawn_over_odometry, STEP_TIMEOUT, 'the chassis within 0.3 m of {} (drawn at '
              '{})'.format(site.xy(), page.position(CHASSIS)))


def test_the_mast_camera_panel_shows_the_worlds_frames(page):
    """The Mast camera panel shows a 320 x 240 frame the world rendered."""
    frames = 'return Array.from(document.images).filter(i => i.naturalWidth === 320 && ' \
        'i.naturalHeight === 240).length;'
    page.wait(lambda: page.driver.execute_script(frames) == 1, STEP_TIMEOUT,
              'a 320 x 240 camera frame on the page')
    assert 'Live from /model/perseverance/mast_camera/image' in page.text()


def test_the_forward_key_and_buttons_drive_the_rover(page, site):
    """W on the page moves the rover (not the camera); Stop stops it; the button drives too."""
    page.wait(lambda: 'read from the rover node' in page.text(), STEP_TIMEOUT,
              "the rover's limits read")
    start, camera = site.xy(), page.camera()
    page.press('w')
    page.press('w')
    page.wait(lambda: _moved(site, start) > 1.0, STEP_TIMEOUT, 'the rover 1 m from its start')
    assert page.camera() == camera  # the page's keys drive the rover, not the view
    page.button('Stop (S)').click()
    page.wait(lambda: abs(site.odometry.msg.twist.twist.linear.x) < 0.01, STEP_TIMEOUT,
              'the rover stopped')
    stopped = site.xy()
    page.button('Faster forward (W)').click()
    page.wait(lambda: _moved(site, stopped) > 0.3, STEP_TIMEOUT, 'the rover moving again')
    page.press('s')
    page.wait(lambda: abs(site.odometry.msg.twist.twist.linear.x) < 0.01, STEP_TIMEOUT,
              'the rover stopped by S')
    assert re.search(r'Rover at x [\d.]+ m', page.text())


def test_driving_is_disabled_while_a_campaign_runs(page, site):
    """With mission_control in a campaign phase the drive controls are disabled and say why."""
    site.publish_phase(MissionStatus.PHASE_SAMPLING)
    page.wait(lambda: 'Driving is disabled' in page.text(), STEP_TIMEOUT, 'driving disabled')
    assert 'phase SAMPLING' in page.text()
    assert not page.button('Faster forward (W)').is_enabled()
    start = site.xy()
    page.press('w')
    time.sleep(2.0)  # long enough for a twist to have moved the rover
    assert _moved(site, start) < 0.05
    site.publish_phase(MissionStatus.PHASE_IDLE)
    page.wait(lambda: page.button('Faster forward (W)').is_enabled(), STEP_TIMEOUT,
              'driving enabled again')


def test_a_fault_injected_on_the_page_reaches_mission_control(page, site):
    """The Faults panel sends InjectFault (kind, target, trigger) and shows the answer."""
    page.button('Inject fault').click()
    page.wait(lambda: site.injected, STEP_TIMEOUT, 'the InjectFault request')
    assert site.injected == [(1, 'mageik', 'now')]  # SEAL_STUCK, the panel's defaults
    page.wait(lambda: 'as fault_0042' in page.text(), STEP_TIMEOUT, 'the answer shown')


def test_the_ledger_lists_every_tube_and_shows_a_cored_one(page, site):
    """43 tubes listed; cored at Roubion from the page, tube_01 shows its sample; E seals it."""
    text = page.text()
    for number in range(1, TUBE_COUNT + 1):
        assert 'tube_{:02d}'.format(number) in text
    assert not re.search(r'tube_01\s+Roubion', text)
    goal = NavigateTo.Goal(target=Point(x=23.0, y=12.0), tolerance=0.5)  # 3 m east of Roubion
    handle = site.probe.spin_future(site.navigate.send_goal_async(goal), STEP_TIMEOUT,
                                    'NavigateTo accepted')
    assert handle.accepted
    result = site.probe.spin_future(handle.get_result_async(), CORE_TIMEOUT,
                                    'the drive to Roubion').result
    assert result.success, result.error_msg
    page.button('Core the nearest rock (C)').click()
    page.wait(lambda: re.search(r'tube_01\s+Roubion\s+unsealed\s+rover/caching_assembly',
                                page.text()), CORE_TIMEOUT, 'tube_01 shown cored at Roubion')
    page.wait(lambda: 'collect at roubion' in page.text() and ': OK' in page.text(),
              CORE_TIMEOUT, 'the core done')
    page.press('e')  # the caching assembly inspects, seals and stores the next cored tube
    page.wait(lambda: re.search(r'tube_01\s+Roubion\s+sealed', page.text()), CORE_TIMEOUT,
              'tube_01 shown sealed')
