# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""The machine-readable part of docs/world_contract.md, for the tests that hold files to it."""

import os
import re

import yaml

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(PACKAGE_DIR)
CONTRACT = os.path.join(REPO_DIR, 'docs', 'world_contract.md')


def load_contract():
    """Return the `<!-- world-contract -->` yaml block of docs/world_contract.md, parsed."""
    with open(CONTRACT, encoding='utf-8') as handle:
        text = handle.read()
    match = re.search(r'<!-- world-contract -->\s*```yaml\n(.*?)```', text, re.S)
    assert match, 'no <!-- world-contract --> yaml block in docs/world_contract.md'
    return yaml.safe_load(match.group(1))
