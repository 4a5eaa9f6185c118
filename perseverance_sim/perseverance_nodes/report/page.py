# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
report.html: one self-contained page telling a run: outcome, map, timeline, steps, faults, custody.

Self-contained: the figures are inlined as data: URIs, the style sheet is inline, and there is no
script, font or link to any other file or host, so the page opens anywhere, offline. Every text
that comes from the run is escaped (html.escape).
"""

import base64
import html

from . import style
from .sources import REPORT_FILE, step_node, unused_tubes
from .timeline_figure import fault_node
from ..domain.tubes import Content, SealState, SOL_SECONDS, tube_index

_CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 0;
       color: #222; background: #faf8f5; }
main { max-width: 1440px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 14px 0 4px; }
.lede { color: #555; margin: 0 0 12px; }
.ok { color: #1e7b34; } .failed { color: #c62828; }
.outcome { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr));
           gap: 8px; }
.outcome div { background: #fff; border: 1px solid #e3ded6; border-radius: 6px;
               padding: 8px 10px; }
.outcome dt { font-size: 12px; color: #666; } .outcome dd { margin: 2px 0 0; font-size: 16px; }
.missing { background: #fff4e5; border: 1px solid #f0c58a; border-radius: 6px;
           padding: 8px 14px; }
figure { margin: 0; } img { max-width: 100%; height: auto; background: #fff;
                            border: 1px solid #e3ded6; }
table { border-collapse: collapse; font-size: 13px; background: #fff; margin: 4px 0 10px; }
th, td { border: 1px solid #e3ded6; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f1ece4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.path { color: #555; font-size: 13px; margin: 2px 0 0 18px; }
tr.failed td { background: #fdecea; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
          margin-right: 5px; vertical-align: baseline; }
details { margin: 4px 0; } summary { cursor: pointer; }
footer { color: #777; font-size: 12px; margin-top: 32px; }
"""


def _e(value):
    """Return ``value`` as escaped text ('' for None)."""
    return '' if value is None else html.escape(str(value), quote=True)


def _seconds(value, digits=1):
    """Return a time in seconds as text, '' when unknown."""
    return '' if value is None else '{:.{}f}'.format(value, digits)


def data_uri(png_bytes):
    """Return a PNG as a data: URI."""
    return 'data:image/png;base64,' + base64.b64encode(png_bytes).decode('ascii')


def _table(headers, rows, row_classes=None):
    """Return an HTML table; ``rows`` hold (text, css class) cells already escaped."""
    head = ''.join('<th>{}</th>'.format(_e(h)) for h in headers)
    body = []
    for index, row in enumerate(rows):
        css = row_classes[index] if row_classes else ''
        cells = ''.join('<td class="{}">{}</td>'.format(cls, text) if cls else
                        '<td>{}</td>'.format(text) for text, cls in row)
        body.append('<tr class="{}">{}</tr>'.format(css, cells) if css else
                    '<tr>{}</tr>'.format(cells))
    return '<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'.format(
        head, ''.join(body))


def outcome_title(run):
    """Return (headline text, css class) of the run's outcome."""
    report = run.report
    if report is None:
        return 'outcome unknown (no {})'.format(REPORT_FILE), 'failed'
    if report.get('success'):
        return 'SUCCEEDED', 'ok'
    return 'FAILED', 'failed'


def _outcome(run):
    """Return the outcome section's items as (label, escaped html)."""
    report = run.report or {}
    counts = report.get('counts', {})
    items = [('Outcome', '<span class="{1}">{0}</span>'.format(*map(_e, outcome_title(run))))]
    if not report:
        return items
    sim = report.get('sim_duration')
    wall = report.get('wall_duration')
    exits = report.get('exit_codes') or {}
    bad_exits = {name: code for name, code in exits.items() if code != 0}
    custody = report.get('custody_problems')
    items += [
        ('Final phase', _e(report.get('phase'))),
        ('Failure', _e(report.get('failure') or 'none')),
        ('Tubes launched', _e(counts.get('launched'))),
        ('Sim time', _e('{:.0f} s ({:.3f} sols)'.format(sim, sim / SOL_SECONDS)
                        if sim is not None else 'unknown')),
        ('Wall time', _e('{:.1f} s, real-time factor {}'.format(
            wall, report.get('real_time_factor')) if wall is not None else 'unknown')),
        ('Scenario', _e(report.get('scenario'))),
        ('Seed', _e(report.get('seed'))),
        ('Return paths', _e(', '.join('{} {}'.format(k, v) for k, v in
                                      (report.get('paths') or {}).items()) or 'none')),
        ('Steps', _e('{} ({} failed)'.format(counts.get('steps'), counts.get('steps_failed')))),
        ('Faults', _e('{} ({} recovered)'.format(counts.get('faults'),
                                                 counts.get('faults_recovered')))),
        ('Tubes used', _e('{} ({} sealed)'.format(counts.get('tubes_used'),
                                                  counts.get('tubes_sealed')))),
        ('Helicopters lost', _e(counts.get('helicopters_lost'))),
    ]
    if custody is not None:
        items.append(('Chain of custody', _e('sound' if not custody else '; '.join(custody))))
    if exits:
        items.append(('Processes', _e('all exited 0' if not bad_exits else 'exit codes: ' + ', '
                                      .join('{} {}'.format(k, v) for k, v in bad_exits.items()))))
    if report.get('complete') is False:
        items.append(('Report', _e('written before the campaign ended (incomplete)')))
    return items


def _steps_section(run):
    steps = run.steps
    if not steps:
        return '<p>No steps: {}.</p>'.format(
            'the campaign ran none' if run.report is not None else 'no ' + REPORT_FILE)
    rows, classes = [], []
    for step in steps:
        start, end = step.get('start'), step.get('end')
        duration = end - start if start is not None and end is not None else None
        outcome = 'succeeded' if step.get('success') else 'failed'
        rows.append([(_e(step.get('number')), 'num'), (_e(step_node(step)), ''),
                     (_e(step.get('phase')), ''), (_e(step.get('action')), ''),
                     (_e(step.get('description')), ''),
                     ('<span class="{}">{}</span>'.format(
                         'ok' if step.get('success') else 'failed', outcome), ''),
                     (_e(step.get('error_code')), ''), (_e(step.get('message')), ''),
                     (_seconds(start), 'num'), (_seconds(end), 'num'),
                     (_seconds(duration), 'num')])
        classes.append('' if step.get('success') else 'failed')
    return _table(('#', 'node', 'phase', 'action', 'description', 'outcome', 'error',
                   'message', 'start (s)', 'end (s)', 'took (s)'), rows, classes)


def _faults_section(run):
    spans, source = run.fault_spans()
    if not spans:
        return '<p>No fault was armed or fired{}.</p>'.format(
            '' if source else ' (neither a recording nor a report says)')
    rows = [[(_e(s.fault_id), ''), (_e(s.kind), ''), (_e(s.target), ''), (_e(s.trigger), ''),
             (_e(fault_node(s)), ''), (_seconds(s.fired), 'num'), (_seconds(s.recovered), 'num'),
             (_e(s.state), ''), (_e(s.description), '')] for s in spans]
    return '<p class="lede">From {}.</p>'.format(_e(source)) + _table(
        ('fault', 'kind', 'target', 'trigger', 'node', 'fired (s)', 'recovered / cleared (s)',
         'last state', 'description'), rows)


def _swatch(holder):
    colour = style.HOLDER_COLOURS[style.holder_kind(holder)]
    return '<span class="swatch" style="background:{}"></span>'.format(_e(colour))


def tube_ranges(tube_ids):
    """Return tube ids as compact ranges: 'tube_05 .. tube_38, tube_40'."""
    numbers = sorted(tube_index(tube) for tube in tube_ids)
    ranges, start = [], None
    for index, number in enumerate(numbers):
        if start is None:
            start = number
        if index + 1 == len(numbers) or numbers[index + 1] != number + 1:
            ranges.append('tube_{:02d}'.format(start) if start == number else
                          'tube_{:02d} .. tube_{:02d}'.format(start, number))
            start = None
    return ', '.join(ranges)


def holder_path(chain):
    """Return the holders a tube went through, in order, each once per stay."""
    path = [chain.events[0].from_holder] if chain.events else [chain.holder]
    for event in chain.events:
        if event.to_holder != path[-1]:
            path.append(event.to_holder)
    return path


# A custody event's state changes, as the ledger stores them, in words.
_CHANGE_NAMES = {'content': Content, 'seal': SealState}
_CHANGE_UNITS = {'core_length': ' m', 'volume': ' m3'}


def _changes(changes):
    """Return a custody event's changes as text: content=ROCK_CORE, core_length=0.0568 m."""
    words = []
    for name, value in sorted(changes.items()):
        if name in _CHANGE_NAMES:
            try:
                value = _CHANGE_NAMES[name](value).name
            except ValueError:
                pass
        elif isinstance(value, float):
            value = '{:.4g}{}'.format(value, _CHANGE_UNITS.get(name, ''))
        words.append('{}={}'.format(name, value))
    return ', '.join(words)


def _custody_section(run):
    if run.ledger is None:
        return '<p>No ledger database: the chain of custody cannot be shown.</p>'
    parts = []
    for chain in run.ledger:
        if not chain.used:
            continue
        name = ' '.join(x for x in (chain.sample_name, chain.designation) if x)
        summary = '<b>{}</b> {} &middot; {} &middot; seal {} &middot; now {}{} &middot; ' \
            '{} events'.format(_e(chain.tube_id), _e(name), _e(chain.content), _e(chain.seal),
                               _swatch(chain.holder), _e(chain.holder), len(chain.events))
        rows = [[(_e(e.sequence), 'num'), (_seconds(e.sim_time), 'num'), (_e(e.action), ''),
                 (_e(e.from_holder), ''), (_e(e.to_holder), ''), (_e(e.actor), ''),
                 (_e('{:.2f}, {:.2f}, {:.2f}'.format(*e.position)), 'num'),
                 (_e(_changes(e.changes)), '')] for e in chain.events]
        parts.append('<details open><summary>{}</summary><p class="path">{}</p>{}</details>'
                     .format(summary, _e(' \u2192 '.join(holder_path(chain))),
                             _table(('#', 'sim time (s)', 'action', 'from', 'to', 'actor',
                                     'x, y, z (m)', 'changes'), rows)))
    unused = unused_tubes(run.ledger)
    if unused:
        parts.append('<p>{} tubes never used (empty, still in {}): {}.</p>'.format(
            len(unused), _e(unused[0].holder), _e(tube_ranges([c.tube_id for c in unused]))))
    others = [c for c in run.ledger if not c.used and c not in unused]
    for chain in others:
        parts.append('<p>{} is at {} with no custody event.</p>'.format(
            _e(chain.tube_id), _e(chain.holder)))
    legend = ' '.join('<span class="swatch" style="background:{}"></span>{}'.format(
        _e(colour), _e(label)) for _, label, colour in style.HOLDER_KINDS)
    return '<p class="lede">Every event the ledger recorded, in order. {}</p>{}'.format(
        legend, ''.join(parts) or '<p>No tube changed holder or state.</p>')


def render_page(run, figures):
    """
    Return report.html's text for ``run`` (sources.RunData).

    ``figures`` maps 'map' and 'timeline' to (PNG bytes, width, height); a missing figure is
    said to be missing.
    """
    headline, css = outcome_title(run)
    report = run.report or {}
    scenario = report.get('scenario', '')
    title = 'Campaign {}: {}'.format(scenario, headline) if scenario else 'Campaign: ' + headline
    outcome = ''.join('<div><dt>{}</dt><dd>{}</dd></div>'.format(_e(label), value)
                      for label, value in _outcome(run))
    missing = ''
    if run.missing:
        missing = '<div class="missing"><b>Not in this report:</b><ul>{}</ul></div>'.format(
            ''.join('<li>{}</li>'.format(_e(text)) for text in run.missing))
    images = {}
    for name, caption in (('map', 'Traverse map'), ('timeline', 'Timeline')):
        if name in figures:
            png, width, height = figures[name]
            images[name] = ('<figure><img id="{0}-image" src="{1}" width="{2}" height="{3}" '
                            'alt="{4}"></figure>').format(name, data_uri(png), width, height,
                                                          _e(caption + ' of the campaign'))
        else:
            images[name] = '<p>No {}: nothing to draw it from.</p>'.format(_e(caption.lower()))
    return ''.join((
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<title>{}</title><style>{}</style></head><body><main>'.format(_e(title), _CSS),
        '<h1 id="outcome-title">Campaign {} <span class="{}">{}</span></h1>'.format(
            _e(scenario), css, _e(headline)),
        '<p class="lede">{}</p>'.format(_e(report.get('failure') or '')) if report.get(
            'failure') else '',
        '<dl class="outcome" id="outcome">{}</dl>'.format(outcome), missing,
        '<h2 id="map">Traverse map</h2>', images['map'],
        '<h2 id="timeline">Timeline</h2>', images['timeline'],
        '<h2 id="steps">Steps</h2>', _steps_section(run),
        '<h2 id="faults">Faults</h2>', _faults_section(run),
        '<h2 id="custody">Chain of custody</h2>', _custody_section(run),
        '<footer>Run folder {}. Figures from the recording (campaign.mcap), the ledger '
        "(tube_ledger.db) and mission_control's report.json.</footer>".format(
            _e(run.run_dir)),
        '</main></body></html>\n'))
