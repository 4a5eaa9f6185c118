# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Install the perseverance_sim package: nodes, launch files, worlds, models and config."""

import os

from setuptools import find_packages, setup

PACKAGE = 'perseverance_sim'
HERE = os.path.dirname(os.path.abspath(__file__))

# Each node is a console script; setup.cfg puts them in lib/<package> for `ros2 run`.
NODES = {  # every node of runner/bringup.py's table (the viewer among them), and the teleop
    'world': 'perseverance_nodes.world.node:main',
    'rover': 'perseverance_nodes.rover.node:main',
    'caching_assembly': 'perseverance_nodes.caching.node:main',
    'lander': 'perseverance_nodes.lander.node:main',
    'helicopter': 'perseverance_nodes.helicopter.node:main',
    'tube_ledger': 'perseverance_nodes.ledger.node:main',
    'mission_control': 'perseverance_nodes.mission.node:main',
    'teleop': 'perseverance_nodes.teleop.node:main',
    'viewer': 'perseverance_nodes.viewer.node:main',
    'recorder': 'perseverance_nodes.recorder.node:main',
}


def data_tree(*top_dirs):
    """
    List (install dir, files) pairs for every file under the given directories.

    A flat glob would miss nested model trees such as models/<name>/meshes; this walks them all
    and mirrors their layout under share/<package>/.
    """
    entries = []
    for top in top_dirs:
        for dirpath, _dirnames, filenames in os.walk(os.path.join(HERE, top)):
            files = [os.path.relpath(os.path.join(dirpath, f), HERE) for f in sorted(filenames)
                     if not f.endswith('.pyc')]
            if files:
                rel = os.path.relpath(dirpath, HERE)
                entries.append((os.path.join('share', PACKAGE, rel), files))
    return entries


setup(
    name=PACKAGE,
    version='0.1.0',
    packages=find_packages(exclude=['test', 'test.*']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + PACKAGE]),
        ('share/' + PACKAGE, ['package.xml']),
    ] + data_tree('launch', 'config', 'worlds', 'models'),
    install_requires=['setuptools'],
    zip_safe=False,
    maintainer='Perseverance Sample Return Simulation Maintainers',
    maintainer_email='maintainers@perseverance-sim.invalid',
    description='Mars Sample Return simulation around the Perseverance rover.',
    license='Apache-2.0',
    tests_require=['pytest'],
    entry_points={
        'console_scripts': [
            'perseverance-sim = perseverance_nodes.runner.cli:main',
        ] + ['{} = {}'.format(name, target) for name, target in NODES.items()],
    },
)
