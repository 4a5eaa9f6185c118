#!/usr/bin/env python3
# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Generate the Jezero crater floor terrain used by perseverance_sim/worlds/jezero.sdf.

Writes three PNG files into perseverance_sim/worlds/media/ (or the directory given):

- ``jezero_heightmap.png``: 257 x 257, 16-bit greyscale. One level is 0.1 mm; level 0 is world
  z = -1.0 m and level 65535 is z = +5.5535 m, so the SDF says ``<size>240 240 6.5535</size>``
  and ``<pos>0 0 -1.0</pos>``. Both levels occur in the image (a crater bottom and the delta
  top are clipped to them): Gazebo scales heights by the image's own min/max and MuJoCo
  normalises the same way, so both backends read the same metres.
- ``jezero_regolith_diffuse.png`` and ``jezero_flat_normal.png``: small textures for Gazebo's
  heightmap visual.

Pixel (row r, column c) is the terrain vertex at x = -120 + 0.9375 c, y = +120 - 0.9375 r
(x east, y north, metres; row 0 is the north edge, as Gazebo draws an image heightmap).
The surface is mirror-symmetric about y = 0 by construction, so even a backend that reads the
rows the other way round puts every flat site in the same place.

The terrain: a gently rough crater floor (about +-0.4 m over tens of metres), a lobate delta
front rising about 5.5 m along the west edge, two small impact craters, and flat patches at
exactly z = 0 (the datum) for the rover start, every rock outcrop and its sampling pose, the
Three Forks depot and the lander site with its helipads. docs/world_contract.md lists the
places; perseverance_sim/test/test_sdf_validation.py checks they are flat in the shipped PNG.

The output is byte-for-byte deterministic on every platform: the noise is an integer hash,
the shaping uses only correctly rounded IEEE arithmetic (+, -, *, /, sqrt; no libm
transcendental functions), and the PNG is written with stored (uncompressed) deflate blocks, so
no zlib version can change it.
The test regenerates the files and compares bytes.

Usage: scripts/generate_heightmap.py [OUTPUT_DIR]
"""

import math
import os
import struct
import sys
import zlib

SIZE_PX = 257                  # power of two plus one, as Gazebo requires
EXTENT_M = 240.0               # square side, metres
PITCH_M = EXTENT_M / (SIZE_PX - 1)
Z_STEP_M = 1.0e-4              # metres per 16-bit level
Z_MIN_M = -1.0                 # world z of level 0 (the SDF <pos> z)
MAX_LEVEL = 65535
Z_RANGE_M = MAX_LEVEL * Z_STEP_M   # 6.5535 m, the SDF <size> z
DATUM_LEVEL = 10000            # level of world z = 0, the height of every flat site

HEIGHTMAP_NAME = 'jezero_heightmap.png'
DIFFUSE_NAME = 'jezero_regolith_diffuse.png'
NORMAL_NAME = 'jezero_flat_normal.png'

# Flat patches (exactly z = 0). Discs: (name, x, y, flat radius, blend width), metres.
# Rock discs are centred between the outcrop and the rover's sampling pose 3 m east of it.
FLAT_DISCS = (
    ('rover_start', 32.0, 18.0, 6.0, 4.0),
    ('rock_roubion', 21.5, 12.0, 5.5, 4.0),
    ('rock_montdenier', 11.5, 22.0, 5.5, 4.0),
    ('rock_coulettes', 1.5, 12.0, 5.5, 4.0),
    ('rock_malay', -8.5, 22.0, 5.5, 4.0),
    ('rock_atsah', -18.5, 12.0, 5.5, 4.0),
    ('rock_skyland', -28.5, 22.0, 5.5, 4.0),
    ('rock_bearwallow', -38.5, 12.0, 5.5, 4.0),
    ('rock_mageik', -46.5, 24.0, 5.5, 4.0),
    ('rock_amalik', -54.5, 16.0, 5.5, 4.0),
    ('rock_crosswind_lake', -60.5, 28.0, 5.5, 4.0),
)
# Rectangles: (name, x min, x max, y min, y max, blend width), metres.
FLAT_RECTS = (
    ('three_forks_depot', -84.0, -66.0, -42.0, 42.0, 5.0),
    ('lander_site', 56.0, 90.0, -14.0, 14.0, 5.0),
)

# Delta front: foot of the scarp near x = -96 m (lobes +-4 m), rising westwards over 16 m.
DELTA_FOOT_X = -96.0
DELTA_LOBE_M = 4.0
DELTA_RISE_WIDTH = 16.0
DELTA_HEIGHT = 6.2             # above the clip level: the delta top is a flat plateau
# Small craters (x, y, radius, depth); mirrored about y = 0 like everything else.
CRATERS = ((100.0, 70.0, 10.0, 1.6),)

# Value-noise octaves: (cell size m, amplitude m, seed, rotation cos, rotation sin). Each
# octave's lattice is rotated by a Pythagorean angle (exact cos/sin) to hide the grid.
FLOOR_OCTAVES = ((24.0, 0.30, 11, 0.6, 0.8), (9.0, 0.10, 23, 0.96, 0.28),
                 (3.5, 0.03, 37, 5.0 / 13.0, 12.0 / 13.0))


def _hash01(ix, iy, seed):
    """Return a deterministic pseudo-random number in [0, 1) for an integer lattice point."""
    h = (ix * 374761393 + iy * 668265263 + seed * 2246822519) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 1274126177) & 0xFFFFFFFF
    h ^= h >> 16
    return h / 4294967296.0


def _smooth(t):
    """Smoothstep 3t^2 - 2t^3 of t clamped to [0, 1]."""
    if t <= 0.0:
        return 0.0
    if t >= 1.0:
        return 1.0
    return t * t * (3.0 - 2.0 * t)


def _floor_div(value, cell):
    """Integer lattice index and fractional position of value on a grid of the given cell."""
    q = value / cell
    i = int(q // 1.0)
    return i, q - i


def value_noise(x, y, cell, seed):
    """Smooth 2-D value noise in [-1, 1] with the given cell size (metres)."""
    ix, fx = _floor_div(x, cell)
    iy, fy = _floor_div(y, cell)
    sx, sy = _smooth(fx), _smooth(fy)
    a = _hash01(ix, iy, seed)
    b = _hash01(ix + 1, iy, seed)
    c = _hash01(ix, iy + 1, seed)
    d = _hash01(ix + 1, iy + 1, seed)
    top = a + (b - a) * sx
    bottom = c + (d - c) * sx
    return 2.0 * (top + (bottom - top) * sy) - 1.0


def flat_weight(x, y):
    """0 inside a flat patch, rising smoothly to 1 across its blend band, 1 elsewhere."""
    weight = 1.0
    for _name, cx, cy, radius, blend in FLAT_DISCS:
        dx, dy = x - cx, y - cy
        dist = math.sqrt(dx * dx + dy * dy)
        weight = min(weight, _smooth((dist - radius) / blend))
    for _name, x0, x1, y0, y1, blend in FLAT_RECTS:
        ox = max(x0 - x, 0.0, x - x1)
        oy = max(y0 - y, 0.0, y - y1)
        weight = min(weight, _smooth(math.sqrt(ox * ox + oy * oy) / blend))
    return weight


def terrain_height(x, y):
    """World z (metres) of the terrain vertex at (x, y), before quantisation and clipping."""
    y = abs(y)  # mirror symmetry about y = 0 (see module docstring)
    z = 0.0
    for cell, amplitude, seed, cos_a, sin_a in FLOOR_OCTAVES:
        z += amplitude * value_noise(cos_a * x - sin_a * y, sin_a * x + cos_a * y, cell, seed)
    foot = DELTA_FOOT_X + DELTA_LOBE_M * value_noise(0.0, y, 30.0, 53)
    z += DELTA_HEIGHT * _smooth((foot - x) / DELTA_RISE_WIDTH)
    for cx, cy, radius, depth in CRATERS:
        dx, dy = x - cx, y - cy
        r = math.sqrt(dx * dx + dy * dy) / radius
        if r < 1.0:
            z -= depth * (1.0 - r * r)
        elif r < 1.6:
            bump = 1.0 - (r - 1.3) * (r - 1.3) / 0.09
            z += 0.35 * max(bump, 0.0)
    return z * flat_weight(x, y)


def vertex_xy(row, col):
    """World (x, y) of the heightmap vertex at a pixel."""
    return -EXTENT_M / 2.0 + col * PITCH_M, EXTENT_M / 2.0 - row * PITCH_M


def level_of(z):
    """Quantise a world z to a 16-bit level, clipped to the image range."""
    level = int((z - Z_MIN_M) / Z_STEP_M + 0.5)
    return min(max(level, 0), MAX_LEVEL)


def z_of(level):
    """World z (metres) of a 16-bit level."""
    return Z_MIN_M + level * Z_STEP_M


def heightmap_levels():
    """Return the terrain as rows (north first) of 16-bit levels."""
    return [[level_of(terrain_height(*vertex_xy(r, c))) for c in range(SIZE_PX)]
            for r in range(SIZE_PX)]


def _stored_deflate(data):
    """Wrap bytes in a zlib stream of stored (uncompressed) blocks: identical everywhere."""
    out = bytearray(b'\x78\x01')
    block = 65535
    for start in range(0, max(len(data), 1), block):
        chunk = data[start:start + block]
        final = 1 if start + block >= len(data) else 0
        out += struct.pack('<BHH', final, len(chunk), len(chunk) ^ 0xFFFF) + chunk
    out += struct.pack('>I', zlib.adler32(data) & 0xFFFFFFFF)
    return bytes(out)


def _png_chunk(kind, payload):
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack('>I', len(payload)) + kind + payload + struct.pack('>I', crc)


def encode_png(width, height, bit_depth, colour_type, rows):
    """Encode rows of already-packed pixel bytes as a PNG (filter type 0 on every row)."""
    raw = b''.join(b'\x00' + row for row in rows)
    header = struct.pack('>IIBBBBB', width, height, bit_depth, colour_type, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + _png_chunk(b'IHDR', header) +
            _png_chunk(b'IDAT', _stored_deflate(raw)) + _png_chunk(b'IEND', b''))


def heightmap_png(levels):
    """16-bit greyscale PNG bytes of a square grid of levels."""
    rows = [b''.join(struct.pack('>H', v) for v in row) for row in levels]
    return encode_png(len(levels[0]), len(levels), 16, 0, rows)


def diffuse_png(size=64):
    """Regolith-coloured RGB texture with a little deterministic speckle."""
    base = (176, 116, 78)
    rows = []
    for r in range(size):
        row = bytearray()
        for c in range(size):
            shade = int(_hash01(c, r, 71) * 24.0) - 12
            row += bytes(min(max(v + shade, 0), 255) for v in base)
        rows.append(bytes(row))
    return encode_png(size, size, 8, 2, rows)


def normal_png(size=8):
    """Flat tangent-space normal map (every texel points straight up)."""
    return encode_png(size, size, 8, 2, [bytes((128, 128, 255)) * size] * size)


def generate(out_dir):
    """Write the three PNG files into out_dir and return their paths."""
    os.makedirs(out_dir, exist_ok=True)
    levels = heightmap_levels()
    flat = [v for row in levels for v in row]
    # Gazebo scales by the image's own extremes: both must be present (see docstring).
    assert min(flat) == 0 and max(flat) == MAX_LEVEL, 'terrain does not span the level range'
    outputs = {HEIGHTMAP_NAME: heightmap_png(levels), DIFFUSE_NAME: diffuse_png(),
               NORMAL_NAME: normal_png()}
    paths = []
    for name, data in outputs.items():
        path = os.path.join(out_dir, name)
        with open(path, 'wb') as handle:
            handle.write(data)
        paths.append(path)
    return paths


def default_output_dir():
    """perseverance_sim/worlds/media of this repository."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(repo, 'perseverance_sim', 'worlds', 'media')


def main(argv=None):
    """Command-line entry point."""
    argv = sys.argv[1:] if argv is None else argv
    out_dir = argv[0] if argv else default_output_dir()
    for path in generate(out_dir):
        print('wrote', path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
