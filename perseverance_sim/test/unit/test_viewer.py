# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""The viewer's pure logic: shapes, the scene and its kinematics, the view state, the panels."""

import math
import socket
from types import SimpleNamespace

import numpy as np
from perseverance_nodes.domain import sdf
from perseverance_nodes.domain.driving import ANGULAR, ARM, ARM_POSES, LINEAR, STOP
from perseverance_nodes.domain.sdf.heightmap import heightmap_mesh, read_heightmap
from perseverance_nodes.domain.sdf.transforms import Transform
from perseverance_nodes.domain.tubes import TUBE_COUNT
from perseverance_nodes.viewer import meshes, panels
from perseverance_nodes.viewer.address import is_loopback, port_taken
from perseverance_nodes.viewer.controls import Controls
from perseverance_nodes.viewer.scene import build_scene
from perseverance_nodes.viewer.view_state import (IN_CONTAINER, IN_DEPOT, LAUNCHED, RateMeter,
                                                  SEALED, Trail, tube_state, UNSEALED,
                                                  ViewState, WITNESS)
import pytest

WORLD = sdf.load_world(sdf.default_world_path())
SCENE = build_scene(WORLD)


def _signed_volume(vertices, faces):
    """Volume enclosed by a closed mesh; positive when its faces wind outward."""
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    return float(np.einsum('ij,ij->i', a, np.cross(b, c)).sum() / 6.0)


@pytest.mark.parametrize('mesh, volume', [
    (meshes.box((1.0, 2.0, 3.0)), 6.0),
    (meshes.cylinder(0.5, 2.0), math.pi * 0.25 * 2.0),
    (meshes.ellipsoid((1.0, 2.0, 3.0)), 4.0 / 3.0 * math.pi * 6.0),
])
def test_closed_shapes_enclose_their_volume_facing_out(mesh, volume):
    """Box, cylinder and ellipsoid: the right volume (within the facets' error), faces out."""
    assert _signed_volume(*mesh) == pytest.approx(volume, rel=0.06)


def test_heightmap_mesh_follows_the_image_top_row_north():
    """Heights are pixel / max x size.z above pos; the image's first row is at +y."""
    terrain = WORLD.model('jezero_terrain').links['ground'].visuals[0].geometry
    heights = read_heightmap(terrain.uri)
    vertices, faces = heightmap_mesh(terrain)
    rows, cols = heights.shape
    assert vertices.shape == (rows * cols, 3) and faces.shape == (2 * (rows - 1) * (cols - 1), 3)
    north_west = vertices[0]
    assert north_west[:2] == pytest.approx((-120.0, 120.0))
    assert north_west[2] == pytest.approx(heights[0, 0] * 6.5535 - 1.0)
    south_east = vertices[-1]
    assert south_east[:2] == pytest.approx((120.0, -120.0))
    assert south_east[2] == pytest.approx(heights[-1, -1] * 6.5535 - 1.0)
    normal = np.cross(vertices[faces[0, 1]] - vertices[faces[0, 0]],
                      vertices[faces[0, 2]] - vertices[faces[0, 0]])
    assert normal[2] > 0  # the surface faces the sky


def test_the_scene_holds_what_the_page_must_draw():
    """Terrain, rocks labelled with their samples, the vehicles posed by odometry, 43 tubes."""
    models = {body.model for body in SCENE.bodies}
    assert {'jezero_terrain', 'three_forks_depot', 'lander', 'perseverance'} <= models
    assert len(SCENE.tubes) == TUBE_COUNT
    assert SCENE.vehicles == ('perseverance', 'helicopter_1', 'helicopter_2', 'helicopter_3',
                              'helicopter_4')
    texts = {label.text for label in SCENE.labels}
    assert {'Mageik', 'Crosswind Lake', 'Three Forks depot', 'Perseverance',
            'helicopter 2'} <= texts
    lander_links = {body.name for body in SCENE.bodies_of('lander')}
    assert any('container' in name for name in lander_links)
    drawn = {body.name.split('::')[1] for body in SCENE.bodies_of('perseverance') if body.shapes}
    assert {'chassis', 'mast', 'arm_link_1', 'arm_link_2', 'arm_link_3', 'arm_link_4', 'turret',
            'wheel_front_left', 'wheel_rear_right'} <= drawn


def test_forward_kinematics_at_zero_is_the_sdf_and_joints_turn_their_children():
    """Zero angles give the SDF's link poses; the azimuth joint swings the arm about its axis."""
    kinematics = SCENE.kinematics['perseverance']
    model = SCENE.model_poses['perseverance']
    rest = kinematics.link_poses({})
    for body in SCENE.bodies_of('perseverance'):
        assert (model * rest[body.name]).almost_equal(body.pose, 1e-9), body.name
    joint = WORLD.model('perseverance').joints['arm_shoulder_azimuth']
    pivot, axis = joint.world_pose.pos, joint.axis.world_xyz
    turned = kinematics.link_poses({'arm_shoulder_azimuth': 0.5})
    for name in ('perseverance::turret', 'perseverance::arm_link_3'):
        before = (model * rest[name]).pos - pivot
        after = (model * turned[name]).pos - pivot
        assert np.dot(after, axis) == pytest.approx(np.dot(before, axis), abs=1e-9)
        flat_before = before - np.dot(before, axis) * axis
        flat_after = after - np.dot(after, axis) * axis
        cos = np.dot(flat_before, flat_after) / np.linalg.norm(flat_before) ** 2
        assert math.acos(min(1.0, cos)) == pytest.approx(0.5, abs=1e-6)
    wheel = kinematics.link_poses({'wheel_front_left_joint': 1.0})
    assert wheel['perseverance::wheel_front_left'].pos == pytest.approx(
        rest['perseverance::wheel_front_left'].pos)  # a wheel spins in place


def test_view_state_poses_vehicles_by_odometry_and_tubes_by_their_poses():
    """Links follow the odometry of their model; tubes take /world/tube_poses as they are."""
    state = ViewState(SCENE)
    moved = Transform.from_xyz_rpy(10.0, -5.0, 0.2, yaw=1.0)
    state.on_vehicle_pose('perseverance', moved.pos, moved.quat)
    state.on_tube_poses([((1.0, 2.0, 3.0), (1.0, 0.0, 0.0, 0.0))] * TUBE_COUNT)
    poses = state.link_poses()
    rest = SCENE.kinematics['perseverance'].link_poses({})['perseverance::chassis']
    assert poses['perseverance::chassis'].almost_equal(moved * rest, 1e-9)
    assert poses[SCENE.tubes['tube_07']].pos == pytest.approx((1.0, 2.0, 3.0))
    lander = SCENE.bodies_of('lander')[0]
    assert lander.name not in poses  # nothing heard of it: it stays where the SDF drew it
    state.on_joint_states('lander', ['sta_joint_1'], [0.0])
    assert state.link_poses()[lander.name].almost_equal(lander.pose, 1e-9)  # at zero: the SDF


def test_only_what_moved_is_posed_again():
    """A caller's ``seen`` versions skip parked models; a repeated, identical odometry is none."""
    state, seen = ViewState(SCENE), {}
    parked = SCENE.model_poses['helicopter_2']
    state.on_vehicle_pose('helicopter_2', parked.pos, parked.quat)
    state.on_vehicle_pose('perseverance', (32.0, 18.0, 0.0), (1.0, 0.0, 0.0, 0.0))
    first = state.link_poses(seen)
    assert any(name.startswith('helicopter_2::') for name in first)
    state.on_vehicle_pose('helicopter_2', parked.pos, parked.quat)  # the same again
    state.on_vehicle_pose('perseverance', (32.5, 18.0, 0.0), (1.0, 0.0, 0.0, 0.0))
    second = state.link_poses(seen)
    assert second and all(name.startswith('perseverance::') for name in second)
    assert state.link_poses(seen) == {}


def _tube(holder='rover/caching_assembly', kind=0, seal=0, core_length=0.0):
    return SimpleNamespace(tube_id='tube_01', holder=holder, kind=kind, seal=seal,
                           core_length=core_length, sample_name='', sequence=0)


@pytest.mark.parametrize('tube, state', [
    (_tube(), 'empty'),
    (_tube(seal=1, core_length=0.06), SEALED),
    (_tube(core_length=0.06), UNSEALED),
    (_tube(seal=2, core_length=0.06), UNSEALED),
    (_tube(kind=1), WITNESS),
    (_tube(holder='depot/slot_03', seal=1), IN_DEPOT),
    (_tube(holder='lander/container', seal=1), IN_CONTAINER),
    (_tube(holder='mav/launched', seal=1), LAUNCHED),
])
def test_tube_colours_follow_the_ledger(tube, state):
    """Where a tube is wins over what it holds; then witness, seal, core."""
    assert tube_state(tube) == state


def test_trails_keep_a_point_per_step_and_the_rate_meter_measures_sim_per_wall():
    """A trail grows only when the vehicle moved a step; the factor is sim s per wall s."""
    trail = Trail(step=0.25)
    for x in (0.0, 0.1, 0.2, 0.3, 0.6):
        trail.add((x, 0.0, 0.0))
    assert [p[0] for p in trail.points] == [0.0, 0.3, 0.6]
    meter = RateMeter()
    assert meter.factor() is None
    for wall in range(6):
        meter.add(float(wall), 2.0 * wall)
    assert meter.factor() == pytest.approx(2.0)


def test_panels_say_what_runs_and_list_every_tube():
    """Campaign phases disable driving; the ledger lists each tube; faults active first."""
    phases = {0: 'IDLE', 1: 'SAMPLING', 7: 'SUCCEEDED'}
    assert panels.campaign_phase(None, phases) is None
    assert panels.campaign_phase(SimpleNamespace(phase=0), phases) is None
    assert panels.campaign_phase(SimpleNamespace(phase=7), phases) is None
    assert panels.campaign_phase(SimpleNamespace(phase=1), phases) == 'SAMPLING'
    tubes = [SimpleNamespace(tube_id='tube_{:02d}'.format(n), holder='rover/caching_assembly',
                             kind=0, seal=0, core_length=0.0, sample_name='')
             for n in range(1, TUBE_COUNT + 1)]
    text = panels.ledger_markdown(tubes, [])
    assert '{} tubes'.format(TUBE_COUNT) in text
    assert sum(line.startswith('| <span') for line in text.splitlines()) == TUBE_COUNT
    faults = [SimpleNamespace(fault_id='fault_0001', kind='SEAL_STUCK', state='RECOVERED',
                              target='mageik', trigger='now', stamp=1.0),
              SimpleNamespace(fault_id='fault_0002', kind='EMPTY_CORE', state='ACTIVE',
                              target='roubion', trigger='now', stamp=2.0)]
    rows = panels.faults_markdown(faults).splitlines()[2:]
    assert 'fault_0002' in rows[0] and 'fault_0001' in rows[1]


def test_controls_are_the_teleop_commands_and_keys():
    """Buttons and keys send the terminal teleop's commands; W/A/S/D/X press the drive buttons."""
    sent = []
    controls = Controls(SimpleNamespace(on_command=sent.append), None, None)
    labels = controls.key_labels()
    buttons = {label: action for label, _, action in controls.drive_buttons()}
    for key, kind, value in (('w', LINEAR, 1), ('x', LINEAR, -1), ('a', ANGULAR, 1),
                             ('d', ANGULAR, -1), ('s', STOP, None)):
        buttons[labels[key]]()
        assert (sent[-1].kind, sent[-1].value) == (kind, value)
    assert [labels[str(n)] for n in range(1, 6)] == list(ARM_POSES)
    controls.arm_pose('ready')
    assert (sent[-1].kind, sent[-1].value) == (ARM, 'ready')


def test_the_page_address_rules():
    """Loopback names are told apart from other addresses; a listened-on port is taken."""
    assert is_loopback('127.0.0.1') and is_loopback('::1') and is_loopback('localhost')
    assert not is_loopback('0.0.0.0') and not is_loopback('192.168.1.5')
    with socket.socket() as server:
        server.bind(('127.0.0.1', 0))
        server.listen()
        port = server.getsockname()[1]
        assert port_taken('127.0.0.1', port)
    assert port_taken('127.0.0.1', port) == ''


class _Recording:
    """A stand-in Recording: the rover's odometry at x = t for t = 0..10 s."""

    def __init__(self):
        odometry = '/model/perseverance/odometry'
        self.times = [float(t) for t in range(11)]
        self.messages = [(odometry, SimpleNamespace(pose=SimpleNamespace(pose=SimpleNamespace(
            position=SimpleNamespace(x=t, y=0.0, z=0.0),
            orientation=SimpleNamespace(w=1.0, x=0.0, y=0.0, z=0.0))))) for t in self.times]
        self.start, self.end = 0.0, 10.0

    def index_after(self, sim_time):
        return sum(1 for t in self.times if t <= sim_time)


def test_the_player_plays_pauses_seeks_and_stops_at_the_end():
    """Playing feeds messages up to the cursor; a seek back starts the state afresh."""
    from perseverance_nodes.viewer.replay import Player
    player = Player(SCENE, _Recording(), {}, {}, speed='2')
    assert player.state.vehicle_poses['perseverance'].pos[0] == 0.0
    player.advance(1.0)
    assert player.time == 0.0  # paused
    player.set_playing(True)
    player.advance(1.5)
    assert player.time == 3.0 and player.state.vehicle_poses['perseverance'].pos[0] == 3.0
    player.seek(7.5)
    assert player.state.vehicle_poses['perseverance'].pos[0] == 7.0
    before = player.state
    player.seek(2.0)
    assert player.state is not before and player.state.vehicle_poses['perseverance'].pos[0] == 2
    assert len(player.state.trails['perseverance'].points) == 3  # x = 0, 1, 2: as it was then
    player.advance(100.0)
    assert player.time == 10.0 and not player.playing
    player.set_playing(True)  # at the end: from the start again
    assert player.time == 0.0 and player.playing
