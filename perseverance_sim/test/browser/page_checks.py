# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""What a browser test reads back from a page: console errors, hosts contacted, blank shots."""

import io
import json
from urllib.parse import urlsplit
import weakref

from PIL import Image

# Chrome's get_log() drains the log, so every entry read is kept per driver: each helper then
# sees everything since the page was opened, however often it is called.
_READ = weakref.WeakKeyDictionary()

_REQUEST_EVENTS = ('Network.requestWillBeSent', 'Network.webSocketCreated')
# Requests that can leave the browser; chrome:// (its start page), data: and blob: cannot.
_NETWORK_SCHEMES = ('http', 'https', 'ws', 'wss')


def _log(driver, kind):
    entries = _READ.setdefault(driver, {}).setdefault(kind, [])
    entries.extend(driver.get_log(kind))
    return entries


def console_errors(driver):
    """Return the SEVERE console entries (dicts with 'message', 'source', 'timestamp')."""
    return [entry for entry in _log(driver, 'browser') if entry['level'] == 'SEVERE']


def requested_hosts(driver):
    """Return the host names of every network request and WebSocket the browser made."""
    hosts = set()
    for entry in _log(driver, 'performance'):
        event = json.loads(entry['message'])['message']
        if event['method'] not in _REQUEST_EVENTS:
            continue
        params = event['params']
        url = params['request']['url'] if 'request' in params else params['url']
        parts = urlsplit(url)
        if parts.scheme in _NETWORK_SCHEMES and parts.hostname:
            hosts.add(parts.hostname)
    return hosts


def screenshot_is_blank(png_bytes, share=0.99):
    """Return True if at least `share` of the screenshot's pixels have one and the same colour."""
    if not 0.0 < share <= 1.0:
        raise ValueError('share must be in (0, 1], got {!r}'.format(share))
    image = Image.open(io.BytesIO(png_bytes)).convert('RGB')
    width, height = image.size
    most = max(count for count, _ in image.getcolors(maxcolors=width * height))
    return most >= share * width * height
