# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of scenario loading, validation, depot layout and fault specs."""

from dataclasses import replace
import math

from perseverance_nodes.domain.facts import default_facts_path, load_mission_facts
from perseverance_nodes.domain.scenario import check_depot_spacing, depot_slots
from perseverance_nodes.domain.scenario import load_scenario, parse_fault, parse_scenario
from perseverance_nodes.domain.site_layout import CONTRACT_ROCKS, LANDER_SITE, ROVER_START
from perseverance_nodes.domain.tubes import FaultKind
from perseverance_nodes.domain.validation import ConfigError
import pytest
import yaml

FACTS = load_mission_facts()
SCENARIOS = default_facts_path().parent / 'scenarios'


def _default_data():
    """Return the default scenario as parsed YAML."""
    with open(SCENARIOS / 'default.yaml', encoding='utf-8') as stream:
        return yaml.safe_load(stream)


def test_default_scenario_meets_the_brief():
    """Check that default scenario meets the brief."""
    scenario = load_scenario(None, FACTS)
    assert scenario.name == 'three_forks'
    assert len(scenario.rocks) >= 5
    assert scenario.depot_tube_count == 10 and len(scenario.depot.slots) == 10
    assert any(f.kind == FaultKind.SEAL_STUCK for f in scenario.faults)
    assert scenario.primary and scenario.depot_retrieval == 'always'
    assert scenario.helicopters == 2
    for first, second in zip(scenario.depot.slots, scenario.depot.slots[1:]):
        assert 5.0 <= math.dist(first, second) <= 15.0


def test_quick_scenario_loads():
    """Check that quick scenario loads."""
    scenario = load_scenario(SCENARIOS / 'quick.yaml', FACTS)
    assert [rock.name for rock in scenario.rocks] == ['montdenier', 'mageik']
    assert scenario.rover_speed == 0.5 and scenario.helicopters == 1


def test_zigzag_layout():
    """Check the zigzag layout."""
    slots = depot_slots((0.0, 0.0), 0.0, 10.0, math.radians(30.0), 4)
    assert slots[1] == pytest.approx((10 * math.cos(math.radians(30)), 5.0))
    assert slots[2] == pytest.approx((20 * math.cos(math.radians(30)), 0.0))
    with pytest.raises(ConfigError, match='depot.spacing'):
        check_depot_spacing(((0.0, 0.0), (20.0, 0.0)), 5.0, 15.0)
    with pytest.raises(ConfigError, match='zigzag_angle_deg'):
        check_depot_spacing(depot_slots((0, 0), 0.0, 6.0, math.radians(75.0), 3), 5.0, 15.0)


@pytest.mark.parametrize('text, kind, trigger', [
    ('SEAL_STUCK@sample:mageik', FaultKind.SEAL_STUCK, 'sample:mageik'),
    ('HELICOPTER_FAILURE@flight:3', FaultKind.HELICOPTER_FAILURE, 'flight:3'),
    ('tube_on_end@drop:2', FaultKind.TUBE_ON_END, 'drop:2'),
    ('EMPTY_CORE@now', FaultKind.EMPTY_CORE, 'now'),
])
def test_parse_fault(text, kind, trigger):
    """Check parse_fault on valid specs."""
    spec = parse_fault(text)
    assert (spec.kind, spec.trigger) == (kind, trigger)


@pytest.mark.parametrize('text, field', [
    ('SEAL_STUCK', 'KIND@TRIGGER'),
    ('SEAL_WOBBLY@sample:mageik', 'fault kind'),
    ('SEAL_STUCK@flight:3', 'fault trigger'),
    ('SEAL_STUCK@sample:olympus', 'fault rock'),
    ('HELICOPTER_FAILURE@flight:0', 'flight number'),
    ('HELICOPTER_FAILURE@flight:x', 'flight number'),
])
def test_parse_fault_errors_name_the_part(text, field):
    """Check that parse fault errors name the part."""
    with pytest.raises(ConfigError, match=field):
        parse_fault(text)


def _error(mutate):
    """Return the error message of a mutated default scenario."""
    data = _default_data()
    mutate(data)
    with pytest.raises(ConfigError) as error:
        parse_scenario(data, FACTS, source='default.yaml')
    return str(error.value)


@pytest.mark.parametrize('mutate, expected', [
    (lambda d: d['rocks'][0].update(name='olympus'), "rocks[0].name = 'olympus'"),
    (lambda d: d['depot'].update(spacing=20.0), 'depot.spacing = 20.0'),
    (lambda d: d['depot'].update(spacing=3), 'depot.spacing = 3'),
    (lambda d: d['helicopters'].update(count=5), 'helicopters.count = 5'),
    (lambda d: d['return'].update(depot_retrieval='sometimes'), 'return.depot_retrieval'),
    (lambda d: d['faults'].append('SEAL_STUCK@sample:malay') or d['rocks'].pop(3),
     'a rock of this scenario'),
    (lambda d: d['faults'].append('TUBE_ON_END@drop:11'), 'drop:1..10'),
    (lambda d: d['faults'].append('EMPTY_CORE@now'), 'scheduled trigger'),
    (lambda d: d['rocks'].append({'name': 'malay', 'x': 0.0, 'y': 0.0}), 'already listed'),
    (lambda d: d.update(colour='red'), 'scenario.colour'),
    (lambda d: d.update(lander={'x': 70.0, 'y': 0.0}), 'scenario.lander'),
    (lambda d: d['rover'].update(start={'x': 0.0, 'y': 0.0}), 'rover.start'),
    (lambda d: d['rocks'][0].update(x=1.0), 'both x and y, or neither'),
    (lambda d: d['rocks'][0].update(x=math.nan, y=0.0), 'rocks[0].x = nan'),
    (lambda d: d.pop('depot'), 'scenario.depot'),
])
def test_scenario_errors_name_field_value_and_allowed(mutate, expected):
    """Check that scenario errors name field value and allowed."""
    message = _error(mutate)
    assert expected in message and 'default.yaml' in message and 'allowed' in message


def test_too_many_depot_tubes():
    """Check the depot tube limit."""
    small = replace(FACTS, depot=replace(FACTS.depot, max_tubes=5))
    with pytest.raises(ConfigError, match='at most 5 depot tubes'):
        parse_scenario(_default_data(), small)
    assert parse_scenario(_default_data(), FACTS).depot_tube_count == 10  # at the limit


def test_overrides_from_the_command_line():
    """Check the command-line overrides of a scenario."""
    scenario = load_scenario(None, FACTS).with_overrides(
        seed=9, helicopters=1, faults=['HELICOPTER_FAILURE@flight:2'])
    assert scenario.seed == 9 and scenario.helicopters == 1
    assert str(scenario.faults[-1]) == 'HELICOPTER_FAILURE@flight:2'
    with pytest.raises(ConfigError, match='helicopters'):
        load_scenario(None, FACTS).with_overrides(helicopters=5)
    with pytest.raises(ConfigError, match='a rock of this scenario'):
        load_scenario(SCENARIOS / 'quick.yaml', FACTS).with_overrides(
            faults=['EMPTY_CORE@sample:roubion'])


def test_missing_and_malformed_files(tmp_path):
    """Check errors for missing and malformed scenario files."""
    with pytest.raises(ConfigError, match='readable'):
        load_scenario(tmp_path / 'nope.yaml', FACTS)
    broken = tmp_path / 'broken.yaml'
    broken.write_text('rocks: [unclosed\n')
    with pytest.raises(ConfigError, match='valid YAML'):
        load_scenario(broken, FACTS)


def test_rocks_default_to_their_named_places_and_may_move():
    """A rock without coordinates is at its named place; with them it moves; the site stays."""
    data = _default_data()
    data['rocks'][1].update(x=12.5, y=-30.0)
    scenario = parse_scenario(data, FACTS)
    assert (scenario.rocks[0].x, scenario.rocks[0].y) == CONTRACT_ROCKS[scenario.rocks[0].name]
    assert (scenario.rocks[1].x, scenario.rocks[1].y) == (12.5, -30.0)
    assert scenario.lander == LANDER_SITE and scenario.rover_start == ROVER_START
