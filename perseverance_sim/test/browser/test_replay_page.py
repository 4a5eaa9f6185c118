# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
`perseverance-sim replay`: a recorded campaign drives the viewer's page through its positions.

The run folder is the synthetic one of run_folder.py (a dry run of the quick scenario with its
bag, written as the recorder writes one). The replay serves it on a free port and plays at 100x;
headless chromium reads the rover's chassis on the page while it plays: every position it shows
lies on the recorded odometry, the rover gets from the start to the end of its track, and the
page asks no other host for anything.
"""

import io
import math
import socket
import threading

from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
from page_checks import console_errors, requested_hosts
from perseverance_nodes.runner.bringup import page_answers
from perseverance_nodes.viewer.replay import BAG_FILE, serve_replay
import pytest
from run_folder import make_run_folder

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
return [point.x, point.y];"""
TIMEOUT = 60.0   # s (wall)
ON_TRACK = 0.5   # m: a drawn position this close to a recorded one is on the track


def _recorded_track(path):
    with open(path, 'rb') as stream:
        reader = make_reader(stream, decoder_factories=[DecoderFactory()])
        return [(msg.pose.pose.position.x, msg.pose.pose.position.y) for _, _, _, msg in
                reader.iter_decoded_messages(topics=['/model/perseverance/odometry'])]


@pytest.fixture(scope='module')
def replay(tmp_path_factory):
    """Serve a synthetic run folder's recording at 100x, playing; stop it at the end."""
    run_dir = tmp_path_factory.mktemp('replay_run')
    make_run_folder(run_dir)
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    stop, output = threading.Event(), io.StringIO()
    server = threading.Thread(target=serve_replay, args=(str(run_dir), '127.0.0.1', port, output),
                              kwargs={'stop': stop, 'speed': '100', 'play': False}, daemon=True)
    server.start()
    url = 'http://127.0.0.1:{}'.format(port)
    deadline = threading.Event()
    for _ in range(int(TIMEOUT / 0.2)):
        if page_answers(url) or not server.is_alive():
            break
        deadline.wait(0.2)
    assert page_answers(url), output.getvalue()
    yield url, _recorded_track(run_dir / BAG_FILE)
    stop.set()
    server.join(timeout=10.0)
    assert not server.is_alive()


def test_replay_drives_the_page_through_the_recorded_positions(replay, chromium):
    """Every drawn rover position is a recorded one; the rover runs its track to the end."""
    url, track = replay
    driver = chromium
    driver.get(url)
    driver.set_script_timeout(30)

    def drawn():
        return driver.execute_script(POSITION_IN_ROOT, CHASSIS)

    def wait(predicate, describe):
        for _ in range(int(TIMEOUT / 0.2)):
            if predicate():
                return
            threading.Event().wait(0.2)
        raise AssertionError('timed out waiting for ' + describe)

    wait(lambda: drawn() is not None, 'the rover drawn')
    start = drawn()
    assert math.dist(start, track[0]) < ON_TRACK
    driver.find_element('xpath', '//button[normalize-space()="Play / pause"]').click()
    seen = []

    def at_the_end():
        seen.append(drawn())
        return math.dist(seen[-1], track[-1]) < ON_TRACK
    wait(at_the_end, 'the rover at the end of its recorded track ({})'.format(track[-1]))
    off_track = [p for p in seen if min(math.dist(p, q) for q in track) > ON_TRACK]
    assert not off_track, off_track[:5]
    assert len({(round(x), round(y)) for x, y in seen}) > 3  # it moved along, not jumped
    assert console_errors(driver) == []
    assert requested_hosts(driver) == {'127.0.0.1'}
