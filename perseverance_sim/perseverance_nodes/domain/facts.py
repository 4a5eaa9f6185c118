# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Load and validate config/mission_facts.yaml, the mission's default numbers.

The YAML file is the single source of the numbers (each with its source noted beside it); the
dataclasses below only declare each field's allowed range and unit. Every field is required, and
an unknown or out-of-range field is a ``ConfigError`` naming ``section.field``, the value and the
allowed range.
"""

from dataclasses import dataclass, field, fields
import os
from pathlib import Path
import sys

import yaml

from .validation import check_int, check_keys, check_number, ConfigError


def _fact(minimum, maximum, unit='', integer=False):
    """Declare a required fact with its allowed range."""
    return field(metadata={'min': minimum, 'max': maximum, 'unit': unit, 'integer': integer})


@dataclass(frozen=True)
class MarsFacts:
    """Planetary constants."""

    gravity: float = _fact(3.0, 4.0, 'm/s2')
    atmosphere_density: float = _fact(0.01, 0.03, 'kg/m3')
    sol_seconds: float = _fact(88000.0, 89000.0, 's')


@dataclass(frozen=True)
class TubeFacts:
    """Sample tubes and cores."""

    total: int = _fact(1, 99, integer=True)
    witness: int = _fact(0, 99, integer=True)
    mass: float = _fact(0.01, 0.2, 'kg')
    length: float = _fact(0.05, 0.3, 'm')
    length_with_glove: float = _fact(0.05, 0.3, 'm')
    core_diameter: float = _fact(0.005, 0.05, 'm')
    core_length_max: float = _fact(0.01, 0.15, 'm')
    core_length_min: float = _fact(0.0, 0.15, 'm')
    regolith_volume: float = _fact(1e-7, 1e-4, 'm3')


@dataclass(frozen=True)
class RoverFacts:
    """Drive limits, arm and depot-drop geometry."""

    max_linear_speed: float = _fact(0.001, 2.0, 'm/s')
    max_angular_speed: float = _fact(0.001, 2.0, 'rad/s')
    max_linear_accel: float = _fact(0.001, 5.0, 'm/s2')
    max_angular_accel: float = _fact(0.001, 5.0, 'rad/s2')
    wheel_track: float = _fact(0.5, 5.0, 'm')
    wheel_width: float = _fact(0.05, 1.0, 'm')
    arm_reach: float = _fact(0.5, 5.0, 'm')
    drop_height: float = _fact(0.1, 3.0, 'm')
    belly_drop_offset: float = _fact(-2.0, 2.0, 'm')
    arrival_tolerance: float = _fact(0.01, 10.0, 'm')
    coring_standoff: float = _fact(0.5, 5.0, 'm')
    bit_carousel_bits: int = _fact(1, 20, integer=True)
    arm_move_duration: float = _fact(0.0, 86400.0, 's')
    abrasion_duration: float = _fact(0.0, 86400.0, 's')
    coring_duration: float = _fact(0.0, 86400.0, 's')
    handoff_duration: float = _fact(0.0, 86400.0, 's')
    carousel_rotation_duration: float = _fact(0.0, 86400.0, 's')
    max_carousel_rotations: int = _fact(0, 20, integer=True)
    drop_inspect_duration: float = _fact(0.0, 86400.0, 's')
    drop_recover_duration: float = _fact(0.0, 86400.0, 's')


@dataclass(frozen=True)
class CachingFacts:
    """Adaptive Caching Assembly stations, seals and the Bore Sweep Tool."""

    seal_dispensers: int = _fact(1, 20, integer=True)
    seals_per_dispenser: int = _fact(1, 50, integer=True)
    successful_seals_before_mageik: int = _fact(0, 99, integer=True)
    volume_probe_duration: float = _fact(0.0, 86400.0, 's')
    imaging_duration: float = _fact(0.0, 86400.0, 's')
    seal_dispense_duration: float = _fact(0.0, 86400.0, 's')
    seal_activation_duration: float = _fact(0.0, 86400.0, 's')
    storage_duration: float = _fact(0.0, 86400.0, 's')
    bore_sweep_duration: float = _fact(0.0, 86400.0, 's')
    seal_force_limit: float = _fact(1.0, 10000.0, 'N')
    nominal_seal_force: float = _fact(0.0, 10000.0, 'N')
    stuck_seal_force_min: float = _fact(0.0, 10000.0, 'N')
    stuck_seal_force_max: float = _fact(0.0, 10000.0, 'N')
    bore_sweep_force_factor: float = _fact(0.05, 0.99)
    max_bore_sweep_passes: int = _fact(1, 50, integer=True)


@dataclass(frozen=True)
class DepotFacts:
    """The Three Forks depot."""

    max_tubes: int = _fact(1, 43, integer=True)
    spacing_min: float = _fact(0.5, 100.0, 'm')
    spacing_max: float = _fact(0.5, 100.0, 'm')
    on_end_tilt_max: float = _fact(0.0, 1.57, 'rad')
    wheel_path_lookahead: float = _fact(0.0, 50.0, 'm')


@dataclass(frozen=True)
class HelicopterFacts:
    """Sample recovery helicopters (concept)."""

    count: int = _fact(0, 9, integer=True)
    mass: float = _fact(0.5, 20.0, 'kg')
    rotor_span: float = _fact(0.2, 5.0, 'm')
    height: float = _fact(0.1, 2.0, 'm')
    cruise_speed: float = _fact(0.1, 30.0, 'm/s')
    cruise_altitude: float = _fact(1.0, 100.0, 'm')
    flight_range: float = _fact(1.0, 10000.0, 'm')
    payload: float = _fact(0.0, 5.0, 'kg')
    climb_rate: float = _fact(0.05, 10.0, 'm/s')
    landing_speed: float = _fact(0.05, 5.0, 'm/s')
    drive_speed: float = _fact(0.01, 2.0, 'm/s')
    land_offset: float = _fact(0.3, 20.0, 'm')
    battery_capacity: float = _fact(1.0, 1e7, 'J')
    battery_reserve: float = _fact(0.0, 0.9)
    hover_power: float = _fact(1.0, 10000.0, 'W')
    cruise_power: float = _fact(1.0, 10000.0, 'W')
    drive_power: float = _fact(0.0, 1000.0, 'W')
    solar_power: float = _fact(0.0, 1000.0, 'W')
    grasp_duration: float = _fact(0.0, 3600.0, 's')
    release_duration: float = _fact(0.0, 3600.0, 's')


@dataclass(frozen=True)
class LanderFacts:
    """Sample retrieval lander, transfer arm and Mars Ascent Vehicle."""

    transfer_arm_reach: float = _fact(0.5, 10.0, 'm')
    transfer_arm_joints: int = _fact(7, 7, integer=True)
    container_capacity: int = _fact(1, 99, integer=True)
    reach_duration: float = _fact(0.0, 3600.0, 's')
    grasp_duration: float = _fact(0.0, 3600.0, 's')
    insert_duration: float = _fact(0.0, 3600.0, 's')
    lid_close_duration: float = _fact(0.0, 3600.0, 's')
    countdown_duration: float = _fact(0.0, 3600.0, 's')
    liftoff_duration: float = _fact(0.0, 3600.0, 's')


@dataclass(frozen=True)
class MissionFacts:
    """All mission default numbers, one attribute per YAML section."""

    mars: MarsFacts
    tubes: TubeFacts
    rover: RoverFacts
    caching: CachingFacts
    depot: DepotFacts
    helicopter: HelicopterFacts
    lander: LanderFacts


def default_facts_path():
    """Return the path of mission_facts.yaml: the source tree's, else the installed share copy."""
    candidates = [
        Path(__file__).resolve().parents[2] / 'config' / 'mission_facts.yaml',
        Path(sys.prefix) / 'share' / 'perseverance_sim' / 'config' / 'mission_facts.yaml',
    ]
    for prefix in os.environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep):
        if prefix:
            candidates.append(
                Path(prefix) / 'share' / 'perseverance_sim' / 'config' / 'mission_facts.yaml')
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError('mission_facts.yaml not found in: '
                            + ', '.join(str(c) for c in candidates))


def _section(cls, name, raw, source):
    """Validate one YAML section against its dataclass and build it."""
    names = [f.name for f in fields(cls)]
    check_keys(name, raw, names, source=source)
    values = {}
    for spec in fields(cls):
        meta, path = spec.metadata, f'{name}.{spec.name}'
        if meta['integer']:
            values[spec.name] = check_int(path, raw[spec.name], meta['min'], meta['max'], source)
        else:
            values[spec.name] = check_number(path, raw[spec.name], meta['min'], meta['max'],
                                             meta['unit'], source)
    return cls(**values)


def _check_consistency(facts, source):
    """Cross-field rules that single ranges cannot express."""
    pairs = [
        ('tubes.witness', facts.tubes.witness, facts.tubes.total, 'tubes.total'),
        ('tubes.core_length_min', facts.tubes.core_length_min, facts.tubes.core_length_max,
         'tubes.core_length_max'),
        ('depot.spacing_min', facts.depot.spacing_min, facts.depot.spacing_max,
         'depot.spacing_max'),
        ('caching.stuck_seal_force_min', facts.caching.stuck_seal_force_min,
         facts.caching.stuck_seal_force_max, 'caching.stuck_seal_force_max'),
        ('caching.nominal_seal_force', facts.caching.nominal_seal_force,
         facts.caching.seal_force_limit, 'caching.seal_force_limit'),
        ('caching.seal_force_limit', facts.caching.seal_force_limit,
         facts.caching.stuck_seal_force_min, 'caching.stuck_seal_force_min'),
    ]
    for name, value, upper, upper_name in pairs:
        if value > upper:
            raise ConfigError(name, value, f'at most {upper_name} = {upper}', source)


def parse_mission_facts(data, source='mission_facts'):
    """Validate an already-parsed mapping and return ``MissionFacts``."""
    sections = {f.name: f.type for f in fields(MissionFacts)}
    check_keys('mission_facts', data, list(sections), source=source)
    facts = MissionFacts(**{
        name: _section(cls, name, data[name], source) for name, cls in sections.items()})
    _check_consistency(facts, source)
    return facts


def load_mission_facts(path=None):
    """Load mission_facts.yaml (the packaged one when ``path`` is None) and validate it."""
    path = Path(path) if path is not None else default_facts_path()
    with open(path, encoding='utf-8') as stream:
        data = yaml.safe_load(stream)
    return parse_mission_facts(data, source=str(path))
