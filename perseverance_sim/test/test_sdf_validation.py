# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Static checks of the world and models (no ROS, no Gazebo).

- sdformat12 (`ign sdf -k`, installed by scripts/setup.sh --with-test-tools) accepts the world and
  every model with no "Error", and every file declares SDF 1.9;
- every model directory has a model.config naming model.sdf;
- the world holds the names and poses that docs/world_contract.md promises, and each model's
  JointStatePublisher the contract's joint list;
- the shipped heightmap is exactly what scripts/generate_heightmap.py makes, and every named
  place (the Three Forks depot above all) sits on flat ground.
"""

import importlib.util
import math
import os
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib

from contract_doc import load_contract
import pytest

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(PACKAGE_DIR)
MODELS_DIR = os.path.join(PACKAGE_DIR, 'models')
WORLD = os.path.join(PACKAGE_DIR, 'worlds', 'jezero.sdf')
MEDIA_DIR = os.path.join(PACKAGE_DIR, 'worlds', 'media')
GENERATOR = os.path.join(REPO_DIR, 'scripts', 'generate_heightmap.py')

IGN = shutil.which('ign')
NO_IGN = 'ign (sdformat12) is not installed: run scripts/setup.sh --with-test-tools'
MODEL_DIRS = sorted(d for d in os.listdir(MODELS_DIR)
                    if os.path.isdir(os.path.join(MODELS_DIR, d)))
SDF_FILES = [WORLD] + [os.path.join(MODELS_DIR, d, 'model.sdf') for d in MODEL_DIRS]
FLAT_TOLERANCE_M = 0.02  # brief: a flat site varies by less than 2 cm


def _ign_env():
    """Environment in which `ign sdf` resolves model:// URIs to our models directory."""
    env = dict(os.environ)
    for var in ('SDF_PATH', 'GZ_SIM_RESOURCE_PATH', 'IGN_GAZEBO_RESOURCE_PATH'):
        env[var] = os.pathsep.join(p for p in (MODELS_DIR, env.get(var, '')) if p)
    return env


def load_generator():
    """Import scripts/generate_heightmap.py as a module."""
    spec = importlib.util.spec_from_file_location('generate_heightmap', GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_png_levels(path):
    """Decode a 16-bit greyscale PNG with unfiltered rows into rows of levels."""
    with open(path, 'rb') as handle:
        data = handle.read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, idat, header = 8, b'', None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        payload = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', payload)
        elif kind == b'IDAT':
            idat += payload
        pos += 12 + length
    width, height, depth, colour = header[:4]
    assert (depth, colour) == (16, 0), 'heightmap must be 16-bit greyscale'
    raw = zlib.decompress(idat)
    stride = 1 + 2 * width
    rows = []
    for r in range(height):
        line = raw[r * stride:(r + 1) * stride]
        assert line[0] == 0, 'row filters other than None are not expected'
        rows.append(list(struct.unpack('>%dH' % width, line[1:])))
    return rows


def _pose(text):
    values = [float(v) for v in text.split()]
    assert len(values) == 6
    return values


def world_includes():
    """Name -> (uri, pose values, include element) of every <include> in the world."""
    world = ET.parse(WORLD).getroot().find('world')
    out = {}
    for inc in world.findall('include'):
        out[inc.findtext('name')] = (inc.findtext('uri'), _pose(inc.findtext('pose')), inc)
    return out


@pytest.mark.skipif(IGN is None, reason=NO_IGN)
@pytest.mark.parametrize('path', SDF_FILES, ids=lambda p: os.path.relpath(p, PACKAGE_DIR))
def test_ign_sdf_check(path):
    """`ign sdf -k` validates the file without printing any error."""
    run = subprocess.run([IGN, 'sdf', '-k', path], capture_output=True, text=True,
                         env=_ign_env(), timeout=120)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert 'Error' not in output, output
    assert 'Valid' in run.stdout, output


@pytest.mark.parametrize('path', SDF_FILES, ids=lambda p: os.path.relpath(p, PACKAGE_DIR))
def test_sdf_is_version_1_9_and_well_formed_xml(path):
    """Strict XML (no '--' in comments, say) and <sdf version="1.9">."""
    root = ET.parse(path).getroot()
    assert root.tag == 'sdf'
    assert root.get('version') == '1.9'


@pytest.mark.parametrize('name', MODEL_DIRS)
def test_model_config_names_model_sdf(name):
    """Each model directory: model.config with its name and <sdf version="1.9">model.sdf."""
    config = os.path.join(MODELS_DIR, name, 'model.config')
    assert os.path.isfile(config), 'missing ' + config
    root = ET.parse(config).getroot()
    assert root.findtext('name') == name
    sdf = root.find('sdf')
    assert sdf is not None and sdf.text.strip() == 'model.sdf'
    assert sdf.get('version') == '1.9'
    assert os.path.isfile(os.path.join(MODELS_DIR, name, 'model.sdf'))


def test_world_settings():
    """World name, Mars gravity, Jezero coordinates, 2 ms physics, Harmonic system plugins."""
    world = ET.parse(WORLD).getroot().find('world')
    assert world.get('name') == 'jezero'
    assert [float(v) for v in world.findtext('gravity').split()] == [0.0, 0.0, -3.721]
    assert float(world.find('physics').findtext('max_step_size')) == 0.002
    coords = world.find('spherical_coordinates')
    assert float(coords.findtext('latitude_deg')) == 18.38
    assert float(coords.findtext('longitude_deg')) == 77.58
    assert coords.findtext('world_frame_orientation') == 'ENU'
    plugins = {p.get('filename'): p for p in world.findall('plugin')}
    for stem in ('physics', 'user-commands', 'sensors'):
        assert 'gz-sim-{}-system'.format(stem) in plugins
    assert plugins['gz-sim-sensors-system'].findtext('render_engine') == 'ogre2'


def test_world_holds_the_contract_names_and_places():
    """Every named model of the contract is in the world, at the contract's pose."""
    contract = load_contract()
    includes = world_includes()
    expected = {
        'perseverance': 'model://perseverance', 'lander': 'model://sample_retrieval_lander',
        'three_forks_depot': 'model://three_forks_depot', 'lander_site': 'model://lander_site',
    }
    expected.update({'tube_%02d' % k: 'model://sample_tube' for k in range(1, 44)})
    expected.update({'helipad_%d' % i: 'model://helipad' for i in range(1, 5)})
    expected.update({'helicopter_%d' % i: 'model://sample_recovery_helicopter'
                     for i in range(1, 5)})
    places = {p['name']: p for p in contract['places']}
    for name in [p for p in places if p.startswith('rock_')]:
        expected[name] = 'model://rock_outcrop'
    assert len([p for p in places if p.startswith('rock_')]) == 10
    for name, uri in expected.items():
        assert name in includes, name
        assert includes[name][0] == uri, name
    where = {'perseverance': 'rover_start', 'lander': 'lander_site'}
    where.update({'helicopter_%d' % i: 'helipad_%d' % i for i in range(1, 5)})
    where.update({name: name for name in places if name in includes})
    for model, place_name in where.items():
        place = places[place_name]
        x, y, z, _, _, yaw = includes[model][1]
        assert (x, y, z) == pytest.approx((place['x'], place['y'], place['z']), abs=1e-6), model
        if model == 'perseverance':
            assert yaw == pytest.approx(place['yaw'], abs=1e-5)


def test_tubes_sit_in_their_rack_slots():
    """World pose of tube_NN = rover start * caching_assembly * contract slot NN."""
    contract = load_contract()
    slots = contract['rack_slots']
    assert len(slots) == 43
    rover = ET.parse(os.path.join(MODELS_DIR, 'perseverance', 'model.sdf')).getroot()
    links = {link.get('name'): link for link in rover.find('model').findall('link')}
    cx, cy, cz = _pose(links['caching_assembly'].findtext('pose'))[:3]
    includes = world_includes()
    rx, ry, rz, _, _, yaw = includes['perseverance'][1]
    c, s = math.cos(yaw), math.sin(yaw)
    for k, (sx, sy, sz) in enumerate(slots, 1):
        lx, ly = cx + sx, cy + sy
        want = (rx + c * lx - s * ly, ry + s * lx + c * ly, rz + cz + sz)
        got = includes['tube_%02d' % k][1]
        assert tuple(got[:3]) == pytest.approx(want, abs=1e-4), 'tube_%02d' % k
        # Lying across the rover: tube axis (link z) along the rover's y axis.
        assert got[3] == pytest.approx(math.pi / 2, abs=1e-5)
        assert got[5] == pytest.approx(yaw, abs=1e-5)


def test_rack_joints_hold_every_tube():
    """One DetachableJoint per tube on the rover include, caching_assembly -> tube_NN::tube."""
    plugins = world_includes()['perseverance'][2].findall('plugin')
    held = sorted(p.findtext('child_model') for p in plugins
                  if p.get('filename') == 'gz-sim-detachable-joint-system')
    assert held == ['tube_%02d' % k for k in range(1, 44)]
    for p in plugins:
        assert p.findtext('parent_link') == 'caching_assembly'
        assert p.findtext('child_link') == 'tube'


def test_joint_state_publishers_list_the_contract_joints():
    """One JointStatePublisher per model: the contract's joints in order, every movable joint."""
    lists = load_contract()['joint_states']
    models = {'perseverance': 'perseverance', 'lander': 'sample_retrieval_lander',
              'helicopter_<i>': 'sample_recovery_helicopter'}
    assert set(lists) == set(models)
    for key, directory in models.items():
        model = ET.parse(os.path.join(MODELS_DIR, directory, 'model.sdf')).getroot().find('model')
        publishers = [p for p in model.findall('plugin')
                      if p.get('filename') == 'gz-sim-joint-state-publisher-system']
        assert len(publishers) == 1, directory
        names = [j.text.strip() for j in publishers[0].findall('joint_name')]
        assert names == lists[key], directory
        # Every movable joint: a viewer posing the model from joint states misses none.
        movable = [j.get('name') for j in model.findall('joint') if j.get('type') != 'fixed']
        assert sorted(names) == sorted(movable), directory


def test_heightmap_matches_generator(tmp_path):
    """Regenerating the terrain gives the shipped files byte for byte."""
    generator = load_generator()
    generator.generate(str(tmp_path))
    for name in (generator.HEIGHTMAP_NAME, generator.DIFFUSE_NAME, generator.NORMAL_NAME):
        with open(os.path.join(MEDIA_DIR, name), 'rb') as shipped:
            with open(os.path.join(str(tmp_path), name), 'rb') as fresh:
                assert shipped.read() == fresh.read(), name + ' is stale: run ' + GENERATOR


def test_heightmap_geometry_matches_world():
    """257 x 257, full 16-bit range, and <size>/<pos> that give 0.1 mm per level."""
    generator = load_generator()
    levels = read_png_levels(os.path.join(MEDIA_DIR, generator.HEIGHTMAP_NAME))
    assert len(levels) == len(levels[0]) == 257
    flat = [v for row in levels for v in row]
    assert min(flat) == 0 and max(flat) == 65535
    world = ET.parse(WORLD).getroot().find('world')
    terrain = [m for m in world.findall('model') if m.get('name') == 'jezero_terrain'][0]
    assert terrain.findtext('static') == 'true'
    for hm in terrain.iter('heightmap'):
        assert hm.findtext('uri') == 'media/' + generator.HEIGHTMAP_NAME
        size = [float(v) for v in hm.findtext('size').split()]
        assert size == pytest.approx([generator.EXTENT_M, generator.EXTENT_M,
                                      generator.Z_RANGE_M])
        assert float(hm.findtext('pos').split()[2]) == pytest.approx(generator.Z_MIN_M)


def _vertices_near(generator, x0, x1, y0, y1):
    """Levels of every vertex whose grid cell touches the rectangle [x0, x1] x [y0, y1]."""
    pitch = generator.PITCH_M
    half = generator.EXTENT_M / 2.0
    c0 = max(int(math.floor((x0 + half) / pitch)), 0)
    c1 = min(int(math.ceil((x1 + half) / pitch)), generator.SIZE_PX - 1)
    r0 = max(int(math.floor((half - y1) / pitch)), 0)
    r1 = min(int(math.ceil((half - y0) / pitch)), generator.SIZE_PX - 1)
    return [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]


def test_named_places_are_flat():
    """The depot, the lander site, pads, rocks, sampling poses and rover poses are flat."""
    generator = load_generator()
    levels = read_png_levels(os.path.join(MEDIA_DIR, generator.HEIGHTMAP_NAME))
    contract = load_contract()
    areas = []
    for place in contract['places']:
        if 'half_x' in place:
            areas.append((place['name'], place['x'], place['y'], place['half_x'],
                          place['half_y']))
        else:
            r = place['radius']
            areas.append((place['name'], place['x'], place['y'], r, r))
        if 'sample_pose' in place:
            pose = place['sample_pose']
            areas.append((place['name'] + ' sampling pose', pose['x'], pose['y'], 2.5, 2.5))
    assert any(a[0] == 'three_forks_depot' for a in areas)
    for name, x, y, hx, hy in areas:
        cells = _vertices_near(generator, x - hx, x + hx, y - hy, y + hy)
        heights = [generator.z_of(levels[r][c]) for r, c in cells]
        assert max(heights) - min(heights) < FLAT_TOLERANCE_M, name
        assert max(abs(h) for h in heights) < FLAT_TOLERANCE_M, name + ' is not at z = 0'


def test_depot_slots_are_in_the_depot():
    """The ten drop slots lie inside the flat depot area, 5-15 m apart in a zig-zag."""
    places = {p['name']: p for p in load_contract()['places']}
    depot = places['three_forks_depot']
    slots = depot['slots']
    assert len(slots) == 10
    for x, y in slots:
        assert abs(x - depot['x']) <= depot['half_x'] - 1.0
        assert abs(y - depot['y']) <= depot['half_y'] - 1.0
    for (x0, y0), (x1, y1) in zip(slots, slots[1:]):
        assert 5.0 <= math.hypot(x1 - x0, y1 - y0) <= 15.0
