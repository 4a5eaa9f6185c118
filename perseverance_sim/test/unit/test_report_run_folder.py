# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""The synthetic run folder of run_folder.py reads back as the recorder's run folder would."""

from mcap.reader import make_reader
from perseverance_nodes.domain.site_layout import ROVER_START
from perseverance_nodes.report import sources
import pytest
from run_folder import make_run_folder


@pytest.fixture(scope='module')
def run_folder(tmp_path_factory):
    """Give a synthetic run folder with its recording."""
    directory = tmp_path_factory.mktemp('run')
    return directory, make_run_folder(directory)


def test_the_synthetic_bag_is_what_the_recorder_writes(run_folder):
    """ros2 profile, CDR messages, ros2msg schemas holding whole definitions, sim log times."""
    directory, report = run_folder
    with open(directory / sources.BAG_FILE, 'rb') as stream:
        reader = make_reader(stream)
        summary = reader.get_summary()
        assert reader.get_header().profile == 'ros2'
        assert {c.message_encoding for c in summary.channels.values()} == {'cdr'}
        assert {s.encoding for s in summary.schemas.values()} == {'ros2msg'}
        odometry = [s for s in summary.schemas.values() if s.name == 'nav_msgs/msg/Odometry']
        assert b'MSG: geometry_msgs/Pose' in odometry[0].data
        assert summary.statistics.message_end_time <= report['sim_duration'] * 1e9 + 1


def test_the_run_folder_reads_back(run_folder):
    """Every source of the synthetic run is read: the tracks, the faults, the ledger's chains."""
    directory, report = run_folder
    run = sources.read_run(str(directory))
    assert run.missing == []
    assert list(run.recording.tracks) == ['rover', 'helicopter_1']
    rover = run.recording.tracks['rover']
    assert rover.xyz[0, :2].tolist() == pytest.approx([ROVER_START.x, ROVER_START.y])
    assert rover.times[-1] == pytest.approx(report['sim_duration'], abs=1.0)
    [fault] = run.recording.faults
    assert (fault.kind, fault.state) == ('SEAL_STUCK', 'RECOVERED')
    assert fault.fired == pytest.approx(report['faults'][0]['fired_at'], abs=1e-6)
    assert fault.recovered == pytest.approx(report['faults'][0]['resolved_at'], abs=1e-6)
    assert [phase for _, phase in run.recording.phases][-1] == 'SUCCEEDED'
    holders = {chain.tube_id: chain.holder for chain in run.ledger}
    assert run.recording.holders == holders
    launched = [t['tube_id'] for t in report['tubes'] if t['holder'] == 'mav/launched']
    assert len(launched) == report['counts']['launched'] > 0
    for tube in launched:
        assert run.recording.tube_poses[tube] == pytest.approx(
            next(c.events[-1].position for c in run.ledger if c.tube_id == tube))
    chain = next(c for c in run.ledger if c.tube_id == launched[0])
    assert [e.sequence for e in chain.events] == sorted(e.sequence for e in chain.events)
    assert chain.events[-1].to_holder == 'mav/launched'
    assert chain.events[0].from_holder == 'rover/caching_assembly'
