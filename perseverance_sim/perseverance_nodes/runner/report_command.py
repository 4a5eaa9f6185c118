# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
`perseverance-sim report RUN_DIR`: a run folder told as report.html, map.png and timeline.png.

Reads the run's recording (campaign.mcap), mission_control's report.json and the ledger
database (report/sources.py), draws the map and the timeline with matplotlib (Agg, no display)
and writes one self-contained report.html beside them. A run that lacks a part (no recording
with --no-record, a report.json never written because the run failed early) still gets a report
of what is there, which names what is missing: a failed run must still be told. Only a folder
that holds none of the three is refused (exit code 2).
"""

import io
import os
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MAP_FILE = 'map.png'
TIMELINE_FILE = 'timeline.png'
PAGE_FILE = 'report.html'


class NotARunFolder(ValueError):
    """The folder holds nothing a campaign writes; the message names what is missing."""


def _png(figure, dpi):
    """Return (PNG bytes, width, height) of a matplotlib Figure."""
    buffer = io.BytesIO()
    # No metadata: the PNG names no software (nor its web address).
    figure.savefig(buffer, format='png', dpi=dpi, metadata={'Software': None})
    width, height = figure.get_size_inches() * dpi
    return buffer.getvalue(), int(round(width)), int(round(height))


def _write(path, data):
    """Write ``data`` (bytes) to ``path`` atomically."""
    with open(path + '.tmp', 'wb') as stream:
        stream.write(data)
    os.replace(path + '.tmp', path)


def _title(run):
    from ..report.page import outcome_title
    report = run.report or {}
    headline, _ = outcome_title(run)
    if 'scenario' not in report:
        return headline
    return '{} (seed {}): {}'.format(report['scenario'], report.get('seed'), headline)


def write_run_report(run_dir, stream=None):
    """
    Write map.png, timeline.png and report.html into ``run_dir``; return their paths.

    Progress lines and what is missing go to ``stream`` (default stdout). Raises NotARunFolder
    for a folder that is not a run folder, OSError when a file cannot be written.
    """
    from ..domain.sdf import SdfError
    from ..report import map_figure, page, sources, timeline_figure
    stream = stream or sys.stdout
    is_run, why = sources.is_run_folder(run_dir)
    if not is_run:
        raise NotARunFolder(why)
    run = sources.read_run(run_dir, progress=lambda text: print('  ' + text, file=stream))
    title = _title(run)
    figures, paths = {}, []
    print('  drawing the map', file=stream)
    try:
        figure, _ = map_figure.draw_map(run, title='Traverse map: ' + title)
        figures['map'] = _png(figure, map_figure.DPI)
    except (SdfError, OSError) as error:
        run.missing.append('the map cannot be drawn: the terrain did not load ({})'
                           .format(error))
    if run.report is not None or run.recording is not None:
        print('  drawing the timeline', file=stream)
        figure, _ = timeline_figure.draw_timeline(run, title='Timeline: ' + title)
        figures['timeline'] = _png(figure, timeline_figure.DPI)
    for name, file in (('map', MAP_FILE), ('timeline', TIMELINE_FILE)):
        if name in figures:
            paths.append(os.path.join(run_dir, file))
            _write(paths[-1], figures[name][0])
    for line in run.missing:
        print('  missing   {}'.format(line), file=stream)
    paths.append(os.path.join(run_dir, PAGE_FILE))
    _write(paths[-1], page.render_page(run, figures).encode('utf-8'))
    for path in paths:
        print('  wrote     {}'.format(path), file=stream)
    return paths


def run_report(run_dir, stream=None):
    """Write ``run_dir``'s report; return the exit code (0 written, 1 failed, 2 not a run)."""
    stream = stream or sys.stdout
    print('perseverance-sim report: {}'.format(run_dir), file=stream)
    try:
        write_run_report(run_dir, stream)
    except NotARunFolder as error:
        print('perseverance-sim report: {}'.format(error), file=stream)
        return EXIT_USAGE
    except OSError as error:
        print('perseverance-sim report: cannot write the report: {}'.format(error), file=stream)
        return EXIT_FAILED
    return EXIT_OK
