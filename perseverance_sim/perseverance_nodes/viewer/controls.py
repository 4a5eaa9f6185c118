# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
What the page's buttons and keys do: the keyboard teleop's commands, sent through one driver.

Every control ends in ``driver.on_command`` with a ``domain.driving.Command`` (the rover node's
safety filter applies downstream, exactly as for the terminal teleop) or in a fault injection
through mission_control's InjectFault service. Pure: the node passes the driver and the
injection call in.
"""

from ..domain.driving import (ANGULAR, ARM, ARM_POSES, CANCEL, COLLECT, Command, DEPOSIT, LINEAR,
                              STOP)
from ..domain.tubes import FaultKind

# (label, hint, page key, command); the keys are the terminal teleop's keys.
DRIVE = (
    ('Faster forward (W)', 'one speed step forward', 'W', Command(LINEAR, 1)),
    ('Slower / reverse (X)', 'one speed step back', 'X', Command(LINEAR, -1)),
    ('Turn left (A)', 'one turn-rate step left', 'A', Command(ANGULAR, 1)),
    ('Turn right (D)', 'one turn-rate step right', 'D', Command(ANGULAR, -1)),
    ('Stop (S)', 'stop the rover', 'S', Command(STOP)),
)
ACTIONS = (
    ('Core the nearest rock (C)', 'CollectSample at the nearest rock', 'C', Command(COLLECT)),
    ('Drop a sealed tube (P)', 'DepositTube: the next sealed tube at the nearest depot slot',
     'P', Command(DEPOSIT)),
    ('Cancel the action (K)', 'cancel the running CollectSample / DepositTube', 'K',
     Command(CANCEL)),
)
ARM_KEYS = tuple(str(number) for number in range(1, len(ARM_POSES) + 1))  # 1 stow ... 5 drop
CAMERA_OFF = ('No image: the world renders no camera (start it with cameras_enabled:=true, '
              'as `perseverance-sim teleop` does).')


class Controls:
    """The page's controls, bound to a rover driver and a fault injector."""

    def __init__(self, driver, inject, set_cap):
        """
        Bind the controls.

        ``driver``: a ``ros.rover_driver.RoverDriver``; ``inject(kind, target, trigger)`` sends
        InjectFault; ``set_cap(top_speed)`` caps the driver's top speed (m/s).
        """
        self.driver, self._inject, self._set_cap = driver, inject, set_cap

    def _send(self, command):
        return lambda: self.driver.on_command(command)

    def drive_buttons(self):
        """Return (label, hint, action) of the drive buttons."""
        return [(label, hint, self._send(command)) for label, hint, _, command in DRIVE]

    def action_buttons(self):
        """Return (label, hint, action) of the sampling and drop buttons."""
        return [(label, hint, self._send(command)) for label, hint, _, command in ACTIONS]

    def key_labels(self):
        """Return {key: label of the button it presses} for every key of the page."""
        labels = {key.lower(): label for label, _, key, _ in DRIVE + ACTIONS}
        labels.update(zip(ARM_KEYS, ARM_POSES))  # the arm pose group's buttons
        return labels

    def arm_poses(self):
        """Return the arm's named poses, in key order."""
        return ARM_POSES

    def arm_pose(self, pose):
        """Send a named arm pose."""
        self.driver.on_command(Command(ARM, pose))

    def set_top_speed(self, speed):
        """Cap the top speed (m/s; never above the rover's limit)."""
        self._set_cap(speed)

    def fault_kinds(self):
        """Return the fault kinds a user may inject, by name."""
        return tuple(kind.name for kind in FaultKind)

    def inject_fault(self, kind_name, target, trigger):
        """Inject a fault through mission_control."""
        self._inject(int(FaultKind[kind_name]), target.strip(), trigger.strip() or 'now')

    def camera_note(self):
        """Return the camera panel's text before any image arrives."""
        return CAMERA_OFF
