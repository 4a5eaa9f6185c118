# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
What every step executor needs of the goal it plays, and what the world answers a hand-off.

A step executor (rover/executors.py, lander/sequences.py, helicopter/sortie.py) walks its plan
against a port: a subclass of ``GoalPort`` that its node implements over ROS for one goal, and
that a unit test implements over a fake world. Each subsystem's port adds what only it needs
(drive, fly, move an arm, attach a tube).
"""

from dataclasses import dataclass

from .validation import Refusal


class GoalPort:
    """Sim time, waits, cancel and logging for one goal; every method raises until overridden."""

    def now(self):
        """Return the sim time (s)."""
        raise NotImplementedError

    def wait(self, seconds, cancellable=True):
        """Wait ``seconds`` of sim time; False on shutdown or, if ``cancellable``, on cancel."""
        raise NotImplementedError

    def cancel_requested(self):
        """Return True once the goal's client asked to cancel it."""
        raise NotImplementedError

    def log(self, message, warning=False):
        """Log ``message`` as information, or as a warning."""
        raise NotImplementedError


class TubeHandsPort(GoalPort):
    """A ``GoalPort`` that also grasps tubes through the world and records their custody."""

    def attach(self, tube_id, carrier, tolerance):
        """Attach a tube to ``carrier`` within ``tolerance`` (m); a HandOff, or Unanswered."""
        raise NotImplementedError

    def record(self, tube_id, from_holder, to_holder, action, position):
        """Report a change of holder to the ledger (the port logs a refusal; it raises nothing)."""
        raise NotImplementedError


def wait_or_refuse(port, seconds, cancellable=True):
    """Wait on ``port``; raise Refusal CANCELED when the wait was cut short."""
    if not port.wait(seconds, cancellable):
        raise Refusal('CANCELED', 'cancelled' if cancellable else 'shutting down')


@dataclass(frozen=True)
class HandOff:
    """The world's answer to an attach or detach request (/world/attach_tube, detach_tube)."""

    success: bool
    error_msg: str = ''
    distance: float = 0.0            # m, tube centre to the carrier's attach point (attach)
    out_of_tolerance: bool = False   # the attach failed on the distance only


class Unanswered(Exception):
    """A world or ledger service did not answer (the message says which and why)."""
