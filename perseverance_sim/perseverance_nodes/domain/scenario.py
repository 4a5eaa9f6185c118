# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Scenario files (config/scenarios/*.yaml): loading, validation, depot layout and fault specs.

Every error is a ``ConfigError`` naming the file, the field (``rocks[2].name``), the value and
what is allowed. The format is documented in config/scenarios/default.yaml.

A scenario plans a campaign on the site (domain/site_layout.py): which rocks are cored and
where (a rock without coordinates is at its named place), where the depot is laid, how many
helicopters fly. Where the world puts the rover, the lander and the helipads is the site's.
"""

from dataclasses import dataclass, replace
import math
from pathlib import Path

import yaml

from .facts import default_facts_path
from .site_layout import CONTRACT_ROCKS, HELIPADS, LANDER_SITE, ROVER_START
from .tubes import FaultKind, ROCK_NAMES
from .validation import check_choice, check_int, check_keys, check_number, ConfigError

# Which trigger each fault kind takes ('now' is for the InjectFault service at run time).
TRIGGERS = {
    FaultKind.SEAL_STUCK: 'sample',
    FaultKind.EMPTY_CORE: 'sample',
    FaultKind.CAROUSEL_DEBRIS: 'sample',
    FaultKind.TUBE_ON_END: 'drop',
    FaultKind.TUBE_IN_WHEEL_PATH: 'drop',
    FaultKind.HELICOPTER_FAILURE: 'flight',
}
DEPOT_RETRIEVAL = ('always', 'on_primary_failure', 'never')
COORDINATE = 1e5  # m, bound on any coordinate: keeps typos (a missing decimal point) out


@dataclass(frozen=True)
class FaultSpec:
    """
    A fault written ``KIND@TRIGGER``, e.g. ``SEAL_STUCK@sample:mageik`` or ``...@flight:3``.

    ``trigger_type`` is 'now', 'sample', 'drop' or 'flight'; ``trigger_value`` is the rock for
    'sample', the 1-based drop or flight number otherwise (None for 'now').
    """

    kind: FaultKind
    trigger_type: str
    trigger_value: object

    @property
    def trigger(self):
        """Return the trigger as written, e.g. ``sample:mageik`` (Fault.msg ``trigger``)."""
        if self.trigger_type == 'now':
            return 'now'
        return f'{self.trigger_type}:{self.trigger_value}'

    def __str__(self):
        """Return the ``KIND@TRIGGER`` text."""
        return f'{self.kind.name}@{self.trigger}'


def parse_fault(text, field='fault'):
    """Parse ``KIND@TRIGGER`` into a ``FaultSpec``; ConfigError names what is wrong."""
    if not isinstance(text, str) or text.count('@') != 1:
        raise ConfigError(field, text, 'KIND@TRIGGER, e.g. SEAL_STUCK@sample:mageik')
    kind_name, trigger = text.split('@')
    kind = FaultKind.__members__.get(kind_name.strip().upper())
    if kind is None:
        raise ConfigError(f'{field} kind', kind_name, 'one of ' + ', '.join(FaultKind.__members__))
    trigger = trigger.strip()
    if trigger == 'now':
        return FaultSpec(kind, 'now', None)
    trigger_type, _, value = trigger.partition(':')
    expected = TRIGGERS[kind]
    if trigger_type != expected or not value:
        raise ConfigError(f'{field} trigger', trigger,
                          f"'now' or '{expected}:<{'rock' if expected == 'sample' else 'n'}>' "
                          f'for {kind.name}')
    if expected == 'sample':
        return FaultSpec(kind, 'sample', check_choice(f'{field} rock', value.lower(), ROCK_NAMES))
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f'{field} {expected} number', value, 'an integer >= 1')
    return FaultSpec(kind, expected, int(value))


@dataclass(frozen=True)
class RockSite:
    """A rock to sample: its name (a MISSION_FACTS sample name) and position (m, frame world)."""

    name: str
    x: float
    y: float


@dataclass(frozen=True)
class DepotLayout:
    """The depot: a zig-zag of slots from an origin along a heading."""

    origin: tuple          # (x, y) of slot 1 (m)
    heading: float         # rad, direction the line of slots runs
    spacing: float         # m between consecutive slots
    zigzag_angle: float    # rad each leg turns off the heading, alternately left and right
    slots: tuple           # (x, y) of every slot, slot 1 first


def depot_slots(origin, heading, spacing, zigzag_angle, count):
    """Return ``count`` zig-zag slot positions: each leg ``spacing`` m, alternately +/- angle."""
    slots = [tuple(map(float, origin))]
    for index in range(1, count):
        angle = heading + (zigzag_angle if index % 2 else -zigzag_angle)
        x, y = slots[-1]
        slots.append((x + spacing * math.cos(angle), y + spacing * math.sin(angle)))
    return tuple(slots)


def check_depot_spacing(slots, minimum, maximum, field='depot', source=''):
    """Check consecutive slots are minimum..maximum apart and no two slots closer than minimum."""
    for index in range(1, len(slots)):
        gap = math.dist(slots[index - 1], slots[index])
        if not minimum - 1e-9 <= gap <= maximum + 1e-9:
            raise ConfigError(f'{field}.spacing (slots {index} to {index + 1})', round(gap, 3),
                              f'[{minimum}, {maximum}] m (MISSION_FACTS: 5-15 m apart)', source)
    for i, first in enumerate(slots):
        for j in range(i + 2, len(slots)):
            if math.dist(first, slots[j]) < minimum - 1e-9:
                raise ConfigError(f'{field}.zigzag_angle_deg', 'too wide',
                                  f'slots {i + 1} and {j + 1} closer than {minimum} m', source)


@dataclass(frozen=True)
class Scenario:
    """A validated campaign scenario."""

    name: str
    description: str
    seed: int
    rover_speed: float           # m/s cap for NavigateTo
    sampling_heading: object     # rad the rover faces when coring, or None: facing the rock
    rocks: tuple                 # RockSite, in sampling order
    witness: bool                # also expose, seal and depot a witness tube (like Amalik)
    depot: DepotLayout
    helicopters: int
    primary: bool                # the rover hands its on-board set to the lander
    depot_retrieval: str         # one of DEPOT_RETRIEVAL
    allow_unsealed: bool         # container policy for unsealed tubes
    min_tubes: int               # fewest tubes the MAV launches with
    faults: tuple                # FaultSpec
    source: str = ''
    # Where the world puts the rover, the lander and the helipads (the site's named places).
    rover_start = ROVER_START
    lander = LANDER_SITE
    helipads = HELIPADS

    @property
    def depot_tube_count(self):
        """Return the number of tubes dropped at the depot (one twin per rock, + witness)."""
        return len(self.rocks) + (1 if self.witness else 0)

    def with_overrides(self, seed=None, helicopters=None, faults=()):
        """Return a copy with the command line's --seed, --helicopters and extra --fault."""
        changes = {}
        if seed is not None:
            changes['seed'] = check_int('seed', seed, 0, 2 ** 32 - 1)
        if helicopters is not None:
            check_int('helicopters', helicopters, 1, len(self.helipads))
            changes['helicopters'] = helicopters
        extra = tuple(parse_fault(text, f'--fault {text}') for text in faults)
        changes['faults'] = self.faults + extra
        scenario = replace(self, **changes)
        _check_faults(scenario, scenario.source)
        return scenario


def _point(field, raw, source, keys=('x', 'y')):
    """Validate a mapping of coordinates and return them as a tuple of floats."""
    check_keys(field, raw, keys, source=source)
    return tuple(check_number(f'{field}.{key}', raw[key], -COORDINATE, COORDINATE, 'm', source)
                 for key in keys)


def _check_faults(scenario, source):
    """Check every fault's trigger against the scenario (rock sampled, drop and flight exist)."""
    rocks = [rock.name for rock in scenario.rocks]
    for index, spec in enumerate(scenario.faults):
        field = f'faults[{index}]'
        if spec.trigger_type == 'now':
            raise ConfigError(field, str(spec), "a scheduled trigger ('now' is for run time)",
                              source)
        if spec.trigger_type == 'sample' and spec.trigger_value not in rocks:
            raise ConfigError(field, str(spec), 'a rock of this scenario: ' + ', '.join(rocks),
                              source)
        if spec.trigger_type == 'drop' and spec.trigger_value > scenario.depot_tube_count:
            raise ConfigError(field, str(spec),
                              f'drop:1..{scenario.depot_tube_count} (tubes dropped)', source)
        if spec.trigger_type == 'flight' and spec.trigger_value > scenario.depot_tube_count:
            raise ConfigError(field, str(spec),
                              f'flight:1..{scenario.depot_tube_count} (one tube per flight)',
                              source)


def _parse_rover(data, facts, source):
    """Return (speed m/s, sampling heading rad or None) of the scenario's ``rover`` block."""
    rover = check_keys('rover', data, (), ('speed', 'sampling_heading_deg'), source=source)
    speed = check_number('rover.speed', rover.get('speed', facts.rover.max_linear_speed),
                         0.001, facts.rover.max_linear_speed * 50.0, 'm/s', source)
    heading = None
    if rover.get('sampling_heading_deg') is not None:
        heading = math.radians(check_number(
            'rover.sampling_heading_deg', rover['sampling_heading_deg'], -360.0, 360.0, 'deg',
            source))
    return speed, heading


def _parse_rocks(data, source):
    """Return the RockSites of ``rocks``: each at its named place unless x and y are given."""
    if not isinstance(data, list) or not data:
        raise ConfigError('rocks', data, 'a non-empty list of {name[, x, y]}', source)
    rocks = []
    for index, raw in enumerate(data):
        field = f'rocks[{index}]'
        check_keys(field, raw, ('name',), ('x', 'y'), source=source)
        name = check_choice(f'{field}.name', raw['name'], ROCK_NAMES, source)
        if name in [rock.name for rock in rocks]:
            raise ConfigError(f'{field}.name', name, 'a rock not already listed', source)
        if ('x' in raw) != ('y' in raw):
            raise ConfigError(field, raw, 'both x and y, or neither (the named place '
                              f'rock_{name})', source)
        place = dict(zip('xy', CONTRACT_ROCKS[name]), **{k: raw[k] for k in 'xy' if k in raw})
        rocks.append(RockSite(name, *_point(field, place, source)))
    return rocks


def _parse_depot(data, count, facts, source):
    """Return the DepotLayout of ``depot`` with ``count`` slots."""
    depot = check_keys('depot', data, ('origin', 'heading_deg', 'spacing'),
                       ('zigzag_angle_deg',), source=source)
    spacing = check_number('depot.spacing', depot['spacing'], facts.depot.spacing_min,
                           facts.depot.spacing_max, 'm', source)
    heading = math.radians(check_number('depot.heading_deg', depot['heading_deg'], -360.0,
                                        360.0, 'deg', source))
    zigzag = math.radians(check_number('depot.zigzag_angle_deg',
                                       depot.get('zigzag_angle_deg', 30.0), 0.0, 75.0, 'deg',
                                       source))
    origin = _point('depot.origin', depot['origin'], source)
    slots = depot_slots(origin, heading, spacing, zigzag, count)
    check_depot_spacing(slots, facts.depot.spacing_min, facts.depot.spacing_max, source=source)
    return DepotLayout(origin, heading, spacing, zigzag, slots)


def _parse_return(data, helicopters, facts, source):
    """Return the checked ``return`` block: primary, depot_retrieval, allow_unsealed, min."""
    ret = check_keys('return', data, ('primary', 'depot_retrieval'),
                     ('allow_unsealed', 'min_tubes'), source=source)
    for key in ('primary', 'allow_unsealed'):
        if not isinstance(ret.get(key, False), bool):
            raise ConfigError(f'return.{key}', ret[key], 'true or false', source)
    depot_retrieval = check_choice('return.depot_retrieval', ret['depot_retrieval'],
                                   DEPOT_RETRIEVAL, source)
    if depot_retrieval != 'never' and helicopters == 0:
        raise ConfigError('helicopters.count', 0, f'>= 1 when return.depot_retrieval is '
                          f'{depot_retrieval!r}', source)
    if not ret['primary'] and depot_retrieval != 'always':
        raise ConfigError('return.depot_retrieval', depot_retrieval,
                          "'always' when return.primary is false (no other way home)", source)
    return {'primary': ret['primary'], 'depot_retrieval': depot_retrieval,
            'allow_unsealed': ret.get('allow_unsealed', False),
            'min_tubes': check_int('return.min_tubes', ret.get('min_tubes', 1), 1,
                                   facts.lander.container_capacity, source)}


def parse_scenario(data, facts, source='scenario'):
    """Validate a parsed scenario mapping against ``MissionFacts`` and return a ``Scenario``."""
    required = ('name', 'rover', 'rocks', 'depot', 'helicopters', 'return')
    check_keys('scenario', data, required, ('description', 'seed', 'witness', 'faults'),
               source=source)
    if not isinstance(data['name'], str) or not data['name']:
        raise ConfigError('name', data['name'], 'a non-empty string', source)
    rover_speed, sampling_heading = _parse_rover(data['rover'], facts, source)
    rocks = _parse_rocks(data['rocks'], source)
    witness = data.get('witness', False)
    if not isinstance(witness, bool):
        raise ConfigError('witness', witness, 'true or false', source)
    count = len(rocks) + (1 if witness else 0)
    if count > facts.depot.max_tubes:
        raise ConfigError('rocks', f'{len(rocks)} rocks' + (' + witness' if witness else ''),
                          f'at most {facts.depot.max_tubes} depot tubes (one twin per rock)',
                          source)
    depot = _parse_depot(data['depot'], count, facts, source)
    helis = check_keys('helicopters', data['helicopters'], ('count',), source=source)
    helicopters = check_int('helicopters.count', helis['count'], 0, len(HELIPADS), source)
    returns = _parse_return(data['return'], helicopters, facts, source)
    faults = data.get('faults') or []
    if not isinstance(faults, list):
        raise ConfigError('faults', faults, 'a list of KIND@TRIGGER strings', source)
    scenario = Scenario(
        name=data['name'], description=str(data.get('description', '')),
        seed=check_int('seed', data.get('seed', 1), 0, 2 ** 32 - 1, source),
        rover_speed=rover_speed, sampling_heading=sampling_heading,
        rocks=tuple(rocks), witness=witness, depot=depot, helicopters=helicopters, **returns,
        faults=tuple(parse_fault(text, f'faults[{i}]') for i, text in enumerate(faults)),
        source=source)
    _check_faults(scenario, source)
    return scenario


def default_scenario_path():
    """Return the path of the packaged config/scenarios/default.yaml."""
    return default_facts_path().parent / 'scenarios' / 'default.yaml'


def load_scenario(path, facts):
    """Load and validate a scenario YAML file (``None``: the default scenario)."""
    path = Path(path) if path else default_scenario_path()
    try:
        with open(path, encoding='utf-8') as stream:
            data = yaml.safe_load(stream)
    except OSError as error:
        raise ConfigError('scenario', str(path), f'a readable YAML file ({error.strerror})')
    except yaml.YAMLError as error:
        raise ConfigError('scenario', str(path), f'valid YAML ({error})') from error
    return parse_scenario(data, facts, source=str(path))
