# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
A recorded campaign played back on the viewer's page: play, pause, speed and a time slider.

The run folder's campaign.mcap (the recorder's ROS 2 bag) is read once with mcap_ros2 (no ROS
graph, no rclpy context): the messages of the page's routes (``feed``) in log-time order, which
is simulation time. ``Player`` keeps a cursor in sim time; playing advances it by wall time
times the speed and feeds every message up to it into the ViewState; a seek backwards starts
the state afresh and feeds up to the new time, so trails and the ledger are what they were then.
"""

import bisect
import collections
import os
import threading
import time

from .address import port_taken
from .feed import Feed
from .view_state import ViewState

BAG_FILE = 'campaign.mcap'
SPEEDS = ('0.5', '1', '2', '5', '10', '20', '50', '100')   # x sim time per wall time
DEFAULT_SPEED = '10'


class Recording:
    """The messages of one bag the page can show, in sim-time order."""

    def __init__(self, path, topics, progress=None):
        """
        Read ``path`` (a campaign.mcap), keeping the messages of ``topics``.

        ``progress(count)`` is called now and then while reading. Raises FileNotFoundError.
        """
        from mcap_ros2.reader import read_ros2_messages
        if not os.path.isfile(path):
            raise FileNotFoundError('no recording {} (was the campaign run with --no-record?)'
                                    .format(path))
        self.times, self.messages = [], []
        for count, item in enumerate(read_ros2_messages(path, topics=list(topics)), 1):
            self.times.append(item.log_time_ns * 1e-9)
            self.messages.append((item.channel.topic, item.ros_msg))
            if progress is not None and count % 20000 == 0:
                progress(count)
        self.start = self.times[0] if self.times else 0.0
        self.end = self.times[-1] if self.times else 0.0

    def __len__(self):
        """Return the number of messages kept."""
        return len(self.messages)

    def index_after(self, sim_time):
        """Return how many messages were logged at or before ``sim_time``."""
        return bisect.bisect_right(self.times, sim_time)


class Player:
    """A cursor in a Recording, feeding a ViewState; thread-safe (page callbacks and a loop)."""

    def __init__(self, scene, recording, fault_kinds, fault_states, speed=DEFAULT_SPEED):
        """Start paused at the recording's first message, to play at ``speed``."""
        self.scene, self.recording = scene, recording
        self._names = (fault_kinds, fault_states)
        self.lock = threading.Lock()
        self.playing, self.speed = False, float(speed)
        self._restart()
        self.seek(recording.start)

    def _restart(self):
        self.state = ViewState(self.scene)
        routes = Feed(self.state, *self._names).routes()
        self._handlers = {route.topic: route.handler for route in routes}
        self._fed, self.time = 0, self.recording.start

    def _feed_until(self, sim_time):
        end = self.recording.index_after(sim_time)
        for topic, msg in self.recording.messages[self._fed:end]:
            self._handlers[topic](msg)
        self._fed = max(self._fed, end)
        self.time = sim_time
        self.state.on_clock(time.monotonic(), sim_time)

    def seek(self, sim_time):
        """Jump to ``sim_time`` (s), clamped to the recording."""
        sim_time = min(max(sim_time, self.recording.start), self.recording.end)
        with self.lock:
            if sim_time < self.time:
                self._restart()
            self._feed_until(sim_time)

    def advance(self, wall_seconds):
        """Move on by ``wall_seconds`` times the speed while playing; stop at the end."""
        with self.lock:
            if not self.playing:
                return
            target = self.time + wall_seconds * self.speed
            if target >= self.recording.end:
                target, self.playing = self.recording.end, False
            self._feed_until(target)

    def set_playing(self, playing):
        """Play or pause; playing at the end starts again from the beginning."""
        if playing and self.time >= self.recording.end:
            self.seek(self.recording.start)
        with self.lock:
            self.playing = playing


class ReplayPanel:
    """The page's replay controls, bound to a Player."""

    def __init__(self, gui, player, order):
        """Add the Replay folder to ``gui`` (a viser GuiApi) at ``order``."""
        self.player = player
        recording = player.recording
        with gui.add_folder('Replay', order=order):
            self.status = gui.add_markdown('')
            self.play = gui.add_button('Play / pause', hint='play the recording or pause it')
            self.play.on_click(lambda _event: player.set_playing(not player.playing))
            speeds = SPEEDS if '{:g}'.format(player.speed) in SPEEDS else \
                SPEEDS + ('{:g}'.format(player.speed),)
            self.speed = gui.add_dropdown('Speed (x sim time)', speeds,
                                          initial_value='{:g}'.format(player.speed))
            self.speed.on_update(lambda _event: setattr(player, 'speed',
                                                        float(self.speed.value)))
            self.slider = gui.add_slider('Sim time (s)', min=recording.start,
                                         max=max(recording.end, recording.start + 1.0),
                                         step=0.1, initial_value=recording.start)
            self.slider.on_update(self._on_slider)
        # Times refresh() put on the slider: a browser may send them back while playing, and
        # seeking to them would pull the player back for ever.
        self._shown = collections.deque([recording.start], maxlen=32)

    def _on_slider(self, event):
        value = self.slider.value
        if event.client is None or any(abs(value - shown) < 0.05 for shown in self._shown):
            return  # set by refresh(), or its echo: not a user's seek
        self.player.seek(value)

    def refresh(self):
        """Show where the player is."""
        player = self.player
        shown = round(player.time, 1)
        self._shown.append(shown)
        self.slider.value = shown
        self.status.content = '{} at **{:.1f} s** of {:.1f} s, x{:g}'.format(
            'Playing' if player.playing else 'Paused', player.time, player.recording.end,
            player.speed)


def serve_replay(run_dir, host, port, stream, stop=None, viser_module=None,
                 speed=DEFAULT_SPEED, play=False):
    """
    Serve ``run_dir``'s recording on host:port until ``stop`` is set (or Ctrl-C); return 0.

    ``speed``: x sim time per wall time to start with; ``play``: start playing at once.

    Raises FileNotFoundError for a folder without a recording and OSError for a taken port.
    """
    from perseverance_interfaces.msg import Fault, MissionStatus

    from . import panels
    from .page import Page, REPLAY_ORDER
    from .scene import build_scene
    from ..domain import sdf
    from ..ros.action_server import constant_names
    if viser_module is None:
        import viser as viser_module
    taken = port_taken(host, port)
    if taken:
        raise OSError('cannot serve the replay on {}:{}: {}'.format(host, port, taken))
    scene = build_scene(sdf.load_world(sdf.default_world_path()))
    names = (constant_names(Fault, 'KIND_'), constant_names(Fault, 'STATE_'))
    topics = [route.topic for route in Feed(ViewState(scene), *names).routes()]
    path = os.path.join(run_dir, BAG_FILE)
    print('replay: reading {}'.format(path), file=stream)
    recording = Recording(path, topics, lambda count: print(
        'replay: {} messages read'.format(count), file=stream))
    print('replay: {} messages, sim time {:.1f} .. {:.1f} s'.format(
        len(recording), recording.start, recording.end), file=stream)
    player = Player(scene, recording, *names, speed=speed)
    player.set_playing(play)
    page = Page(viser_module, scene, host, port, None)
    panel = ReplayPanel(page.server.gui, player, REPLAY_ORDER)
    phase_names = constant_names(MissionStatus, 'PHASE_')
    print('replay: open http://{}:{} in a browser (Ctrl-C stops)'.format(host, page.port),
          file=stream)
    stop = stop or threading.Event()
    last = next_panels = time.monotonic()
    state, seen = None, {}
    try:
        while not stop.wait(0.1):
            now = time.monotonic()
            player.advance(now - last)
            last = now
            with player.lock:
                if player.state is not state:  # a seek back started a new state
                    state, seen = player.state, {}
                poses, tubes = state.link_poses(seen), state.tube_states()
                trails, vehicles = state.trail_points(), state.vehicle_frames()
                inputs, image = state.panel_inputs(), state.camera_image
            page.update_scene(poses, tubes, trails, vehicles)
            if now >= next_panels:
                next_panels = now + 0.5
                inputs['real_time_factor'] = player.speed if player.playing else 0.0
                page.update_panels(panels.state_texts(inputs, phase_names), image)
                panel.refresh()
    except KeyboardInterrupt:
        pass
    finally:
        page.close()
    return 0
