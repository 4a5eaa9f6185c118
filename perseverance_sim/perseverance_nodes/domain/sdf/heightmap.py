# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
SDF heightmaps as Gazebo reads them: the image's elevations, and the terrain surface as a mesh.

The MuJoCo converter (world.mjcf) turns the elevations into an hfield; the viewer draws the mesh.
Both follow Gazebo: the first channel of the image, pixel / max pixel value scaled by size.z
(a negative size.z inverts the image), the image's top row at +y, centred on ``pos``.
"""

import numpy as np

from .errors import UnsupportedSdfError


def read_heightmap(path):
    """Heights of a heightmap image in [0, 1] (pixel / max pixel value), first row = top."""
    try:
        from PIL import Image
    except ImportError as err:
        raise UnsupportedSdfError('reading a heightmap needs Pillow (python3-pil)',
                                  element='heightmap', file=path) from err
    with open(path, 'rb') as f:
        header = f.read(32)
    with Image.open(path) as img:
        mode = img.mode
        arr = np.asarray(img)
    if arr.ndim == 3:
        arr = arr[..., 0]  # Gazebo reads the first channel
    if header[:8] == b'\x89PNG\r\n\x1a\n':
        bits = header[24]
        maxval = float(2 ** bits - 1)
    elif arr.dtype == np.uint8 or mode in ('L', 'P', 'RGB', 'RGBA'):
        maxval = 255.0
    elif arr.dtype == np.uint16 or mode.startswith('I;16'):
        maxval = 65535.0
    else:
        raise UnsupportedSdfError('heightmap pixel format {}'.format(mode),
                                  element='heightmap', file=path)
    return np.clip(arr.astype(np.float64) / maxval, 0.0, 1.0)


def heightmap_mesh(geometry, stride=1):
    """
    Return (vertices N x 3, faces M x 3) of a heightmap ``geometry`` in its geometry frame.

    Every ``stride``-th row and column of the image is kept (a level of detail; the edges stay).
    """
    heights = read_heightmap(geometry.uri)
    if stride > 1 and all((n - 1) % stride == 0 for n in heights.shape):
        heights = heights[::stride, ::stride]
    size = np.asarray(geometry.size, dtype=float)
    if size[2] < 0:
        heights = 1.0 - heights
    rows, cols = heights.shape
    x = np.linspace(-size[0] / 2, size[0] / 2, cols)
    y = np.linspace(size[1] / 2, -size[1] / 2, rows)  # the image's first row is its top, +y
    grid_x, grid_y = np.meshgrid(x, y)
    offset = np.zeros(3) if geometry.pos is None else np.asarray(geometry.pos, dtype=float)
    vertices = np.stack([grid_x, grid_y, heights * abs(size[2])], axis=-1).reshape(-1, 3)
    index = np.arange(rows * cols).reshape(rows, cols)
    upper_left, upper_right = index[:-1, :-1].ravel(), index[:-1, 1:].ravel()
    lower_left, lower_right = index[1:, :-1].ravel(), index[1:, 1:].ravel()
    # Counter-clockwise seen from above (+z): the surface's normals point up.
    faces = np.concatenate([np.stack([upper_left, lower_left, upper_right], axis=1),
                            np.stack([upper_right, lower_left, lower_right], axis=1)])
    return vertices + offset, faces
