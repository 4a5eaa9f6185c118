# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""The report's vocabulary: holder kinds, node rows and their colours (figures and page)."""

from ..domain.tubes import (GROUND, LANDER_CONTAINER, LANDER_TRANSFER_ARM, MAV_LAUNCHED,
                            ROVER_ARM, ROVER_CACHING_ASSEMBLY)

# Where a tube can end, in legend order: (key, label, colour).
HOLDER_KINDS = (
    ('launched', 'launched in the MAV', '#7b2cbf'),
    ('container', 'in the sample container', '#1f5fbf'),
    ('lander_arm', "on the lander's transfer arm", '#3aa0d8'),
    ('helicopter', "in a helicopter's gripper", '#00b3a4'),
    ('depot', 'in a depot slot', '#f28e1c'),
    ('rover', 'on the rover', '#d62728'),
    ('ground', 'on the ground', '#222222'),
)
HOLDER_LABELS = {key: label for key, label, _ in HOLDER_KINDS}
HOLDER_COLOURS = {key: colour for key, _, colour in HOLDER_KINDS}

SUCCESS_COLOUR = '#2e9e44'
FAILED_COLOUR = '#d62728'
RUNNING_COLOUR = '#9e9e9e'     # a step without an end (the run stopped during it)
FAULT_COLOUR = '#d62728'
RECOVERED_COLOUR = '#2e9e44'

# Vehicle tracks on the map: the rover, then one colour per helicopter (cycled).
ROVER_COLOUR = '#0b3d91'
HELICOPTER_COLOURS = ('#e6007e', '#00a0b0', '#7a9e00', '#6a3d9a')

# The timeline's rows, top to bottom; helicopters come after the lander, by number.
NODE_ROWS = ('mission_control', 'rover', 'caching_assembly', 'lander')


def holder_kind(holder):
    """Return the HOLDER_KINDS key of a ledger holder name ('depot/slot_03' -> 'depot')."""
    if holder == MAV_LAUNCHED:
        return 'launched'
    if holder == LANDER_CONTAINER:
        return 'container'
    if holder == LANDER_TRANSFER_ARM:
        return 'lander_arm'
    if holder in (ROVER_CACHING_ASSEMBLY, ROVER_ARM):
        return 'rover'
    if holder == GROUND:
        return 'ground'
    if holder.startswith('depot/'):
        return 'depot'
    if holder.startswith('helicopter_'):
        return 'helicopter'
    raise ValueError('holder {!r} is not one the ledger knows'.format(holder))


def vehicle_colour(name, helicopters):
    """Return the track colour of 'rover' or of one of ``helicopters`` (names, in order)."""
    if name == 'rover':
        return ROVER_COLOUR
    return HELICOPTER_COLOURS[list(helicopters).index(name) % len(HELICOPTER_COLOURS)]
