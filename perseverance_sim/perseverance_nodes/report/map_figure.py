# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
map.png: the traverse map of a run, drawn with matplotlib (Agg) in frame "world" seen from above.

Terrain: the world's heightmap (worlds/jezero.sdf through domain/sdf) as a hillshade. Named
places from domain/site_layout: rocks, depot slots, the lander, its drop points, the helipads,
the rover's start. Then every vehicle's odometry track from the recording and a marker where
every tube ended, coloured by the kind of its final holder (style.HOLDER_KINDS).

The axes are laid out in pixels and their limits padded to the axes' aspect, so the map is to
scale and ``world_to_pixel(frame, x, y)`` is exactly the transform the PNG was drawn with.
"""

from dataclasses import dataclass
import functools
import math

import numpy as np

from . import style
from .layout import PixelFrame
from .sources import unused_tubes
from ..domain import sdf
from ..domain.sdf.heightmap import read_heightmap
from ..domain.site_layout import (CONTRACT_ROCKS, CONTRACT_SLOTS, DROP_POINTS, HELIPADS,
                                  LANDER_SITE, LanderSite, ROVER_START)
from ..domain.tubes import rock_display_name, tube_index

WIDTH, HEIGHT, DPI = 1400, 760, 100          # px; the PNG's size
AXES_BOX = (70, 56, 1040, 640)               # left, top, width, height in px (origin top left)
MARGIN = 10.0                                # m of terrain around what the map shows
GROUP_RADIUS = 1.5                           # m: tubes this close with one holder kind share a
#                                              marker
LISTED_IN_GROUP = 3                          # a group of more tubes is labelled with its count
VERTICAL_EXAGGERATION = 8.0                  # the crater floor varies by a few metres only
CLOSE_UP_PX = 250                            # the lander close-up's side, under the legend


def world_to_pixel(frame, x, y):
    """
    Return (column, row) in map.png (row 0 at the top) of world points (x, y) in metres.

    ``frame`` is the map's PixelFrame: draw_map's, or map_frame(run) for a map.png written.
    """
    return frame.to_pixel(x, y)


@dataclass(frozen=True)
class Terrain:
    """A heightmap's elevations (m, world z; first row at +y) and the area it covers (m)."""

    heights: np.ndarray
    x_min: float
    x_max: float
    y_min: float
    y_max: float

    @property
    def spacing(self):
        """Return (dx, dy): metres between neighbouring samples."""
        rows, columns = self.heights.shape
        return ((self.x_max - self.x_min) / (columns - 1),
                (self.y_max - self.y_min) / (rows - 1))


@functools.lru_cache(maxsize=4)
def load_terrain(world_path=None):
    """
    Return the Terrain of the first heightmap in a world (default: the packaged Jezero world).

    Heights as Gazebo reads them: pixel / max value scaled by size.z (negative inverts), plus
    the geometry's pos and its link's place in the world. Raises sdf.SdfError.
    """
    world = sdf.load_world(world_path or sdf.default_world_path())
    for model in world.all_models():
        for link in model.all_links():
            for collision in link.collisions:
                geometry = collision.geometry
                if geometry.type != 'heightmap':
                    continue
                heights = read_heightmap(geometry.uri)
                size = np.asarray(geometry.size, dtype=float)
                if size[2] < 0:
                    heights = 1.0 - heights
                offset = np.zeros(3) if geometry.pos is None else np.asarray(geometry.pos)
                origin = collision.world_pose.pos + offset
                return Terrain(heights * abs(size[2]) + origin[2],
                               origin[0] - size[0] / 2, origin[0] + size[0] / 2,
                               origin[1] - size[1] / 2, origin[1] + size[1] / 2)
    raise sdf.SdfError('the world has no heightmap to shade', element='heightmap',
                       file=world.source)


def hillshade(terrain):
    """Return an RGB image (rows x columns x 3, 0..1) of the terrain lit from the north-west."""
    from matplotlib.colors import LightSource, LinearSegmentedColormap
    regolith = LinearSegmentedColormap.from_list(
        'regolith', ['#8a5a3c', '#c08a5e', '#e3bf94', '#f3dcc0'])
    dx, dy = terrain.spacing
    light = LightSource(azdeg=315, altdeg=40)
    return light.shade(terrain.heights, cmap=regolith, blend_mode='soft', dx=dx, dy=dy,
                       vert_exag=VERTICAL_EXAGGERATION)[..., :3]


def _places():
    """Return the named places as {kind: [(x, y, label), ...]} in frame world."""
    site = LanderSite(LANDER_SITE)
    return {
        'rock': [(x, y, rock_display_name(key)) for key, (x, y) in CONTRACT_ROCKS.items()],
        'slot': [(x, y, str(number)) for number, (x, y) in enumerate(CONTRACT_SLOTS, 1)],
        'lander': [(LANDER_SITE.x, LANDER_SITE.y, 'lander')],
        'drop': [(x, y, '') for x, y, _ in site.drop_points(len(DROP_POINTS))],
        'helipad': [(x, y, 'H{}'.format(number)) for number, (x, y) in enumerate(HELIPADS, 1)],
        'start': [(ROVER_START.x, ROVER_START.y, 'rover start')],
    }


# kind: marker, size, face, edge, legend label
_PLACE_STYLES = {
    'rock': ('^', 9, '#5b4636', 'white', 'rock outcrop'),
    'slot': ('s', 7, 'none', '#5b4636', 'Three Forks depot slot'),
    'lander': ('h', 16, '#d9d9d9', '#333333', 'lander'),
    'drop': ('X', 7, '#ffffff', '#333333', 'helicopter drop point'),
    'helipad': ('o', 10, 'none', '#333333', 'helipad'),
    'start': ('*', 14, '#ffd84a', '#333333', 'rover start'),
}


@dataclass(frozen=True)
class TubeMark:
    """Tubes that ended in one place with one holder kind: one marker on the map."""

    x: float
    y: float
    kind: str           # a style.HOLDER_KINDS key
    tubes: tuple
    unused: bool = False

    @property
    def label(self):
        """Return the marker's label: the tube numbers, or the count of a large group."""
        if self.unused:
            return '{} unused'.format(len(self.tubes))
        if len(self.tubes) > LISTED_IN_GROUP:
            return '{} tubes'.format(len(self.tubes))
        return ' '.join('{:02d}'.format(tube_index(tube)) for tube in self.tubes)


def tube_marks(run):
    """
    Return (TubeMarks, ids of tubes with no known place): where every tube ended, grouped.

    Holder: the ledger, else the recording's last /tube_inventory. Place: the recording's last
    /world/tube_poses, else the ledger's last event of the tube. The unused tubes (never out of
    the caching assembly) are one group; without a recording their place is not known (the
    ledger has no event of them).
    """
    chains = run.ledger or []
    recording = run.recording
    holders = {chain.tube_id: chain.holder for chain in chains}
    if not holders and recording is not None:
        holders = dict(recording.holders)
    unused = {chain.tube_id for chain in unused_tubes(chains)}
    places = {chain.tube_id: chain.events[-1].position for chain in chains if chain.events}
    if recording is not None:
        places.update(recording.tube_poses)
    groups, unplaced = [], []    # groups: [key, x, y, kind, tubes]
    for tube in sorted(holders):
        if tube not in places:
            unplaced.append(tube)
            continue
        x, y = places[tube][:2]
        if not (math.isfinite(x) and math.isfinite(y)):
            unplaced.append(tube)
            continue
        kind = style.holder_kind(holders[tube])
        key = (kind, tube in unused)
        for group in groups:
            if group[0] == key and math.hypot(group[1] - x, group[2] - y) <= GROUP_RADIUS:
                group[4].append(tube)
                break
        else:
            groups.append([key, x, y, kind, [tube]])
    marks = [TubeMark(x, y, kind, tuple(tubes), key[1]) for key, x, y, kind, tubes in groups]
    return marks, unplaced


def map_frame(run, terrain=None, marks=None):
    """
    Return the PixelFrame the map of ``run`` is drawn with (see world_to_pixel).

    It shows every place, track and tube with MARGIN around them, widened to the axes' aspect
    (the map is to scale) and kept on the terrain. ``terrain`` and ``marks`` default to
    load_terrain() and tube_marks(run).
    """
    terrain = terrain or load_terrain()
    marks = tube_marks(run)[0] if marks is None else marks
    xs = [x for points in _places().values() for x, _, _ in points]
    ys = [y for points in _places().values() for _, y, _ in points]
    if run.recording is not None:
        for track in run.recording.tracks.values():
            xs += [float(track.xyz[:, 0].min()), float(track.xyz[:, 0].max())]
            ys += [float(track.xyz[:, 1].min()), float(track.xyz[:, 1].max())]
    for mark in marks:
        xs.append(mark.x)
        ys.append(mark.y)
    x_min, x_max = max(min(xs) - MARGIN, terrain.x_min), min(max(xs) + MARGIN, terrain.x_max)
    y_min, y_max = max(min(ys) - MARGIN, terrain.y_min), min(max(ys) + MARGIN, terrain.y_max)
    return _fitted_frame((x_min, x_max, y_min, y_max), AXES_BOX)


def _fitted_frame(area, box):
    """Return the PixelFrame of ``box`` showing ``area`` (x0, x1, y0, y1), widened to scale."""
    x_min, x_max, y_min, y_max = area
    _, _, width, height = box
    scale = max((x_max - x_min) / width, (y_max - y_min) / height)   # m per pixel
    x_mid, y_mid = (x_min + x_max) / 2, (y_min + y_max) / 2
    return PixelFrame(x_mid - scale * width / 2, x_mid + scale * width / 2,
                      y_mid - scale * height / 2, y_mid + scale * height / 2,
                      box, (WIDTH, HEIGHT), DPI)


def draw_map(run, terrain=None, tracks=True, title=''):
    """
    Return (matplotlib Figure, PixelFrame) of the run's map; ``tracks`` False leaves them out.

    ``terrain`` defaults to the packaged world's (load_terrain). Beside the map: the legend and
    a close-up of the lander, its drop points and helipads.
    """
    terrain = terrain or load_terrain()
    marks, unplaced = tube_marks(run)
    frame = map_frame(run, terrain, marks)
    figure, axes = frame.figure()   # equal scales: the limits have the axes' aspect
    shaded = hillshade(terrain)
    handles = _draw_layers(axes, run, (terrain, shaded), marks, tracks, close_up=False)
    axes.set_xlabel('x (m, east)')
    axes.set_ylabel('y (m, north)')
    left, top, width, height = frame.box
    if title:
        figure.text(*frame.figure_point(left, 14), title, fontsize=14, weight='bold',
                    va='top')
    figure.text(*frame.figure_point(left, 36), _subtitle(run, tracks, unplaced), fontsize=9,
                color='#555555', va='top')
    figure.legend(handles=handles, loc='upper left', frameon=False, fontsize=9,
                  bbox_to_anchor=frame.figure_point(left + width + 12, top - 6))
    # The close-up: the lander's surroundings, where every return path ends.
    close_box = (left + width + 24, top + height - CLOSE_UP_PX, CLOSE_UP_PX, CLOSE_UP_PX)
    close = _fitted_frame((LANDER_SITE.x - 14, LANDER_SITE.x + 15.5, LANDER_SITE.y - 14,
                           LANDER_SITE.y + 14), close_box)
    inset = figure.add_axes((close_box[0] / WIDTH, 1 - (close_box[1] + CLOSE_UP_PX) / HEIGHT,
                             CLOSE_UP_PX / WIDTH, CLOSE_UP_PX / HEIGHT))
    inset.set_xlim(close.x_min, close.x_max)
    inset.set_ylim(close.y_min, close.y_max)
    inset.set_autoscale_on(False)
    _draw_layers(inset, run, (terrain, shaded), marks, tracks, close_up=True)
    inset.tick_params(labelsize=7)
    inset.set_title('close-up: the lander', fontsize=9, loc='left')
    axes.add_patch(_rectangle(close, edgecolor='#333333'))
    return figure, frame


def _rectangle(frame, **style_kw):
    """Return a rectangle patch around a frame's data area."""
    from matplotlib.patches import Rectangle
    return Rectangle((frame.x_min, frame.y_min), frame.x_max - frame.x_min,
                     frame.y_max - frame.y_min, fill=False, linewidth=0.8, linestyle='--',
                     zorder=2, **style_kw)


def _subtitle(run, tracks, unplaced):
    if run.recording is None:
        text = 'no recording (campaign.mcap): no tracks; tubes where the ledger last saw them'
    else:
        text = '{}final tube poses from campaign.mcap (sim time {:.0f} .. {:.0f} s)'.format(
            'odometry tracks and ' if tracks else '', run.recording.start or 0.0,
            run.recording.end or 0.0)
    if unplaced:
        text += '; {} tubes never moved, not drawn (their place is recorded only in the bag)' \
            .format(len(unplaced))
    return text


def _draw_layers(axes, run, shaded_terrain, marks, tracks, close_up):
    """Draw terrain, places, tracks and tubes on ``axes``; return the legend handles."""
    terrain, shaded = shaded_terrain
    axes.imshow(shaded, origin='upper', interpolation='bilinear', aspect='auto',
                extent=(terrain.x_min, terrain.x_max, terrain.y_min, terrain.y_max))
    axes.grid(color='white', alpha=0.25, linewidth=0.5)
    handles = _draw_places(axes, close_up)
    if tracks and run.recording is not None:
        handles += _draw_tracks(axes, run)
    return handles + _draw_tubes(axes, marks)


def _halo():
    import matplotlib.patheffects as effects
    return [effects.withStroke(linewidth=2.5, foreground='white')]


def _draw_places(axes, close_up):
    """Draw the named places; return their legend handles."""
    from matplotlib.lines import Line2D
    handles = []
    for kind, points in _places().items():
        marker, size, face, edge, label = _PLACE_STYLES[kind]
        axes.plot([p[0] for p in points], [p[1] for p in points], linestyle='none',
                  marker=marker, markersize=size, markerfacecolor=face, markeredgecolor=edge,
                  zorder=3)
        handles.append(Line2D([], [], linestyle='none', marker=marker, markersize=size * 0.8,
                              markerfacecolor=face, markeredgecolor=edge, label=label))
        for x, y, text in points:
            if text and (not close_up or kind in ('lander', 'helipad')):
                _label_place(axes, kind, x, y, text)
    if not close_up:
        x, y = CONTRACT_SLOTS[-1]
        axes.annotate('Three Forks depot', (x, y), xytext=(-4, 12), textcoords='offset points',
                      fontsize=9, color='#2b2118', path_effects=_halo(), zorder=6)
    return handles


def _label_place(axes, kind, x, y, text):
    """Write a place's name beside its marker."""
    if kind == 'slot':   # the zigzag's two columns: numbers on the outside
        offset, align = ((-8, -3), 'right') if x < -75 else ((8, -3), 'left')
    elif kind == 'helipad':
        offset, align = (0, -14), 'center'
    else:
        offset, align = (6, 5), 'left'
    axes.annotate(text, (x, y), xytext=offset, textcoords='offset points', ha=align,
                  fontsize=8 if kind in ('slot', 'helipad') else 9, color='#2b2118',
                  path_effects=_halo(), zorder=6, annotation_clip=True)


def _draw_tracks(axes, run):
    """Draw every vehicle's odometry track; return their legend handles."""
    from matplotlib.lines import Line2D
    helicopters = run.helicopters
    handles = []
    for name, track in run.recording.tracks.items():
        if name != 'rover' and name not in helicopters:
            continue      # parked all along: its helipad is on the map
        colour = style.vehicle_colour(name, helicopters)
        width = 2.2 if name == 'rover' else 1.4
        axes.plot(track.xyz[:, 0], track.xyz[:, 1], color=colour, linewidth=width,
                  solid_capstyle='round', solid_joinstyle='round',
                  zorder=4 if name == 'rover' else 5)
        axes.plot(track.xyz[-1, 0], track.xyz[-1, 1], marker='o', markersize=5, color=colour,
                  markeredgecolor='white', zorder=5)
        handles.append(Line2D([], [], color=colour, linewidth=width, marker='o',
                              markersize=4, markeredgecolor='white', markevery=[-1],
                              label='{} track, {:.0f} m'.format(name, track.length)))
    return handles


def _draw_tubes(axes, marks):
    """Draw where every tube ended; return the legend handles of the holder kinds shown."""
    from matplotlib.lines import Line2D
    for mark in marks:
        colour = style.HOLDER_COLOURS[mark.kind]
        axes.plot(mark.x, mark.y, marker='D', markersize=8 if len(mark.tubes) > 1 else 6,
                  color=colour, markeredgecolor='white', markeredgewidth=1.0, zorder=7)
        # What stays on the rover is labelled above left, what left it below right: the two
        # meet at the lander at the end of a campaign.
        offset, align = ((-7, 6), 'right') if mark.kind == 'rover' else ((7, -12), 'left')
        axes.annotate(mark.label, (mark.x, mark.y), xytext=offset, textcoords='offset points',
                      ha=align, fontsize=8, color=colour, weight='bold', path_effects=_halo(),
                      zorder=8, annotation_clip=True)
    shown = {mark.kind for mark in marks}
    return [Line2D([], [], linestyle='none', marker='D', markersize=6, color=colour,
                   markeredgecolor='white', label='tube ' + label)
            for key, label, colour in style.HOLDER_KINDS if key in shown]
