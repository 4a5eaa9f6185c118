# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Embedded world backend: SDF 1.9 -> MuJoCo, emulated Gazebo plugins, tube hand-offs, cameras.

Modules (only ``node`` and ``ros_convert`` import rclpy; the rest is plain Python over MuJoCo):

- ``domain.sdf`` (shared with the viewer) loads the world: includes, every pose, heightmaps;
- ``mjcf``: convert to MJCF; unsupported SDF raises ``domain.sdf.UnsupportedSdfError``.
- ``plugins``: DiffDrive, joint controllers, publishers, multicopter control, DetachableJoint.
- ``handoff``: attach/detach of tubes with a distance tolerance (carried kinematically).
- ``engine``: ``WorldEngine`` (step, commands, state, hand-offs, offscreen cameras, RTF).
- ``stepping``: the thread that owns the engine (jobs, streams due in sim time, pacing).
- ``handoff_service``: the attach/detach service rules (contract carriers, checks, replies).
- ``node``: the ``world`` ROS node serving docs/world_contract.md; ``ros_convert`` its messages.

Offscreen cameras
-----------------
Rendering is lazy: nothing GL-related happens until ``render_camera`` is called, so headless
runs need no GL library.  MuJoCo picks its GL back-end from ``MUJOCO_GL`` when ``mujoco`` is first
imported; this package sets ``MUJOCO_GL=egl`` unless the user chose otherwise, so import it
before anything else imports mujoco (or export MUJOCO_GL yourself).  Debian 12 packages:

- EGL (default, software via Mesa llvmpipe when there is no GPU): ``libegl1 libgl1
  libegl-mesa0 libgl1-mesa-dri`` (libglvnd dispatch + Mesa EGL vendor + DRI drivers);
- OSMesa (pure software fallback, ``MUJOCO_GL=osmesa``): ``libosmesa6``;
- plus PyOpenGL from PyPI (``python3-opengl`` on Debian), which mujoco's GL contexts use.

Heightmaps are read with Pillow (``python3-pil``; tested with Pillow 13.0.0 from PyPI).
"""

import os

os.environ.setdefault('MUJOCO_GL', 'egl')

from ..domain.sdf.errors import SdfError, UnsupportedSdfError  # noqa: E402,I100

__all__ = ['SdfError', 'UnsupportedSdfError']
