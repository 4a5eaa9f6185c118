# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
timeline.png: one row per node over sim time; each step a bar, each fault fired and recovered.

Rows: mission_control (the campaign's phases from /mission_status, else from the steps'
phases; faults of no one node), rover, caching_assembly, lander, then every helicopter that
flew. A step of report.json is a bar on the row of the node that ran it, green when it succeeded
(two shades, so neighbours stay apart), red when it failed (drawn over its neighbours). A fault
is a bracket above its node's row from when it fired (a red cross) to when it was recovered or
cleared (a green dot), from the recording's /faults (report.json's without a recording).
"""

from dataclasses import dataclass

from . import style
from .layout import PixelFrame
from .sources import HELICOPTER_PREFIX, step_node, vehicle_sort_key

WIDTH, DPI = 1400, 100
LEFT, RIGHT, TOP, BOTTOM = 150, 30, 64, 112     # px around the axes (legend below)
ROW_PX = 46
BAR_HEIGHT = 0.5                                # of a row
MIN_BAR_PX = 2.0                                # a 1 s step in a 2 h campaign stays visible
LABEL_MIN_PX = 18.0                             # bars this wide carry their step number

# The node a fault acts on, by kind (a HELICOPTER_FAILURE acts on its target).
FAULT_NODES = {'SEAL_STUCK': 'caching_assembly', 'EMPTY_CORE': 'rover',
               'CAROUSEL_DEBRIS': 'rover', 'TUBE_ON_END': 'rover', 'TUBE_IN_WHEEL_PATH': 'rover'}
SUCCESS_SHADES = (style.SUCCESS_COLOUR, '#6cc27e')
# Each campaign phase (MissionStatus PHASE_*) keeps its colour from run to run.
PHASE_COLOURS = {'IDLE': '#eeeeee', 'SAMPLING': '#d9e4f2', 'DEPOT': '#f4e1c8',
                 'PRIMARY_HANDOVER': '#dcefd6', 'BACKUP_RETRIEVAL': '#eddcf0',
                 'LOADING': '#f6efc2', 'LAUNCH': '#d3eeee', 'SUCCEEDED': '#c8e6c9',
                 'FAILED': '#f8d0d0'}
OTHER_PHASE_COLOUR = '#e6e6e6'


@dataclass(frozen=True)
class TimelineLayout:
    """The rows of a timeline, top to bottom, and its PixelFrame (x: sim s, y: row index)."""

    rows: tuple
    frame: PixelFrame

    def row_pixel(self, row):
        """Return the image row (px) of the middle of node ``row``'s bars."""
        return float(self.frame.to_pixel(self.frame.x_min, self.rows.index(row))[1])


def fault_node(span):
    """Return the node a FaultSpan acts on ('mission_control' when no node is known)."""
    if span.target.startswith(HELICOPTER_PREFIX):
        return span.target
    return FAULT_NODES.get(span.kind, 'mission_control')


def timeline_rows(run):
    """Return the node rows of ``run``'s timeline, top to bottom."""
    spans, _ = run.fault_spans()
    nodes = {step_node(step) for step in run.steps} | {fault_node(s) for s in spans}
    nodes |= set(run.helicopters)
    if _phase_spans(run, 0.0):
        nodes.add('mission_control')
    fixed = [row for row in style.NODE_ROWS if row in nodes or row != 'mission_control']
    others = sorted(nodes - set(fixed), key=vehicle_sort_key)
    return tuple(fixed + others)


def _end_time(run, spans):
    """Return the last sim time the timeline shows (s)."""
    times = [0.0]
    for step in run.steps:
        times += [t for t in (step.get('start'), step.get('end')) if t is not None]
    for span in spans:
        times += [t for t in (span.fired, span.recovered) if t is not None]
    if run.report is not None and run.report.get('sim_duration') is not None:
        times.append(run.report['sim_duration'])
    if run.recording is not None and run.recording.end is not None:
        times.append(run.recording.end)
    return max(times) or 1.0


def _phase_spans(run, end):
    """Return [(start, end, phase)] from /mission_status, else from the steps' phases."""
    changes = list(run.recording.phases) if run.recording is not None else []
    if not changes:
        for step in sorted(run.steps, key=lambda s: s.get('start') or 0.0):
            if not changes or changes[-1][1] != step['phase']:
                changes.append((step.get('start') or 0.0, step['phase']))
    spans = []
    for index, (start, phase) in enumerate(changes):
        stop = changes[index + 1][0] if index + 1 < len(changes) else end
        if stop > start or index + 1 == len(changes):
            spans.append((start, max(stop, start), phase))
    return spans


def draw_timeline(run, title=''):
    """Return (matplotlib Figure, TimelineLayout) of the run's timeline."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    rows = timeline_rows(run)
    spans, fault_source = run.fault_spans()
    end = _end_time(run, spans) * 1.01
    height = TOP + ROW_PX * len(rows) + BOTTOM
    frame = PixelFrame(0.0, end, len(rows) - 0.5, -0.5,
                       (LEFT, TOP, WIDTH - LEFT - RIGHT, ROW_PX * len(rows)), (WIDTH, height),
                       DPI)
    figure, axes = frame.figure()
    seconds_per_px = end / frame.box[2]
    axes.set_yticks(range(len(rows)), rows)
    axes.tick_params(axis='y', length=0, labelsize=10)
    axes.set_xlabel('sim time (s)')
    axes.grid(axis='x', color='#cccccc', linewidth=0.5)
    axes.set_axisbelow(True)
    for index in range(1, len(rows)):
        axes.axhline(index - 0.5, color='#e0e0e0', linewidth=0.8)
    _draw_phases(axes, run, rows, end, seconds_per_px)
    _draw_steps(axes, run, rows, end, seconds_per_px)
    _draw_faults(axes, spans, rows, end)
    left, top, _, _ = frame.box
    if title:
        figure.text(*frame.figure_point(left, 14), title, fontsize=14, weight='bold', va='top')
    figure.text(*frame.figure_point(left, 38), _subtitle(run, fault_source), fontsize=9,
                color='#555555', va='top')
    handles = [Patch(color=style.SUCCESS_COLOUR, label='step succeeded'),
               Patch(color=style.FAILED_COLOUR, label='step failed'),
               Line2D([], [], color=style.FAULT_COLOUR, marker='X', linestyle='-',
                      markersize=8, label='fault fired ...'),
               Line2D([], [], color=style.RECOVERED_COLOUR, marker='o', linestyle='none',
                      markersize=7, label='... recovered or cleared')]
    phases = []
    for start, stop, phase in _phase_spans(run, end):
        if phase not in phases and stop - start >= seconds_per_px:   # shown, however thin
            phases.append(phase)
    handles += [Patch(color=_phase_colour(phase), label='phase ' + _phase_name(phase))
                for phase in phases]
    figure.legend(handles=handles, loc='lower left', ncols=6, frameon=False, fontsize=9,
                  bbox_to_anchor=frame.figure_point(left - 8, height - 4))
    return figure, TimelineLayout(rows, frame)


def _subtitle(run, fault_source):
    parts = ['steps from report.json' if run.report is not None else 'no report.json: no steps']
    if run.recording is not None and run.recording.phases:
        parts.append('phases from campaign.mcap')
    elif run.steps:
        parts.append('phases from the steps (no recording)')
    if fault_source:
        parts.append('faults from {}'.format(fault_source))
    return '; '.join(parts)


def _draw_phases(axes, run, rows, end, seconds_per_px):
    """Shade each phase of the campaign and name it on mission_control's row (if shown)."""
    for start, stop, phase in _phase_spans(run, end):
        colour = _phase_colour(phase)
        axes.axvspan(start, stop, color=colour, alpha=0.35, linewidth=0, zorder=0)
        if 'mission_control' not in rows:
            continue
        row = rows.index('mission_control')
        axes.broken_barh([(start, max(stop - start, MIN_BAR_PX * seconds_per_px))],
                         (row - BAR_HEIGHT / 2, BAR_HEIGHT), facecolors=colour,
                         edgecolors='#9e9e9e', linewidth=0.6, zorder=2)
        name = _phase_name(phase)
        if (stop - start) / seconds_per_px >= 7.0 * len(name):
            axes.text((start + stop) / 2, row, name, ha='center', va='center', fontsize=8,
                      color='#333333', zorder=3)


def _phase_colour(phase):
    return PHASE_COLOURS.get(phase, OTHER_PHASE_COLOUR)


def _phase_name(phase):
    return phase.replace('_', ' ').lower()


def _draw_steps(axes, run, rows, end, seconds_per_px):
    """Draw every step as a bar on its node's row, coloured by its outcome."""
    shade = dict.fromkeys(rows, 0)
    for step in sorted(run.steps, key=lambda s: (s.get('start') or 0.0, s.get('number', 0))):
        row_name = step_node(step)
        row = rows.index(row_name)
        start = step.get('start') or 0.0
        stop = step.get('end')
        if stop is None:
            colour = style.RUNNING_COLOUR
            stop = end
        elif step.get('success'):
            colour = SUCCESS_SHADES[shade[row_name] % 2]
            shade[row_name] += 1
        else:
            colour = style.FAILED_COLOUR
        width = max(stop - start, MIN_BAR_PX * seconds_per_px)
        # A failure is drawn over its neighbours: a step that failed at once must show.
        axes.broken_barh([(start, width)], (row - BAR_HEIGHT / 2, BAR_HEIGHT),
                         facecolors=colour, linewidth=0,
                         zorder=2.5 if colour == style.FAILED_COLOUR else 2)
        if width / seconds_per_px >= LABEL_MIN_PX:
            axes.text(start + width / 2, row, str(step.get('number', '')), ha='center',
                      va='center', fontsize=7, color='white', zorder=3)
        if not step.get('success') and step.get('end') is not None:
            # Under the bar, reading away from the nearer end of the axis.
            right = start + width / 2 > end * 0.7
            axes.annotate('{} {}'.format(step.get('number', ''), step.get('error_code', '')),
                          (start + width if right else start, row + BAR_HEIGHT / 2),
                          xytext=(0, -1), textcoords='offset points', va='top',
                          ha='right' if right else 'left', fontsize=7,
                          color=style.FAILED_COLOUR, zorder=4)


def _draw_faults(axes, spans, rows, end):
    """Draw each fault as a bracket above its node's bars: fired (cross) to recovered (dot)."""
    for span in spans:
        if span.fired is None:
            continue        # armed, never fired
        y = rows.index(fault_node(span)) - BAR_HEIGHT / 2 - 0.12
        stop = span.recovered if span.recovered is not None else end
        axes.plot([span.fired, stop], [y, y], color=style.FAULT_COLOUR, linewidth=1.4,
                  zorder=5, linestyle='-' if span.recovered is not None else '--')
        axes.plot(span.fired, y, marker='X', markersize=8, color=style.FAULT_COLOUR,
                  markeredgecolor='white', zorder=6)
        if span.recovered is not None:
            axes.plot(span.recovered, y, marker='o', markersize=7,
                      color=style.RECOVERED_COLOUR, markeredgecolor='white', zorder=6)
        label = '{} {}'.format(span.kind, span.target).strip()
        if span.recovered is None:
            label += ' (not recovered)'
        axes.annotate(label, (span.fired, y), xytext=(6, 1), textcoords='offset points',
                      va='bottom', fontsize=7, color=style.FAULT_COLOUR, zorder=7)
