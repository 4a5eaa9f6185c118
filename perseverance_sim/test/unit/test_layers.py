# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The layers of perseverance_nodes hold: domain < ros < subsystems (and world) < runner.

Every import of every module is read (those inside functions too): the domain layer imports no
ROS and nothing of ours above it; the ROS layer only the domain; a subsystem only the domain, the
ROS layer and itself; only the runner may import anything, and nothing imports the runner.
"""

import ast
import os

import pytest

PACKAGE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'perseverance_nodes')
PACKAGE = 'perseverance_nodes'
LAYERS = ('domain', 'ros', 'runner')
# What the domain layer may not touch: ROS, messages, the simulator.
NOT_PURE = ('rclpy', 'rcl_interfaces', 'perseverance_interfaces', 'mujoco', 'launch')


def _modules():
    """Yield (dotted module name, path) of every module of the package."""
    for directory, _, files in os.walk(PACKAGE_DIR):
        for name in sorted(files):
            if name.endswith('.py'):
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, os.path.dirname(PACKAGE_DIR))[:-3]
                parts = relative.split(os.sep)
                if parts[-1] == '__init__':
                    parts = parts[:-1]
                yield '.'.join(parts), path


def _imports(module, path):
    """Return every module ``module`` imports, as absolute dotted names."""
    with open(path, encoding='utf-8') as source:
        tree = ast.parse(source.read(), path)
    package = module if path.endswith('__init__.py') else module.rpartition('.')[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')[:len(package.split('.')) - node.level + 1]
                name = '.'.join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            found.append(name)
            # `from . import x` imports the sub-module x.
            found += ['{}.{}'.format(name, alias.name) for alias in node.names
                      if node.module is None]
    return found


def _room(module):
    """Return the layer or subsystem a module of ours belongs to ('' for the package root)."""
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else ''


MODULES = list(_modules())


def test_the_package_has_its_layers_and_subsystems():
    """The walk sees the layers and the subsystems (a test that reads nothing cannot fail)."""
    rooms = {_room(module) for module, _ in MODULES}
    assert set(LAYERS) | {'world', 'rover', 'caching', 'lander', 'helicopter', 'ledger',
                          'mission', 'teleop'} <= rooms


@pytest.mark.parametrize('module, path', MODULES, ids=[m for m, _ in MODULES])
def test_imports_run_down_the_layers(module, path):
    """Each module imports only what its room may import."""
    room = _room(module)
    ours = [name for name in _imports(module, path) if name.split('.')[0] == PACKAGE]
    rooms = {_room(name) for name in ours} - {room, ''}
    if room == 'domain':
        foreign = [name for name in _imports(module, path)
                   if name.split('.')[0] in NOT_PURE or name.split('.')[0].endswith('_msgs')]
        assert not foreign, '{} (domain layer) imports ROS or the simulator: {}'.format(
            module, foreign)
        allowed = set()
    elif room == 'ros':
        allowed = {'domain'}
    elif room == 'runner':
        return
    else:
        allowed = {'domain', 'ros'}
    assert rooms <= allowed, '{} imports {} (allowed: {})'.format(
        module, sorted(rooms - allowed), sorted(allowed) or 'nothing of ours')
