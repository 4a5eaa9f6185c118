# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The ``viewer`` node: a live 3D page of the world at http://127.0.0.1:8080 (viser).

    viewer [--ros-args -p port:=8080 -p host:=127.0.0.1 -p update_rate:=10.0]

Draws the SDF the world loads (``world_file``; the packaged Jezero world by default) and poses
it from the world contract only, so it works the same over either backend:

  sub  /model/perseverance/odometry, /model/helicopter_<i>/odometry     Odometry
  sub  /model/<m>/joint_states (perseverance, lander, helicopter_<i>)   JointState
  sub  /world/tube_poses                                                PoseArray
  sub  /model/perseverance/mast_camera/image                            Image (when rendered)
  sub  /clock, /tube_inventory, /custody_events, /faults, /mission_status
  pub  /rover/cmd_vel, /rover/arm/named_pose; goals /rover/collect_sample, /rover/deposit_tube
       (ros.rover_driver, as the keyboard teleop); call /mission_control/inject_fault

The page binds 127.0.0.1 unless ``host`` names another address (then it warns: the page has no
authentication). Driving is disabled while mission_control runs a campaign.
"""

import ipaddress
import socket
import threading
import time

from geometry_msgs.msg import PoseArray
from nav_msgs.msg import Odometry
import numpy as np
from perseverance_interfaces.msg import CustodyEvent, Fault, MissionStatus, TubeInventory
from perseverance_interfaces.srv import InjectFault
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image, JointState

from . import panels
from .controls import Controls
from .page import Page
from .scene import build_scene
from .view_state import FaultView, ViewState
from ..domain import sdf
from ..domain.driving import PUBLISH_PERIOD
from ..domain.facts import load_mission_facts
from ..ros.action_server import constant_names
from ..ros.contract import (CLOCK, CONTRACT_QOS, CUSTODY_EVENTS, EVENTS_QOS, FAULT_QOS, FAULTS,
                            INJECT_FAULT, LATCHED, MISSION_STATUS, model_topic,
                            ROVER_MAST_CAMERA_IMAGE, TUBE_INVENTORY, TUBE_POSES)
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.parameters import declare
from ..ros.rover_driver import RoverDriver
from ..ros.stamps import stamp_seconds

PANEL_PERIOD = 0.5     # s (wall) between panel refreshes
LOOPBACK_NAMES = ('localhost',)


def is_loopback(host):
    """Return True if ``host`` names this machine's loopback interface only."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def port_taken(host, port):
    """Return why ``host``:``port`` cannot be listened on (e.g. in use), or '' if it can."""
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no owner
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.strerror or str(error)
    return ''


def _xyz(point):
    return (point.x, point.y, point.z)


def _wxyz(quat):
    return (quat.w, quat.x, quat.y, quat.z)


class ViewerNode(LeanNode):
    """Subscriptions into a ViewState, a render thread into the page, controls to the rover."""

    def __init__(self, viser_module=None):
        """Load the scene, subscribe, and start serving the page."""
        super().__init__('viewer')
        self.host = declare(self, 'host', '127.0.0.1', 'address the page listens on; anything '
                            'but loopback exposes an unauthenticated page', read_only=True)
        self.port = declare(self, 'port', 8080, 'TCP port of the page (the next free one if '
                            'taken)', 1, 65535, read_only=True)
        self.update_rate = declare(self, 'update_rate', 10.0, 'scene updates per second (wall '
                                   'time, Hz)', 0.5, 60.0, read_only=True)
        world_file = declare(self, 'world_file', '', 'SDF world to draw; empty = the packaged '
                             'worlds/jezero.sdf', read_only=True)
        facts_file = declare(self, 'facts_file', '', 'mission facts YAML; empty = the packaged '
                             'config/mission_facts.yaml', read_only=True)
        self.scene = build_scene(sdf.load_world(world_file or sdf.default_world_path()))
        self.state = ViewState(self.scene)
        self.phase_names = constant_names(MissionStatus, 'PHASE_')
        self.fault_kinds = constant_names(Fault, 'KIND_')
        self.fault_states = constant_names(Fault, 'STATE_')
        self.inject_errors = constant_names(InjectFault.Response, 'ERROR_')
        self.fault_reply = ''
        self.facts = load_mission_facts(facts_file or None)
        self.driver = RoverDriver(self, self.facts)
        self._subscribe()
        self.inject_client = self.create_client(InjectFault, INJECT_FAULT)
        taken = port_taken(self.host, self.port)
        if taken:
            # viser would move to the next free port, where nobody looks for the page.
            self.log_message('cannot serve the page on {}:{}: {} (another viewer? choose '
                             'another with -p port:=N)'.format(self.host, self.port, taken),
                             error=True)
            raise SystemExit(2)
        if viser_module is None:
            import viser as viser_module
        controls = Controls(self.driver, self._inject_fault, self.driver.set_top_speed)
        self.page = Page(viser_module, self.scene, self.host, self.port, controls)
        self.url = 'http://{}:{}'.format(self.host, self.page.port)
        if not is_loopback(self.host):
            self.log_message('the page listens on {} beyond this machine and has no '
                             'authentication: anyone who reaches it can drive the rover'
                             .format(self.host), warning=True)
        self.log_message('viewer: open {} in a browser'.format(self.url))
        self.create_timer(PUBLISH_PERIOD, self.driver.publish_twist)
        self._stop = threading.Event()
        self._render_thread = threading.Thread(target=self._render_loop, name='viewer_render',
                                               daemon=True)
        self._render_thread.start()

    # -- subscriptions -------------------------------------------------------------------------
    def _subscribe(self):
        state = self.state
        for model in self.scene.vehicles:
            self.create_subscription(
                Odometry, model_topic(model, 'odometry'),
                lambda msg, m=model: state.on_vehicle_pose(
                    m, _xyz(msg.pose.pose.position), _wxyz(msg.pose.pose.orientation)),
                CONTRACT_QOS)
        for model in self.scene.kinematics:
            self.create_subscription(
                JointState, model_topic(model, 'joint_states'),
                lambda msg, m=model: state.on_joint_states(m, msg.name, msg.position),
                CONTRACT_QOS)
        self.create_subscription(PoseArray, TUBE_POSES, lambda msg: state.on_tube_poses(
            [(_xyz(p.position), _wxyz(p.orientation)) for p in msg.poses]), CONTRACT_QOS)
        self.create_subscription(Clock, CLOCK, lambda msg: state.on_clock(
            time.monotonic(), stamp_seconds(msg.clock)), CONTRACT_QOS)
        self.create_subscription(Image, ROVER_MAST_CAMERA_IMAGE, self._on_image, CONTRACT_QOS)
        self.create_subscription(TubeInventory, TUBE_INVENTORY,
                                 lambda msg: state.on_inventory(msg.tubes), LATCHED)
        self.create_subscription(CustodyEvent, CUSTODY_EVENTS, state.on_custody_event,
                                 EVENTS_QOS)
        self.create_subscription(Fault, FAULTS, self._on_fault, FAULT_QOS)
        self.create_subscription(MissionStatus, MISSION_STATUS, state.on_mission_status, LATCHED)

    def _on_image(self, msg):
        if msg.encoding != 'rgb8' or msg.step < 3 * msg.width:
            return
        rows = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.step)
        self.state.on_camera_image(rows[:, :3 * msg.width].reshape(msg.height, msg.width, 3))

    def _on_fault(self, msg):
        self.state.on_fault(FaultView(
            msg.fault_id, self.fault_kinds.get(msg.kind, str(msg.kind)),
            self.fault_states.get(msg.state, str(msg.state)), msg.target, msg.trigger,
            msg.description, stamp_seconds(msg.header.stamp)))

    # -- controls ------------------------------------------------------------------------------
    def _inject_fault(self, kind, target, trigger):
        if not self.inject_client.service_is_ready():
            self.fault_reply = ('Not injected: {} is not served (mission_control is not '
                                'running)'.format(INJECT_FAULT))
            return
        request = InjectFault.Request(kind=kind, target=target, trigger=trigger)
        label = '{} {} at {}'.format(self.fault_kinds.get(kind, kind), target or '-', trigger)
        self.fault_reply = 'Injecting {} ...'.format(label)

        def on_reply(future):
            reply = future.result()
            if reply is None:
                self.fault_reply = 'Not injected: no reply from mission_control'
            elif reply.success:
                self.fault_reply = 'Injected {} as {}'.format(label, reply.fault_id)
            else:
                self.fault_reply = 'Refused ({}): {}'.format(
                    self.inject_errors.get(reply.error_code, reply.error_code), reply.error_msg)
        self.inject_client.call_async(request).add_done_callback(on_reply)

    # -- the page ------------------------------------------------------------------------------
    def _render_loop(self):
        """Push poses at update_rate and panels every PANEL_PERIOD, off the executor."""
        period, next_panels = 1.0 / self.update_rate, 0.0
        while not self._stop.wait(period):
            try:
                self.page.update_scene(self.state.link_poses(), self.state.tube_states(),
                                       self.state.trail_points(), self.state.vehicle_frames())
                now = time.monotonic()
                if now >= next_panels:
                    next_panels = now + PANEL_PERIOD
                    self._refresh_panels()
            except Exception as error:  # noqa: B902 - keep serving; say what failed
                self.log_message('page update failed: {!r}'.format(error), error=True)

    def _refresh_panels(self):
        inputs = self.state.panel_inputs()
        phase = panels.campaign_phase(inputs['mission'], self.phase_names)
        reason = ('mission_control is running a campaign (phase {}); the campaign drives the '
                  'rover'.format(phase) if phase else '')
        if self.driver.enabled == bool(phase):
            self.driver.set_enabled(not phase, reason)
        driver = self.driver
        self.page.set_speed_range(driver.limits.linear)
        texts = {
            'mission': panels.mission_markdown(inputs['mission'], self.phase_names,
                                               inputs['sim_time'], inputs['real_time_factor']),
            'driving': panels.driving_markdown({
                'linear': driver.state.linear, 'angular': driver.state.angular,
                'max_linear': driver.state.max_linear, 'max_angular': driver.state.max_angular,
                'limits': driver.limits.source, 'pose': driver.pose, 'action': driver.action,
                'missing': driver.missing}, reason),
            'ledger': panels.ledger_markdown(inputs['inventory'], inputs['events']),
            'faults': panels.faults_markdown(inputs['faults']),
            'fault_reply': self.fault_reply,
        }
        image = self.state.camera_image
        self.page.update_panels(texts, image, bool(phase))

    def destroy_node(self):
        """Stop the render thread and the page, then the node."""
        self._stop.set()
        self._render_thread.join(timeout=2.0)
        self.page.close()
        super().destroy_node()


def main(args=None):
    """Run the viewer node."""
    return spin_node(ViewerNode, args)
