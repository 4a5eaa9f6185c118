# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
What the page's buttons and keys do: the keyboard teleop's commands, sent through one driver.

Every control ends in ``driver.on_command`` with a ``domain.driving.Command`` (the rover node's
safety filter applies downstream, exactly as for the terminal teleop) or in a fault injection
through mission_control's InjectFault service. Pure: the node passes the driver and the
injection call in.
"""

from ..domain.driving import (ANGULAR, ARM, ARM_POSES, CANCEL, COLLECT, Command, DEPOSIT,
                              key_of, KEYS, LINEAR, SEAL, STOP)
from ..domain.tubes import FaultKind

# (text, hint, command) of the page's buttons; each label ends with its key, the terminal's.
DRIVE = (
    ('Faster forward', 'one speed step forward', Command(LINEAR, 1)),
    ('Slower / reverse', 'one speed step back', Command(LINEAR, -1)),
    ('Turn left', 'one turn-rate step left', Command(ANGULAR, 1)),
    ('Turn right', 'one turn-rate step right', Command(ANGULAR, -1)),
    ('Stop', 'stop the rover', Command(STOP)),
)
ACTIONS = (
    ('Core the nearest rock', 'CollectSample at the nearest rock', Command(COLLECT)),
    ('Seal a cored tube', 'CacheSample: inspect, seal and store the next cored tube',
     Command(SEAL)),
    ('Drop a sealed tube', 'DepositTube: the next sealed tube at the nearest depot slot',
     Command(DEPOSIT)),
    ('Cancel the action', 'cancel the running CollectSample, CacheSample or DepositTube',
     Command(CANCEL)),
)


def button_label(text, command):
    """Return a button's label: its text and its key, e.g. 'Stop (S)'."""
    return '{} ({})'.format(text, key_of(command).upper())


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

    def _buttons(self, table):
        return [(button_label(text, command), hint, self._send(command))
                for text, hint, command in table]

    def drive_buttons(self):
        """Return (label, hint, action) of the drive buttons."""
        return self._buttons(DRIVE)

    def action_buttons(self):
        """Return (label, hint, action) of the sampling, sealing and drop buttons."""
        return self._buttons(ACTIONS)

    def key_labels(self):
        """Return {key: label of the button it presses} for every key of the page."""
        labels = {key_of(command): button_label(text, command)
                  for text, _, command in DRIVE + ACTIONS}
        # The digits press the arm pose group's buttons, labelled with the pose.
        labels.update({key: command.value for key, command in KEYS.items()
                       if command.kind == ARM})
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
