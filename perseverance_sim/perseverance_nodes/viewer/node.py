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

import importlib
import threading
import time

from perseverance_interfaces.msg import Fault, MissionStatus
from perseverance_interfaces.srv import InjectFault

from . import panels
from .address import is_loopback, port_taken
from .controls import Controls
from .feed import EVENTS, FAULT_HISTORY, Feed, LATCHED_STATE, STREAM
from .page import Page
from .scene import build_scene
from .view_state import ViewState
from ..domain import sdf
from ..domain.driving import PUBLISH_PERIOD
from ..domain.facts import load_mission_facts
from ..ros.action_server import constant_names
from ..ros.contract import CONTRACT_QOS, EVENTS_QOS, FAULT_QOS, INJECT_FAULT, LATCHED
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.parameters import declare
from ..ros.rover_driver import RoverDriver

PANEL_PERIOD = 0.5     # s (wall) between panel refreshes


def message_type(type_name):
    """Return the message class of 'pkg/msg/Type'."""
    package, _, name = type_name.split('/')
    return getattr(importlib.import_module('{}.msg'.format(package)), name)


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
        qos = {STREAM: CONTRACT_QOS, LATCHED_STATE: LATCHED, EVENTS: EVENTS_QOS,
               FAULT_HISTORY: FAULT_QOS}
        feed = Feed(self.state, self.fault_kinds, self.fault_states, clock=time.monotonic)
        for route in feed.routes():
            self.create_subscription(message_type(route.type_name), route.topic, route.handler,
                                     qos[route.qos])

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
        period, next_panels, seen = 1.0 / self.update_rate, 0.0, {}
        while not self._stop.wait(period):
            try:
                self.page.update_scene(self.state.link_poses(seen), self.state.tube_states(),
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
        texts = dict(panels.state_texts(inputs, self.phase_names), fault_reply=self.fault_reply)
        texts['driving'] = panels.driving_markdown({
            'linear': driver.state.linear, 'angular': driver.state.angular,
            'max_linear': driver.state.max_linear, 'max_angular': driver.state.max_angular,
            'limits': driver.limits.source, 'pose': driver.pose, 'action': driver.action,
            'missing': driver.missing}, reason)
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
