# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
`perseverance-sim report`: the map, the timeline and the page of synthetic run folders.

The run folders are the quick scenario played by runner/dry_run with a small recording
(test/run_folder.make_run_folder). The figures are checked in their pixels, where
report.map_figure.world_to_pixel and the timeline's layout say things were drawn.
"""

import io
import json
import os
import re
import shutil

from matplotlib.colors import to_rgb
import numpy as np
from perseverance_nodes.domain.tubes import (GROUND, LANDER_CONTAINER, LANDER_TRANSFER_ARM,
                                             MAV_LAUNCHED, ROVER_ARM, ROVER_CACHING_ASSEMBLY,
                                             TUBE_COUNT)
from perseverance_nodes.ledger.logic import CustodyEvent, TubeLedger
from perseverance_nodes.report import map_figure, page, sources, style, timeline_figure
from perseverance_nodes.runner import report_command
from PIL import Image
import pytest
from test_report_run_folder import make_run_folder

# A failed helicopter flight (its tube stays in the depot) and a failed launch: the campaign
# fails, with two red steps.
FAILURES = {('retrieve', 1): 'HELICOPTER_LOST', ('launch', 1): 'MAV_FAULT'}


def _pixels(png):
    """Return an image file or PNG bytes as an RGB array (rows x columns x 3, 0..255)."""
    source = io.BytesIO(png) if isinstance(png, bytes) else png
    with Image.open(source) as image:
        return np.asarray(image.convert('RGB')).astype(int)


def _rgb(colour):
    return np.array([round(255 * c) for c in to_rgb(colour)])


def _png(figure, dpi):
    buffer = io.BytesIO()
    figure.savefig(buffer, format='png', dpi=dpi)
    return buffer.getvalue()


@pytest.fixture(scope='module')
def recorded(tmp_path_factory):
    """Give a successful run folder with its recording, its report written by the command."""
    directory = tmp_path_factory.mktemp('recorded')
    report = make_run_folder(directory)
    output = io.StringIO()
    code = report_command.run_report(str(directory), output)
    return directory, report, code, output.getvalue()


@pytest.fixture(scope='module')
def failed(tmp_path_factory):
    """Give a failed campaign's run folder (recorded) and its RunData."""
    directory = tmp_path_factory.mktemp('failed')
    report = make_run_folder(directory, forced_failures=FAILURES)
    return directory, report, sources.read_run(str(directory))


def test_the_command_writes_the_map_the_timeline_and_a_self_contained_page(recorded):
    """Exit 0; three files named in the output; the page inlines its figures, links nowhere."""
    directory, report, code, output = recorded
    assert code == report_command.EXIT_OK, output
    written = [str(directory / name) for name in (report_command.MAP_FILE,
                                                  report_command.TIMELINE_FILE,
                                                  report_command.PAGE_FILE)]
    for path in written:
        assert '  wrote     {}\n'.format(path) in output
    assert 'missing' not in output
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [sources.BAG_FILE, sources.LEDGER_FILE, sources.REPORT_FILE, report_command.MAP_FILE,
         report_command.PAGE_FILE, report_command.TIMELINE_FILE])   # nothing else left
    with Image.open(directory / report_command.MAP_FILE) as image:
        assert image.size == (map_figure.WIDTH, map_figure.HEIGHT)
    text = (directory / report_command.PAGE_FILE).read_text(encoding='utf-8')
    sources_of = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text)
    assert len(sources_of) == 2 and all(s.startswith('data:image/png;base64,')
                                        for s in sources_of)
    assert not re.search(r'https?:|<script|<link|@import|url\(', text)
    assert 'Campaign quick <span class="ok">SUCCEEDED</span>' in text
    assert '<dt>Tubes launched</dt><dd>{}</dd>'.format(report['counts']['launched']) in text


def test_the_map_shows_the_rover_track_along_its_odometry(recorded):
    """Pixels along the recorded odometry differ from the map drawn without the tracks."""
    directory, _, _, _ = recorded
    run = sources.read_run(str(directory))
    with_tracks = _pixels(directory / report_command.MAP_FILE)
    figure, frame = map_figure.draw_map(run, tracks=False)
    without = _pixels(_png(figure, map_figure.DPI))
    assert with_tracks.shape == without.shape
    assert map_figure.map_frame(run) == frame     # map.png's frame, from the run alone
    rover = run.recording.tracks['rover']
    inside = frame.x_min < rover.xyz[:, 0]
    xyz = rover.xyz[inside][::5]
    columns, rows = map_figure.world_to_pixel(frame, xyz[:, 0], xyz[:, 1])
    columns, rows = columns.astype(int), rows.astype(int)
    assert len(columns) > 100
    changed = np.abs(with_tracks[rows, columns] - without[rows, columns]).sum(axis=1) > 60
    assert changed.mean() > 0.9, 'only {:.0%} of the track drawn'.format(changed.mean())
    near_rover_colour = np.abs(with_tracks[rows, columns] - _rgb(style.ROVER_COLOUR)).max(
        axis=1) < 40
    assert near_rover_colour.mean() > 0.6
    # Away from the track the two maps are the same terrain.
    assert np.array_equal(with_tracks[-40:, :60], without[-40:, :60])


def test_world_to_pixel_is_the_transform_matplotlib_drew_with(recorded):
    """The map's axes data transform and world_to_pixel agree to a fraction of a pixel."""
    directory, _, _, _ = recorded
    run = sources.read_run(str(directory))
    figure, frame = map_figure.draw_map(run)
    axes = figure.axes[0]
    figure.canvas.draw()
    points = np.array([[frame.x_min, frame.y_min], [0.0, 0.0], [70.0, 0.0], [-72.0, -36.0]])
    display = axes.transData.transform(points)
    columns, rows = map_figure.world_to_pixel(frame, points[:, 0], points[:, 1])
    assert columns == pytest.approx(display[:, 0], abs=0.01)
    assert rows == pytest.approx(map_figure.HEIGHT - display[:, 1], abs=0.01)
    # To scale: a metre is as many pixels east as north.
    (x_scale, y_scale) = (frame.box[2] / (frame.x_max - frame.x_min),
                          frame.box[3] / (frame.y_max - frame.y_min))
    assert x_scale == pytest.approx(y_scale)


def test_every_tube_ends_on_the_map_coloured_by_its_holder(failed):
    """Launched tubes at the lander, the lost flight's tube in its depot slot, unused ones."""
    _, report, run = failed
    marks, unplaced = map_figure.tube_marks(run)
    assert unplaced == []
    kinds = {mark.kind: mark for mark in marks if not mark.unused}
    in_depot = [t['tube_id'] for t in report['tubes'] if t['holder'].startswith('depot/')]
    assert kinds['depot'].tubes == tuple(in_depot) and len(in_depot) == 1
    assert len(kinds['container'].tubes) == report['counts']['in_container'] == 3
    assert kinds['container'].x == pytest.approx(70.4, abs=0.5)
    [unused] = [mark for mark in marks if mark.unused]
    assert unused.label == '39 unused' and unused.kind == 'rover'
    figure, frame = map_figure.draw_map(run)
    pixels = _pixels(_png(figure, map_figure.DPI))
    column, row = map_figure.world_to_pixel(frame, kinds['depot'].x, kinds['depot'].y)
    assert np.abs(pixels[int(row), int(column)] - _rgb(style.HOLDER_COLOURS['depot'])).max() < 30


def test_without_a_recording_the_tubes_are_where_the_ledger_last_saw_them(tmp_path):
    """No bag: the used tubes at their last custody event, the unused ones not placed."""
    make_run_folder(tmp_path, bag=False)
    run = sources.read_run(str(tmp_path))
    assert run.recording is None
    assert any('no campaign.mcap' in line for line in run.missing)
    marks, unplaced = map_figure.tube_marks(run)
    assert [mark.label for mark in marks] == ['4 tubes']
    assert len(unplaced) == 39
    assert report_command.run_report(str(tmp_path), io.StringIO()) == 0


def test_the_timeline_has_a_row_per_node_with_its_steps(recorded):
    """mission_control, rover, caching_assembly, lander, helicopter_1; bars where steps ran."""
    directory, report, _, _ = recorded
    run = sources.read_run(str(directory))
    figure, layout = timeline_figure.draw_timeline(run)
    rows = ('mission_control', 'rover', 'caching_assembly', 'lander', 'helicopter_1')
    assert layout.rows == rows
    assert [label.get_text() for label in figure.axes[0].get_yticklabels()] == list(rows)
    pixels = _pixels(_png(figure, timeline_figure.DPI))
    assert pixels.shape[:2] == (layout.frame.size[1], layout.frame.size[0])
    for step in report['steps']:
        if step['end'] - step['start'] < 0.02 * report['sim_duration']:
            continue   # a few pixels wide: its middle may be its neighbour's edge
        column, _ = layout.frame.to_pixel((step['start'] + step['end']) / 2, 0)
        row = layout.row_pixel(sources.step_node(step))
        colour = pixels[int(row) + 6, int(column)]   # below the step number
        assert min(np.abs(colour - _rgb(shade)).max()
                   for shade in timeline_figure.SUCCESS_SHADES) < 10, step


def test_a_fault_is_marked_when_it_fired_and_when_it_was_recovered(recorded):
    """The Mageik seal fault: a red cross at its firing, a green dot at its recovery."""
    directory, report, _, _ = recorded
    run = sources.read_run(str(directory))
    [span] = run.recording.faults
    assert timeline_figure.fault_node(span) == 'caching_assembly'
    figure, layout = timeline_figure.draw_timeline(run)
    pixels = _pixels(_png(figure, timeline_figure.DPI))
    row = layout.frame.to_pixel(0, layout.rows.index('caching_assembly')
                                - timeline_figure.BAR_HEIGHT / 2 - 0.12)[1]
    for when, colour in ((span.fired, style.FAULT_COLOUR),
                         (span.recovered, style.RECOVERED_COLOUR)):
        column = layout.frame.to_pixel(when, 0)[0]
        assert np.abs(pixels[int(row), int(column)] - _rgb(colour)).max() < 30, when
    assert span.fired == pytest.approx(report['faults'][0]['fired_at'])


def test_a_failed_campaign_is_told_red(failed, tmp_path):
    """Failed steps are red bars and red rows; the page says FAILED and why."""
    directory, report, run = failed
    figure, layout = timeline_figure.draw_timeline(run)
    pixels = _pixels(_png(figure, timeline_figure.DPI))
    failed_steps = [step for step in report['steps'] if not step['success']]
    assert [s['error_code'] for s in failed_steps] == ['HELICOPTER_LOST', 'MAV_FAULT']
    for step in failed_steps:   # each failed at once: a bar of the least width
        column, _ = layout.frame.to_pixel(step['start'], 0)
        colour = pixels[int(layout.row_pixel(sources.step_node(step))), int(column) + 1]
        assert np.abs(colour - _rgb(style.FAILED_COLOUR)).max() < 10, step
    text = page.render_page(run, {})
    assert 'Campaign quick <span class="failed">FAILED</span>' in text
    assert report['failure'] and page.html.escape(report['failure']) in text
    assert text.count('<tr class="failed">') == 2
    assert 'No traverse map' in text and 'No timeline' in text


def test_a_recording_cut_short_is_read_up_to_where_it_ends(recorded, tmp_path):
    """A bag whose recorder died (no summary) still gives tracks, and the cut is named."""
    directory, _, _, _ = recorded
    for name in (sources.REPORT_FILE, sources.LEDGER_FILE):
        shutil.copy(directory / name, tmp_path / name)
    data = (directory / sources.BAG_FILE).read_bytes()
    (tmp_path / sources.BAG_FILE).write_bytes(data[:int(len(data) * 0.6)])
    run = sources.read_run(str(tmp_path))
    [cut] = [line for line in run.missing if 'was not closed' in line]
    assert str(tmp_path / sources.BAG_FILE) in cut
    whole = sources.read_recording(str(directory / sources.BAG_FILE))
    rover = run.recording.tracks['rover']
    assert 0 < len(rover.times) < len(whole.tracks['rover'].times)
    assert rover.xyz == pytest.approx(whole.tracks['rover'].xyz[:len(rover.times)])
    output = io.StringIO()
    assert report_command.run_report(str(tmp_path), output) == 0
    assert 'missing   {}'.format(cut) in output.getvalue()


def test_a_file_that_is_not_a_bag_is_named(tmp_path):
    """A campaign.mcap that is no MCAP file: the report is written and says why it is absent."""
    make_run_folder(tmp_path, bag=False)
    (tmp_path / sources.BAG_FILE).write_text('not a bag')
    (tmp_path / sources.REPORT_FILE).write_text('{"truncated":')
    run = sources.read_run(str(tmp_path))
    assert run.recording is None and run.report is None
    assert any('is not an MCAP file' in line for line in run.missing)
    assert any(sources.REPORT_FILE in line and 'cannot be read' in line for line in run.missing)
    assert report_command.run_report(str(tmp_path), io.StringIO()) == 0
    assert 'outcome unknown' in (tmp_path / report_command.PAGE_FILE).read_text()


def test_a_folder_that_is_not_a_run_folder_is_refused(tmp_path):
    """Exit code 2, naming the files a run folder holds; nothing is written."""
    output = io.StringIO()
    assert report_command.run_report(str(tmp_path), output) == report_command.EXIT_USAGE
    assert ('is not a run folder: it holds none of report.json, tube_ledger.db, campaign.mcap'
            in output.getvalue())
    assert list(tmp_path.iterdir()) == []
    output = io.StringIO()
    assert report_command.run_report(str(tmp_path / 'absent'), output) == 2
    assert 'absent is not a directory' in output.getvalue()


def test_a_run_that_ended_before_its_first_report_is_still_told(recorded, tmp_path):
    """Only the ledger: the page says the outcome is unknown and what is missing, no timeline."""
    directory, _, _, _ = recorded
    shutil.copy(directory / sources.LEDGER_FILE, tmp_path / sources.LEDGER_FILE)
    output = io.StringIO()
    assert report_command.run_report(str(tmp_path), output) == 0
    assert not (tmp_path / report_command.TIMELINE_FILE).exists()
    assert (tmp_path / report_command.MAP_FILE).exists()
    text = (tmp_path / report_command.PAGE_FILE).read_text()
    assert 'outcome unknown (no report.json)' in text
    assert 'no report.json: the outcome and the steps cannot be shown' in text
    assert 'No timeline' in text
    assert 'tube_01' in text     # the chain of custody is still told


def test_the_page_escapes_what_the_run_wrote(recorded, tmp_path):
    """Text from report.json and the ledger is escaped: no markup gets through."""
    directory, report, _, _ = recorded
    hostile = dict(report, scenario='<b>quick</b>', failure='a & b')
    hostile['steps'] = [dict(report['steps'][0], description='<script>alert(1)</script>')]
    (tmp_path / sources.REPORT_FILE).write_text(json.dumps(hostile))
    run = sources.read_run(str(tmp_path))
    text = page.render_page(run, {})
    assert '<script' not in text and '<b>quick' not in text
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in text
    assert 'Campaign &lt;b&gt;quick&lt;/b&gt;' in text and 'a &amp; b' in text


def test_each_step_is_put_on_the_row_of_the_node_that_ran_it():
    """mission_control's report names each step's node; a step without one is its own."""
    assert sources.step_node({'action': 'cache', 'node': 'caching_assembly'}) == \
        'caching_assembly'
    assert sources.step_node({'action': 'retrieve', 'node': 'helicopter_2'}) == 'helicopter_2'
    assert sources.step_node({'action': 'navigate'}) == 'mission_control'


def test_every_holder_has_a_kind_and_a_colour():
    """The ledger's holders map onto the map's kinds; an unknown holder is an error."""
    holders = {ROVER_CACHING_ASSEMBLY: 'rover', ROVER_ARM: 'rover', GROUND: 'ground',
               LANDER_TRANSFER_ARM: 'lander_arm', LANDER_CONTAINER: 'container',
               MAV_LAUNCHED: 'launched', 'depot/slot_07': 'depot',
               'helicopter_3/gripper': 'helicopter'}
    for holder, kind in holders.items():
        assert style.holder_kind(holder) == kind
        assert kind in style.HOLDER_COLOURS
    with pytest.raises(ValueError, match="holder 'lander/cupboard'"):
        style.holder_kind('lander/cupboard')


def test_unused_tubes_are_summarised_as_ranges():
    """Consecutive tubes read as one range."""
    assert page.tube_ranges(['tube_07', 'tube_05', 'tube_06', 'tube_09', 'tube_43']) == \
        'tube_05 .. tube_07, tube_09, tube_43'


def test_a_ledger_left_open_is_read_with_its_write_ahead_log(tmp_path):
    """A ledger whose process died keeps its last events in the -wal file: they are read."""
    path = str(tmp_path / sources.LEDGER_FILE)
    ledger = TubeLedger(path)
    try:
        ledger.record(CustodyEvent(1.0, 'tube_01', ROVER_CACHING_ASSEMBLY, ROVER_ARM, 'core',
                                   '/rover', (1.0, 2.0, 0.0)))
        assert os.path.getsize(path + '-wal') > 0
        chains = sources.read_ledger(path)
    finally:
        ledger.close()
    assert len(chains) == TUBE_COUNT
    assert chains[0].holder == ROVER_ARM
    assert [(e.sequence, e.action, e.actor) for e in chains[0].events] == [(1, 'core', '/rover')]
