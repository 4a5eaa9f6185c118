# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the shared vocabulary, mission facts, timelines and geometry."""

import math

from perseverance_nodes.domain import tubes as logic
from perseverance_nodes.domain.facts import default_facts_path, load_mission_facts
from perseverance_nodes.domain.facts import parse_mission_facts
from perseverance_nodes.domain.geometry import Pose2D, quaternion_to_yaw, rotate_z_axis
from perseverance_nodes.domain.geometry import wrap_angle, yaw_to_quaternion
from perseverance_nodes.domain.timeline import Step, Timeline
from perseverance_nodes.domain.validation import ConfigError
import pytest
import yaml


def test_catalogue_has_38_sample_and_5_witness_tubes():
    """Check that catalogue has 38 sample and 5 witness tubes."""
    catalogue = logic.tube_catalogue()
    assert len(catalogue) == 43
    assert [t.tube_id for t in catalogue][:2] == ['tube_01', 'tube_02']
    assert catalogue[-1].tube_id == 'tube_43'
    kinds = [t.kind for t in catalogue]
    assert kinds.count(logic.TubeKind.SAMPLE) == 38
    assert kinds.count(logic.TubeKind.WITNESS) == 5
    assert all(t.kind == logic.TubeKind.WITNESS for t in catalogue[38:])


def test_serial_numbers_are_unique_and_stable():
    """Check that serial numbers are unique and stable."""
    serials = [t.serial_number for t in logic.tube_catalogue()]
    assert len(set(serials)) == 43
    # CRC-32 based: the same on every run and machine.
    assert logic.serial_number('tube_01') == 'M2020-SHT-S01-CB6C'
    assert logic.serial_number('tube_43').startswith('M2020-SHT-W43-')


@pytest.mark.parametrize('bad', ['tube_00', 'tube_44', 'tube_7', 'Tube_07', 7, None])
def test_unknown_tube_ids_are_rejected(bad):
    """Check that unknown tube ids are rejected."""
    with pytest.raises(ValueError, match='tube'):
        logic.tube_index(bad)


def test_designation_format_and_parse():
    """Check the designation format and parse."""
    assert logic.format_designation(579, 17) == 'M2020-00579-17'
    assert logic.parse_designation('M2020-00579-17') == (579, 17)
    for bad in ('M2020-579-17', 'M2020-00579-00', 'X2020-00579-17', 'M2020-00579-170'):
        with pytest.raises(ValueError, match='designation'):
            logic.parse_designation(bad)
    with pytest.raises(ValueError, match='sample number'):
        logic.format_designation(579, 100)


def test_depot_samples_match_mission_facts():
    """Check that depot samples match mission facts."""
    assert len(logic.DEPOT_SAMPLES) == 10
    mageik = logic.DEPOT_SAMPLES_BY_KEY['mageik']
    facts = (mageik.designation, mageik.sol_dropped, mageik.sol_cored)
    assert facts == ('M2020-00579-17', 655, 579)
    assert logic.DEPOT_SAMPLES_BY_KEY['roubion'].content == logic.Content.ATMOSPHERIC
    assert 'amalik_witness' not in logic.ROCK_NAMES
    assert len(logic.ROCK_NAMES) == 9
    assert [s.sol_dropped for s in logic.DEPOT_SAMPLES] == sorted(
        s.sol_dropped for s in logic.DEPOT_SAMPLES)


def test_holder_vocabulary():
    """Check the holder vocabulary."""
    for holder in ('rover/caching_assembly', 'rover/arm', 'ground', 'depot/slot_03',
                   'helicopter_1/gripper', 'lander/transfer_arm', 'lander/container',
                   'mav/launched'):
        assert logic.validate_holder(holder) == holder
    for bad in ('depot/slot_3', 'depot/slot_00', 'helicopter_0/gripper', 'rover', '', None):
        assert not logic.is_valid_holder(bad)
    with pytest.raises(ValueError, match='depot/slot_NN'):
        logic.validate_holder('depot/slot_x')
    assert logic.depot_slot(3) == 'depot/slot_03'
    assert logic.helicopter_gripper(2) == 'helicopter_2/gripper'
    assert logic.holds_one_tube('depot/slot_01') and logic.holds_one_tube('rover/arm')
    assert not logic.holds_one_tube('lander/container') and not logic.holds_one_tube('ground')


def test_fault_kinds_match_the_fault_message():
    """Check that fault kinds match the fault message."""
    assert logic.FaultKind.SEAL_STUCK == 1
    assert logic.FaultKind.HELICOPTER_FAILURE == 6
    assert len(logic.FaultKind) == 6


def test_derive_seed_is_stable_and_separates_streams():
    """Check that derive seed is stable and separates streams."""
    assert logic.derive_seed(7, 'a') == logic.derive_seed(7, 'a')
    assert logic.derive_seed(7, 'a') != logic.derive_seed(7, 'b')
    assert logic.derive_seed(7, 'a') != logic.derive_seed(8, 'a')


def test_sol_at():
    """Check sol_at."""
    assert logic.sol_at(0.0, 579) == 579
    assert logic.sol_at(logic.SOL_SECONDS * 2.5, 579) == 581
    with pytest.raises(ValueError):
        logic.sol_at(-1.0, 579)


def test_mission_facts_load():
    """Check that the packaged mission facts load."""
    facts = load_mission_facts()
    assert facts.tubes.total == 43
    assert facts.helicopter.flight_range == 700.0
    assert facts.lander.container_capacity == 30
    assert facts.caching.seal_dispensers == 7
    assert facts.rover.drop_height == pytest.approx(0.89)


def _facts_data():
    """Return the packaged mission facts as parsed YAML."""
    with open(default_facts_path(), encoding='utf-8') as f:
        return yaml.safe_load(f)


def test_mission_facts_errors_name_field_value_and_range():
    """Check that mission facts errors name field value and range."""
    data = _facts_data()
    data['helicopter']['cruise_speed'] = -1.0
    with pytest.raises(ConfigError) as error:
        parse_mission_facts(data)
    message = str(error.value)
    assert 'helicopter.cruise_speed' in message and '-1.0' in message and '[0.1, 30.0]' in message


def test_mission_facts_unknown_missing_and_inconsistent_fields():
    """Check errors for unknown, missing and inconsistent facts."""
    data = _facts_data()
    data['rover']['warp_speed'] = 9
    with pytest.raises(ConfigError, match='rover.warp_speed'):
        parse_mission_facts(data)
    data = _facts_data()
    del data['lander']['container_capacity']
    with pytest.raises(ConfigError, match='lander.container_capacity'):
        parse_mission_facts(data)
    data = _facts_data()
    data['depot']['spacing_min'] = 20.0
    with pytest.raises(ConfigError, match='depot.spacing_min'):
        parse_mission_facts(data)
    data = _facts_data()
    data['tubes']['total'] = 43.5
    with pytest.raises(ConfigError, match='integer'):
        parse_mission_facts(data)


def test_timeline_playback_and_progress():
    """Check the timeline playback and progress."""
    timeline = Timeline([Step(0, 'a', 10.0), Step(1, 'b', 0.0), Step(2, 'c', 30.0)])
    assert timeline.total_duration == 40.0
    point = timeline.at(5.0)
    assert (point.step.name, point.step_fraction, point.progress, point.done) == ('a', 0.5,
                                                                                  0.125, False)
    assert timeline.at(10.0).step.name == 'c'
    assert timeline.at(40.0).done
    assert timeline.progress(2, 0.5) == pytest.approx(25.0 / 40.0)
    with pytest.raises(ValueError, match='duration'):
        Step(0, 'bad', -1.0)
    with pytest.raises(ValueError):
        Timeline([])


def test_geometry_helpers():
    """Check the geometry helpers."""
    pose = Pose2D(1.0, 2.0, math.pi / 2)
    assert pose.to_local(1.0, 3.0) == pytest.approx((1.0, 0.0))
    assert pose.to_world(*pose.to_local(4.0, -5.0)) == pytest.approx((4.0, -5.0))
    assert wrap_angle(3 * math.pi / 2) == pytest.approx(-math.pi / 2)
    assert quaternion_to_yaw(yaw_to_quaternion(0.7)) == pytest.approx(0.7)
    assert rotate_z_axis((0.0, 0.0, 0.0, 1.0)) == pytest.approx((0.0, 0.0, 1.0))
    with pytest.raises(ValueError):
        rotate_z_axis((0.0, 0.0, 0.0, 0.0))
