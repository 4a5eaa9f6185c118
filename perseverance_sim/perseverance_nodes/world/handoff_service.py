# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The /world/attach_tube and /world/detach_tube rules, without ROS: carriers, checks, replies.

Contract carriers are ``<model>::<link>`` names; the engine attaches to the frame at their grasp
point. A request is checked here (``Refusal`` names the service's ``ERROR_*`` suffix), the engine
call runs on the stepping thread, and its ``handoff.HandoffResult`` becomes a ``Reply`` that the
node copies into the response with ``getattr(Response, 'ERROR_' + reply.code)``.
"""

from dataclasses import dataclass
import math
import re

from . import handoff
from ..domain.validation import Refusal

# Contract carriers: '<model>::<link>' -> the frame whose origin is the grasp point.
# helicopter_<i> stands for every helicopter instance in the world.
CARRIER_FRAMES = {
    'perseverance::caching_assembly': 'perseverance::caching_assembly',
    'perseverance::turret': 'perseverance::drill_tip',
    'lander::gripper': 'lander::grasp_point',
    'lander::orbiting_sample_container': 'lander::container_port',
}
_HELICOPTER_GRIPPER = re.compile(r'^(helicopter_\d+)::gripper$')
_HELICOPTER_GRASP = re.compile(r'^(helicopter_\d+)::grasp_point$')

_ATTACH_CODES = {
    handoff.OK: 'NONE',
    handoff.UNKNOWN_PAYLOAD: 'UNKNOWN_TUBE',
    handoff.UNKNOWN_CARRIER: 'UNKNOWN_CARRIER',
    handoff.SAME_BODY: 'UNKNOWN_CARRIER',
}
_DETACH_CODES = {handoff.OK: 'NONE', handoff.UNKNOWN_PAYLOAD: 'UNKNOWN_TUBE'}


@dataclass
class Reply:
    """A service answer: ``code`` is the suffix of the response's ``ERROR_*`` constant."""

    success: bool = False
    code: str = 'NONE'
    message: str = ''
    distance: float = 0.0       # m, attach only
    released_from: str = ''     # carrier, detach only
    handed_over_from: str = ''  # carrier that held the tube before a successful attach


def grasp_frame(carrier, model_names):
    """Return the engine frame of a contract carrier, or None if it is not a carrier here."""
    frame = CARRIER_FRAMES.get(carrier)
    if frame is None:
        match = _HELICOPTER_GRIPPER.match(carrier)
        frame = match.group(1) + '::grasp_point' if match else None
    if frame is None or frame.split('::')[0] not in model_names:
        return None
    return frame


def carrier_name(frame):
    """Return the contract carrier name of an engine frame (the frame itself if not listed)."""
    for carrier, grasp in CARRIER_FRAMES.items():
        if grasp == frame:
            return carrier
    match = _HELICOPTER_GRASP.match(frame)
    return match.group(1) + '::gripper' if match else frame


def tube_order(names):
    """Sort tube names by their number (tube_2 before tube_10), others by name after them."""
    def key(name):
        digits = re.findall(r'\d+', name)
        return (0, int(digits[-1]), name) if digits else (1, 0, name)
    return sorted(names, key=key)


def check_attach(tube, carrier, tolerance, tube_names, model_names):
    """Return (grasp frame, tolerance in m) of a valid attach request; else raise Refusal."""
    check_tube(tube, tube_names)
    frame = grasp_frame(carrier, model_names)
    if frame is None:
        raise Refusal('UNKNOWN_CARRIER', 'unknown carrier {!r} (carriers are <model>::<link> '
                      'of the world contract)'.format(carrier))
    if not math.isfinite(tolerance) or tolerance < 0:
        raise Refusal('INVALID_TOLERANCE', 'tolerance must be a finite distance >= 0 m, got '
                      '{}'.format(tolerance))
    return frame, tolerance or handoff.DEFAULT_TOLERANCE


def check_tube(tube, tube_names):
    """Raise Refusal UNKNOWN_TUBE unless ``tube`` is one of the world's tubes."""
    if tube not in tube_names:
        raise Refusal('UNKNOWN_TUBE', 'unknown tube {!r}'.format(tube))


def attach(engine, tube, frame, tolerance):
    """Attach on the stepping thread; None when ``frame`` already holds the tube."""
    if engine.carrier_of(tube) == frame:
        return None
    return engine.attach(tube, frame, tolerance=tolerance)


def attach_reply(result, tube, carrier, frame):
    """Return the Reply to an attach whose engine call returned ``result`` (see ``attach``)."""
    if result is None:
        return Reply(code='ALREADY_ATTACHED',
                     message='{} is already attached to {}'.format(tube, carrier))
    previous = result.previous_carrier if result.success else ''
    return Reply(success=result.success, distance=float(result.distance),
                 code=_ATTACH_CODES.get(result.error_code, 'OUT_OF_TOLERANCE'),
                 message=result.error_msg.replace(frame, carrier),
                 handed_over_from=carrier_name(previous) if previous else '')


def detach_reply(result):
    """Return the Reply to a detach whose engine call returned ``result``."""
    return Reply(success=result.success,
                 code=_DETACH_CODES.get(result.error_code, 'NOT_ATTACHED'),
                 message=result.error_msg, released_from=carrier_name(result.previous_carrier))
