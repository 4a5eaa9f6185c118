# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Triangle meshes of SDF shapes, in the shape's own frame (SDF conventions: cylinders along z).

Plain numpy: vertices (N x 3, m) and faces (M x 3, counter-clockwise seen from outside), so that
the page can draw every shape with one mesh primitive and a link's shapes can be merged.
"""

import numpy as np

from ..domain.sdf.heightmap import heightmap_mesh

SEGMENTS = 20          # around a cylinder, a sphere's longitude
RINGS = 10             # a sphere's latitude bands
TERRAIN_STRIDE = 4     # the terrain keeps every 4th row and column: 65 x 65 vertices, cheap
#                        enough for a software-rendered browser (the physics uses all 257 x 257)
PLANE_DRAWN_SIZE = 50.0  # m: an infinite plane is drawn as a square this wide


def box(size):
    """Return the mesh of a box with full edge lengths ``size``."""
    half = np.asarray(size, dtype=float) / 2
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]) * half
    # Corner index bits: x 4, y 2, z 1; two triangles per face, outward.
    faces = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5],    # -x, +x
                      [0, 4, 5], [0, 5, 1], [2, 3, 7], [2, 7, 6],    # -y, +y
                      [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])   # -z, +z
    return corners, faces


def cylinder(radius, length, segments=SEGMENTS):
    """Return the mesh of a cylinder along z, centred on the origin, with closed ends."""
    angles = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    ring = np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)
    bottom = np.hstack([ring, np.full((segments, 1), -length / 2)])
    top = np.hstack([ring, np.full((segments, 1), length / 2)])
    vertices = np.vstack([bottom, top, [[0, 0, -length / 2], [0, 0, length / 2]]])
    i = np.arange(segments)
    j = (i + 1) % segments
    centre_bottom, centre_top = 2 * segments, 2 * segments + 1
    faces = np.vstack([np.stack([i, j, segments + j], axis=1),
                       np.stack([i, segments + j, segments + i], axis=1),
                       np.stack([np.full(segments, centre_bottom), j, i], axis=1),
                       np.stack([np.full(segments, centre_top), segments + i, segments + j],
                                axis=1)])
    return vertices, faces


def ellipsoid(radii, segments=SEGMENTS, rings=RINGS):
    """Return the mesh of an ellipsoid with semi-axes ``radii`` (a sphere when all equal)."""
    polar = np.linspace(0.0, np.pi, rings + 1)[1:-1]
    azimuth = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    p, a = np.meshgrid(polar, azimuth, indexing='ij')
    body = np.stack([np.sin(p) * np.cos(a), np.sin(p) * np.sin(a), np.cos(p)], axis=-1)
    vertices = np.vstack([[[0, 0, 1]], body.reshape(-1, 3), [[0, 0, -1]]]) * np.asarray(radii)
    bands = rings - 1
    index = 1 + np.arange(bands * segments).reshape(bands, segments)
    nxt = np.roll(index, -1, axis=1)
    south = len(vertices) - 1
    faces = [np.stack([np.zeros(segments, int), index[0], nxt[0]], axis=1),
             np.stack([np.full(segments, south), nxt[-1], index[-1]], axis=1)]
    for band in range(bands - 1):
        faces.append(np.stack([index[band], index[band + 1], nxt[band + 1]], axis=1))
        faces.append(np.stack([index[band], nxt[band + 1], nxt[band]], axis=1))
    return vertices, np.vstack(faces)


def capsule(radius, length):
    """Return the mesh of a capsule along z: a cylinder with a half sphere on each end."""
    cyl_vertices, cyl_faces = cylinder(radius, length)
    parts = [(cyl_vertices, cyl_faces)]
    for end in (-1, 1):
        vertices, faces = ellipsoid((radius, radius, radius))
        parts.append((vertices + [0, 0, end * length / 2], faces))
    return merge(parts)


def plane(size, normal):
    """Return a square of the plane's ``size`` (or PLANE_DRAWN_SIZE when unbounded) along z up."""
    width, depth = (PLANE_DRAWN_SIZE, PLANE_DRAWN_SIZE) if size is None else size[:2]
    vertices = np.array([[-width / 2, -depth / 2, 0], [width / 2, -depth / 2, 0],
                         [width / 2, depth / 2, 0], [-width / 2, depth / 2, 0]], dtype=float)
    return _rotate_z_to(vertices, normal), np.array([[0, 1, 2], [0, 2, 3]])


def _rotate_z_to(vertices, normal):
    """Rotate ``vertices`` so that +z points along ``normal``."""
    n = np.asarray(normal if normal is not None else (0, 0, 1), dtype=float)
    n = n / np.linalg.norm(n)
    axis = np.cross([0.0, 0.0, 1.0], n)
    sin, cos = np.linalg.norm(axis), n[2]
    if sin < 1e-9:
        return vertices if cos > 0 else vertices * [1, -1, -1]
    k = axis / sin
    skew = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    rotation = np.eye(3) + sin * skew + (1 - cos) * skew @ skew
    return vertices @ rotation.T


def geometry_mesh(geometry):
    """Return (vertices, faces) of an SDF ``Geometry``; None for a type with nothing to draw."""
    kind = geometry.type
    if kind == 'box':
        return box(geometry.size)
    if kind == 'cylinder':
        return cylinder(geometry.radius, geometry.length)
    if kind == 'sphere':
        return ellipsoid((geometry.radius,) * 3)
    if kind == 'ellipsoid':
        return ellipsoid(geometry.radii)
    if kind == 'capsule':
        return capsule(geometry.radius, geometry.length)
    if kind == 'plane':
        return plane(geometry.size, geometry.normal)
    if kind == 'heightmap':
        return heightmap_mesh(geometry, TERRAIN_STRIDE)
    return None


def transformed(mesh, transform):
    """Return ``mesh`` with its vertices mapped by ``transform`` (domain.sdf Transform)."""
    vertices, faces = mesh
    return vertices @ transform.rot.T + transform.pos, faces


def merge(meshes):
    """Return one mesh holding every mesh of ``meshes`` (faces re-indexed)."""
    vertices, faces, offset = [], [], 0
    for mesh_vertices, mesh_faces in meshes:
        vertices.append(mesh_vertices)
        faces.append(np.asarray(mesh_faces) + offset)
        offset += len(mesh_vertices)
    return np.vstack(vertices), np.vstack(faces)
