# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Load an SDF 1.9 world into plain dataclasses with every pose resolved in the world frame.

- ``model``: the dataclasses (``World``, ``Model``, ``Link``, ``Joint``, ``Frame``, ...);
- ``loader``: ``load_world`` / ``load_model`` parse files and includes into them;
- ``frames``: ``resolve_frames`` applies the SDF 1.9 pose frame semantics;
- ``heightmap``: a heightmap's elevations (the MuJoCo hfield) and its surface mesh (the viewer);
- ``transforms``: rigid transforms (w-x-y-z quaternions); ``errors``: ``SdfError`` and
  ``UnsupportedSdfError``.

Pure Python: the embedded backend (world/) and the viewer both read the world through it.
"""

from .errors import SdfError, UnsupportedSdfError
from .frames import FrameResolver, resolve_frames
from .loader import (default_model_dirs, default_world_path, KNOWN_SYSTEMS, load_model,
                     load_world, parse_pose, SUPPORTED_GEOMETRY, SUPPORTED_JOINTS,
                     SUPPORTED_SDF_VERSIONS, SUPPORTED_SENSORS)
from .model import (Axis, Camera, Collision, Frame, Geometry, Inertial, Joint, Light, Link,
                    Model, Plugin, Sensor, Surface, Visual, World)

__all__ = [
    'Axis', 'Camera', 'Collision', 'default_model_dirs', 'default_world_path', 'Frame',
    'FrameResolver', 'Geometry', 'Inertial', 'Joint', 'KNOWN_SYSTEMS', 'Light', 'Link',
    'load_model', 'load_world', 'Model', 'parse_pose', 'Plugin', 'resolve_frames', 'SdfError',
    'Sensor', 'SUPPORTED_GEOMETRY', 'SUPPORTED_JOINTS', 'SUPPORTED_SDF_VERSIONS',
    'SUPPORTED_SENSORS', 'Surface', 'UnsupportedSdfError', 'Visual', 'World',
]
