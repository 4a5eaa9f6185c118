# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The page: a viser server drawing the ``Scene`` and showing the panels and the controls.

viser serves its web client from inside its wheel and talks to it over one websocket on the
same address, so the page needs nothing from any other host. Scene nodes are named after the
SDF (``/world/<model>/<link>``); a link's shapes hang under its frame, so one pose update moves
them all. ``update`` sends only what changed since the last call (poses moved, tube colours,
trails, panels), in one batch.
"""

import json

import numpy as np

from . import panels
from .panels import CAMERA_OFF
from .view_state import TUBE_COLOURS
from ..ros.contract import ROVER_MAST_CAMERA_IMAGE

POSITION_EPSILON = 1e-4      # m a link must move before its pose is sent again
ANGLE_EPSILON = 1e-4         # change of quaternion components that counts as a turn
TRAIL_COLOURS = {'perseverance': (255, 140, 0)}
HELICOPTER_TRAIL = (0, 200, 255)
TERRAIN_COLOUR = (150, 88, 60)
TITLE = 'Perseverance sample return: Jezero crater'
# The initial camera: south-east of the site, above, seeing the rover, the rocks and the lander.
CAMERA_POSITION = (62.0, -52.0, 38.0)
CAMERA_LOOK_AT = (32.0, 8.0, 0.0)
MISSION_ORDER = 0.0   # the first panel; a replay puts its controls at REPLAY_ORDER, just after
REPLAY_ORDER = 0.5
CAMERA_PLACEHOLDER = (240, 320, 3)   # the mast camera's frame (contract: rgb8, 320 x 240)

# Installed once per page: key (lower case) -> label of the button it presses.
KEYS_SCRIPT = """(() => {
  if (window.__perseveranceKeys) { return; }
  window.__perseveranceKeys = true;
  const labels = KEY_LABELS;
  window.addEventListener('keydown', (event) => {
    const target = event.target;
    if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(
        target.tagName))) { return; }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    const label = labels[event.key.toLowerCase()];
    if (label === undefined) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    if (event.repeat) { return; }
    const button = Array.from(document.querySelectorAll('button')).find(
      (b) => b.textContent.trim() === label);
    if (button && !button.disabled) { button.click(); }
  }, true);
})();"""


def _rgb(rgba):
    return tuple(int(round(255 * c)) for c in rgba[:3])


class Page:
    """The viser server and everything on it."""

    def __init__(self, viser, scene, host, port, controls):
        """
        Start serving ``scene`` on host:port (viser takes the next free port if it is taken).

        ``controls`` is the node's ``Controls`` (what buttons do), or None for a page that only
        watches (the replay); ``viser`` the module, passed in so that importing this module
        needs no viser.
        """
        self.server = viser.ViserServer(host=host, port=port, label=TITLE, verbose=False)
        self.scene = scene
        self.controls = controls
        self._sent_poses = {}
        self._tube_states = {}
        self._trail_versions = {}
        self._texts = {}
        self._camera_frame = None
        self.server.gui.configure_theme(show_share_button=False, dark_mode=True,
                                        control_width='medium')
        self.server.scene.set_up_direction('+z')
        self.server.initial_camera.position = CAMERA_POSITION
        self.server.initial_camera.look_at = CAMERA_LOOK_AT
        self._draw_scene()
        self.drive_buttons, self.speed_slider, self.arm_buttons = [], None, None
        self._build_panels()
        if controls is not None:
            self._bind_keys(viser, controls.key_labels())

    @property
    def port(self):
        """Return the port the page is really served on."""
        return self.server.get_port()

    # -- the 3D scene --------------------------------------------------------------------------
    def _draw_scene(self):
        api = self.server.scene
        self.frames, self.tube_meshes = {}, {}
        tube_links = {link: tube for tube, link in self.scene.tubes.items()}
        for body in self.scene.bodies:
            frame_name = '/world/{}/{}'.format(body.model, body.name.split('::', 1)[-1]
                                               .replace('::', '/'))
            self.frames[body.name] = api.add_frame(
                frame_name, show_axes=False, position=body.pose.pos, wxyz=body.pose.quat)
            for index, (vertices, faces, rgba) in enumerate(body.shapes):
                terrain = body.model.endswith('terrain')
                mesh = api.add_mesh_simple(
                    '{}/shape_{}'.format(frame_name, index), vertices.astype(np.float32),
                    faces.astype(np.uint32), color=TERRAIN_COLOUR if terrain else _rgb(rgba),
                    flat_shading=terrain,  # facets show the relief of the crater floor
                    cast_shadow=False, receive_shadow=False)
                if body.name in tube_links:
                    self.tube_meshes.setdefault(tube_links[body.name], []).append(mesh)
        self.vehicle_labels = {}
        for label in self.scene.labels:
            position = np.asarray(label.position)
            if label.vehicle:  # riding on the vehicle: start where the SDF parks it
                position = self.scene.model_poses[label.vehicle].pos + position
            handle = api.add_label('/labels/' + label.name, label.text, position=position)
            if label.vehicle:
                self.vehicle_labels[label.vehicle] = (handle, np.asarray(label.position))
        self.trails = {}

    def _pose_changed(self, name, pose):
        last = self._sent_poses.get(name)
        if last is not None and np.allclose(last[0], pose.pos, atol=POSITION_EPSILON) and \
                np.allclose(last[1], pose.quat, atol=ANGLE_EPSILON):
            return False
        self._sent_poses[name] = (pose.pos.copy(), pose.quat.copy())
        return True

    def update_scene(self, link_poses, tube_states, trails, vehicle_poses):
        """Send moved links, changed tube colours, grown trails and the vehicles' labels."""
        with self.server.atomic():
            for vehicle, pose in vehicle_poses.items():
                label = self.vehicle_labels.get(vehicle)
                if label is not None and self._pose_changed('label ' + vehicle, pose):
                    label[0].position = pose.pos + label[1]
            for name, pose in link_poses.items():
                frame = self.frames.get(name)
                if frame is not None and self._pose_changed(name, pose):
                    frame.position, frame.wxyz = pose.pos, pose.quat
            for tube, state in tube_states.items():
                if self._tube_states.get(tube) != state:
                    self._tube_states[tube] = state
                    for mesh in self.tube_meshes.get(tube, ()):
                        mesh.color = TUBE_COLOURS[state]
            for vehicle, (version, points) in trails.items():
                if len(points) > 1 and self._trail_versions.get(vehicle) != version:
                    self._trail_versions[vehicle] = version
                    self._draw_trail(vehicle, points)

    def _draw_trail(self, vehicle, points):
        xyz = np.asarray(points, dtype=np.float32) + np.float32([0.0, 0.0, 0.05])
        segments = np.stack([xyz[:-1], xyz[1:]], axis=1)
        colour = TRAIL_COLOURS.get(vehicle, HELICOPTER_TRAIL)
        self.trails[vehicle] = self.server.scene.add_line_segments(
            '/trails/' + vehicle, segments, colour, thickness=2.0, thickness_units='screen')

    # -- panels and controls -------------------------------------------------------------------
    def _build_panels(self):
        gui = self.server.gui
        with gui.add_folder('Mission', order=MISSION_ORDER):  # the replay's panel follows it
            self.mission_text = gui.add_markdown('Waiting for /clock ...')
        if self.controls is not None:
            self._build_drive_panel(gui, self.controls)
        with gui.add_folder('Mast camera'):
            self.camera_text = gui.add_markdown(CAMERA_OFF)
            self.camera_image = gui.add_image(np.zeros(CAMERA_PLACEHOLDER, np.uint8),
                                              format='jpeg', jpeg_quality=80, visible=False)
        with gui.add_folder('Faults'):
            if self.controls is not None:
                self._build_fault_form(gui, self.controls)
            self.fault_reply = gui.add_markdown('')
            self.faults_text = gui.add_markdown('')
        with gui.add_folder('Tube ledger'):
            gui.add_markdown(panels.legend_markdown())
            self.ledger_text = gui.add_markdown('')

    def _build_drive_panel(self, gui, controls):
        with gui.add_folder('Drive the rover'):
            self.driving_text = gui.add_markdown('')
            for label, hint, action in controls.drive_buttons():
                button = gui.add_button(label, hint=hint)
                button.on_click(lambda _event, act=action: act())
                self.drive_buttons.append(button)
            self.speed_slider = gui.add_slider('Top speed (m/s)', min=0.0, max=1.0, step=0.005,
                                               initial_value=1.0)
            self.speed_slider.on_update(lambda _event: controls.set_top_speed(
                self.speed_slider.value))
            self.arm_buttons = gui.add_button_group('Arm pose', controls.arm_poses())
            self.arm_buttons.on_click(lambda event: controls.arm_pose(event.target.value))
            for label, hint, action in controls.action_buttons():
                button = gui.add_button(label, hint=hint)
                button.on_click(lambda _event, act=action: act())
                self.drive_buttons.append(button)

    def _build_fault_form(self, gui, controls):
        self.fault_kind = gui.add_dropdown('Kind', controls.fault_kinds())
        self.fault_target = gui.add_text('Target', initial_value='mageik',
                                         hint='a rock, a tube id or helicopter_N')
        self.fault_trigger = gui.add_text('Trigger', initial_value='now',
                                          hint='now, sample:<rock>, drop:<n>, flight:<n>')
        inject = gui.add_button('Inject fault')
        inject.on_click(lambda _event: controls.inject_fault(
            self.fault_kind.value, self.fault_target.value, self.fault_trigger.value))

    def _bind_keys(self, viser, key_labels):
        """
        Make the teleop's keys press the page's buttons, before the camera sees them.

        viser's camera also moves on W/A/S/D and offers no key events to Python, so a
        capture-phase listener (sent like viser sends plotly.js: RunJavascriptMessage, replayed
        to every client) takes those keys first and clicks the button of the same command; a
        disabled button stays unpressed. Keys typed into a text field are left alone.
        """
        source = KEYS_SCRIPT.replace('KEY_LABELS', json.dumps(key_labels))
        self.server.gui._websock_interface.queue_message(
            viser._messages.RunJavascriptMessage(source=source))

    def _set_text(self, handle, text):
        if self._texts.get(id(handle)) != text:
            self._texts[id(handle)] = text
            handle.content = text

    def update_panels(self, texts, camera_image, driving_disabled=False):
        """Show the panels' latest text, the camera frame, and whether driving is allowed."""
        with self.server.atomic():
            for handle, key in ((self.mission_text, 'mission'), (self.ledger_text, 'ledger'),
                                (self.faults_text, 'faults'), (self.fault_reply, 'fault_reply')):
                self._set_text(handle, texts.get(key, ''))
            if self.controls is not None:
                self._set_text(self.driving_text, texts['driving'])
            disabled = bool(driving_disabled)
            for handle in self.drive_buttons + [h for h in (self.arm_buttons, self.speed_slider)
                                                if h is not None]:
                if handle.disabled != disabled:
                    handle.disabled = disabled
            if camera_image is not None and camera_image is not self._camera_frame:
                self._camera_frame = camera_image
                self._show_camera(camera_image)

    def _show_camera(self, image):
        self._set_text(self.camera_text, 'Live from `{}`'.format(ROVER_MAST_CAMERA_IMAGE))
        self.camera_image.image = image
        self.camera_image.visible = True

    def set_speed_range(self, top):
        """Set the speed slider's range to the rover's limit (m/s)."""
        if self.speed_slider is not None and self.speed_slider.max != top:
            self.speed_slider.max = top
            self.speed_slider.step = top / 200.0
            if self.speed_slider.value > top:
                self.speed_slider.value = top

    def close(self):
        """Stop serving."""
        self.server.stop()
