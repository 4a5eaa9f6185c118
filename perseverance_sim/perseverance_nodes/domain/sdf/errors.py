# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Errors raised while loading SDF worlds and converting them to MuJoCo."""


class SdfError(Exception):
    """Malformed or inconsistent SDF (bad reference, cycle, missing file...)."""

    def __init__(self, message, element='', model='', link='', file=''):
        """Store where the problem is, and build a message that names it."""
        self.element = element
        self.model = model
        self.link = link
        self.file = file
        where = []
        if element:
            where.append('element <{}>'.format(element))
        if model:
            where.append('model {}'.format(model))
        if link:
            where.append('link {}'.format(link))
        if file:
            where.append('file {}'.format(file))
        suffix = ' ({})'.format(', '.join(where)) if where else ''
        super().__init__(message + suffix)


class UnsupportedSdfError(SdfError):
    """Valid SDF that the embedded backend cannot simulate faithfully."""
