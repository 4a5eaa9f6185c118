# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Errors and checks shared by every logic module.

Two kinds of failure exist. A ``ConfigError`` is a bad input file or argument: it names the field,
the value and what is allowed. A ``Refusal`` is a well-formed request that the system declines (a
full container, a helicopter out of range); its ``code`` is the suffix of the action's
``ERROR_*`` constant, so a node maps it with ``getattr(Result, 'ERROR_' + refusal.code)``.
"""

import math


class ConfigError(ValueError):
    """An input field holds a value outside what is allowed."""

    def __init__(self, field, value, allowed, source=''):
        """Build a message naming the field, the value and the allowed values or range."""
        self.field = field
        self.value = value
        self.allowed = allowed
        self.source = source
        prefix = f'{source}: ' if source else ''
        super().__init__(f'{prefix}{field} = {value!r} is invalid; allowed: {allowed}')


class Refusal(Exception):
    """A valid request that the subsystem declines; ``code`` names the action error constant."""

    def __init__(self, code, message):
        """Store the error code suffix (e.g. ``'CONTAINER_FULL'``) and a human-readable reason."""
        self.code = code
        self.message = message
        super().__init__(f'{code}: {message}')


def check_number(field, value, minimum=-math.inf, maximum=math.inf, unit='', source=''):
    """Return ``value`` as a float if it is a finite number within [minimum, maximum]."""
    allowed = f'a number in [{minimum}, {maximum}]' + (f' ({unit})' if unit else '')
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(field, value, allowed, source)
    if not math.isfinite(value) or not minimum <= value <= maximum:
        raise ConfigError(field, value, allowed, source)
    return float(value)


def check_int(field, value, minimum, maximum, source=''):
    """Return ``value`` if it is an integer within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ConfigError(field, value, f'an integer in [{minimum}, {maximum}]', source)
    return value


def check_joint_vector(label, names, limits, positions, tolerance=0.0):
    """
    Return ``positions`` as a tuple of floats: one finite value per joint, within its limits.

    ``limits`` maps each name of ``names`` to ``(low, high)`` in rad; ``tolerance`` widens them
    (for poses computed by IK that land on a limit up to rounding).
    """
    positions = tuple(positions)
    if len(positions) != len(names):
        raise ConfigError(label, positions, f'{len(names)} values for {", ".join(names)}')
    for name, value in zip(names, positions):
        low, high = limits[name]
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or not low - tolerance <= value <= high + tolerance):
            raise ConfigError(name, value, f'[{low:.3f}, {high:.3f}] rad')
    return tuple(float(value) for value in positions)


def check_choice(field, value, choices, source=''):
    """Return ``value`` if it is one of ``choices``."""
    if value not in choices:
        raise ConfigError(field, value, 'one of ' + ', '.join(map(str, choices)), source)
    return value


def check_keys(field, mapping, required, optional=(), source=''):
    """Check that a mapping has every required key and no unknown key; return it."""
    if not isinstance(mapping, dict):
        raise ConfigError(field, mapping, 'a mapping', source)
    for key in mapping:
        if key not in required and key not in optional:
            allowed = 'keys ' + ', '.join(list(required) + list(optional))
            raise ConfigError(f'{field}.{key}', mapping[key], allowed, source)
    for key in required:
        if key not in mapping:
            raise ConfigError(f'{field}.{key}', None, 'a value (the key is required)', source)
    return mapping
