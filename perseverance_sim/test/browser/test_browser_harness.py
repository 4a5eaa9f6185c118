# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The browser harness can fail: it sees a console error, an outside host and a blank page.

Pages are served from 127.0.0.1; the outside host (example.invalid) never resolves, by the
browser's host-resolver rules and by RFC 2606, so nothing leaves the machine.
"""

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading
import time

from page_checks import console_errors, requested_hosts, screenshot_is_blank
import pytest
from selenium.webdriver.common.by import By

PAGES = {
    '/probe': """<!doctype html><html><body>
<button id="boom" onclick="console.error('harness-probe: clicked')">boom</button>
<img src="http://example.invalid/x.png" alt="">
<script>new WebSocket('ws://socket.example.invalid/ws');</script>
</body></html>""",
    '/colours': """<!doctype html><html><body style="margin:0">
<div style="height:50vh;background:#c1440e"></div>
<div style="height:50vh;background:linear-gradient(90deg,#1d3557,#a8dadc)"></div>
</body></html>""",
    '/plain': '<!doctype html><html><body style="margin:0;background:#c1440e"></body></html>',
}


class _Pages(BaseHTTPRequestHandler):

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = PAGES.get(self.path)
        if body is None:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/html; charset=utf-8')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass  # keep pytest's output to the test's own


@pytest.fixture
def site():
    """Serve PAGES on 127.0.0.1 (ephemeral port); return the base URL."""
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:{}'.format(server.server_address[1])
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _eventually(read, accept, timeout=10.0):
    """Poll read() until accept(value) holds (the logs arrive asynchronously); return the value."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if accept(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def _probe_messages(driver):
    return [entry['message'] for entry in console_errors(driver)
            if 'harness-probe' in entry['message']]


def test_console_error_and_outside_hosts_are_seen(chromium, site):
    """The click's console.error is reported, and so are the image's and socket's hosts."""
    chromium.get(site + '/probe')
    assert _probe_messages(chromium) == [], 'the error must come from the click alone'
    chromium.find_element(By.ID, 'boom').click()
    messages = _eventually(lambda: _probe_messages(chromium), bool)
    assert len(messages) == 1 and 'harness-probe: clicked' in messages[0]

    hosts = _eventually(lambda: requested_hosts(chromium),
                        lambda seen: {'example.invalid', 'socket.example.invalid'} <= seen)
    assert hosts == {'127.0.0.1', 'example.invalid', 'socket.example.invalid'}


def test_blank_screenshot_is_told_from_a_coloured_page(chromium, site):
    """A page of colours is not blank; a page of one colour is."""
    chromium.get(site + '/colours')
    assert not screenshot_is_blank(chromium.get_screenshot_as_png())
    chromium.get(site + '/plain')
    assert screenshot_is_blank(chromium.get_screenshot_as_png())


def test_blank_share_must_be_a_fraction():
    """A share outside (0, 1] is refused by name."""
    with pytest.raises(ValueError, match='share'):
        screenshot_is_blank(b'', share=1.5)
