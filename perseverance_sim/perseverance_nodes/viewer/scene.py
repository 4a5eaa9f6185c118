# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The drawable world, from the SDF the world loads, and the kinematics that pose it live.

``build_scene`` reads a loaded ``domain.sdf.World`` into ``Scene``: one ``Body`` per link with
visuals (its shapes merged into one mesh per colour, in the link frame) and, per model that
moves, a ``Kinematics`` that turns the world contract's state into link poses:

- a vehicle (rover, helicopter): its odometry is the model frame's pose in ``world``;
- an articulated model (the rover, the lander's transfer arm, a helicopter's arm and rotors):
  joint states give the angles; forward kinematics over the SDF's joints places every link;
- a tube: ``/world/tube_poses`` gives its link pose directly.

Everything else (terrain, rocks, depot, helipads, the landing site) stays where the SDF puts it.
"""

from dataclasses import dataclass, field
import math

import numpy as np

from . import meshes
from ..domain.sdf.transforms import Transform
from ..domain.site_layout import rock_key
from ..domain.tubes import rock_display_name
from ..domain.validation import Refusal

TUBE_MODEL_PREFIX = 'tube_'
VEHICLES = ('perseverance', 'helicopter_')   # model names (or prefixes) posed by odometry
ROCK_PREFIX = 'rock_'
LABEL_HEIGHT = 1.6        # m above a rock's origin for its label
# Named places and vehicles labelled by name (exact model name, or a prefix ending in '_').
PLACE_LABELS = {'three_forks_depot': 'Three Forks depot', 'lander': 'Sample Retrieval Lander',
                'helipad_': 'helipad {}'}
VEHICLE_LABELS = {'perseverance': 'Perseverance', 'helicopter_': 'helicopter {}'}
PLACE_LABEL_HEIGHT = 4.0  # m above a place's origin
VEHICLE_LABEL_HEIGHT = 2.5  # m above a vehicle's model frame, moving with it
MOVING_JOINTS = ('revolute', 'prismatic', 'continuous')


@dataclass
class Body:
    """One drawn link: its scoped name, its shapes (vertices, faces, rgba) and zero-state pose."""

    name: str                 # scoped link name, e.g. perseverance::chassis
    model: str                # top-level model name
    shapes: list              # [(vertices, faces, rgba)], vertices in the link frame
    pose: Transform           # world pose as the SDF places it (joint angles zero)


@dataclass
class _JointMotion:
    """How one joint moves its child link relative to its parent link."""

    name: str                 # the joint's local name, as joint states name it
    kind: str
    parent: str               # scoped link name, or '' for the model frame
    child: str
    parent_to_joint: Transform   # joint frame in the parent frame at zero
    joint_to_child: Transform    # child link frame in the joint frame (fixed)
    axis: np.ndarray             # unit axis in the joint frame


def _axis_motion(kind, axis, value):
    """Return the joint frame's motion by ``value`` (rad or m) about/along ``axis``."""
    if kind == 'prismatic':
        return Transform.unchecked(axis * value, np.array([1.0, 0.0, 0.0, 0.0]))
    half = 0.5 * value
    return Transform.unchecked(np.zeros(3), np.concatenate([[math.cos(half)],
                                                            math.sin(half) * axis]))


class Kinematics:
    """Forward kinematics of one model: link poses in the model frame from joint positions."""

    def __init__(self, model):
        """Read the model's links and joints (their world poses at zero from the SDF)."""
        self.model = model.name
        to_model = model.world_pose.inverse()
        links = {link.scoped_name: link for link in model.all_links()}
        self.rest = {name: to_model * link.world_pose for name, link in links.items()}
        self.motions, moved = [], set()
        for joint in model.all_joints():
            if joint.child not in links or joint.child in moved:
                continue
            moved.add(joint.child)
            parent = joint.parent if joint.parent in links else ''
            parent_rest = self.rest[parent] if parent else Transform()
            joint_rest = to_model * joint.world_pose
            axis = np.array([0.0, 0.0, 1.0])
            if joint.axis is not None and joint.axis.world_xyz is not None:
                axis = joint.world_pose.rot.T @ np.asarray(joint.axis.world_xyz, dtype=float)
                axis = axis / np.linalg.norm(axis)
            self.motions.append(_JointMotion(
                joint.name, joint.type if joint.type in MOVING_JOINTS else 'fixed', parent,
                joint.child, parent_rest.inverse() * joint_rest,
                joint_rest.inverse() * self.rest[joint.child], axis))
        self.motions = _parents_first(self.motions)
        self.joint_names = tuple(m.name for m in self.motions if m.kind != 'fixed')

    def link_poses(self, positions):
        """Return {scoped link: pose in the model frame} for joint ``positions`` {name: value}."""
        poses = dict(self.rest)
        for motion in self.motions:
            parent = poses[motion.parent] if motion.parent else Transform()
            joint = parent * motion.parent_to_joint
            value = positions.get(motion.name, 0.0) if motion.kind != 'fixed' else 0.0
            if value:
                joint = joint * _axis_motion(motion.kind, motion.axis, value)
            poses[motion.child] = joint * motion.joint_to_child
        return poses


def _parents_first(motions):
    """Order joint motions so that every parent link is placed before its children."""
    ordered, placed, pending = [], {''}, list(motions)
    children = {m.child for m in motions}
    placed |= {m.parent for m in motions if m.parent not in children}
    while pending:
        ready = [m for m in pending if m.parent in placed]
        if not ready:  # a loop: leave the rest at their rest poses
            break
        for motion in ready:
            ordered.append(motion)
            placed.add(motion.child)
            pending.remove(motion)
    return ordered


@dataclass
class Label:
    """A text in the world (rocks, named places), or riding on a vehicle (``vehicle``)."""

    name: str
    text: str
    position: tuple           # in world, or in the vehicle's model frame
    vehicle: str = ''


def _named(table, name):
    """Return the label text ``table`` gives a model name, or None."""
    for key, text in table.items():
        if name == key:
            return text
        if key.endswith('_') and name.startswith(key) and name[len(key):].isdigit():
            return text.format(name[len(key):])
    return None


@dataclass
class Scene:
    """What the page draws: bodies, the moving models' kinematics, the tubes, the labels."""

    bodies: list = field(default_factory=list)
    kinematics: dict = field(default_factory=dict)   # model name -> Kinematics
    vehicles: tuple = ()                              # models posed by odometry
    tubes: dict = field(default_factory=dict)         # tube id -> scoped link name
    labels: list = field(default_factory=list)
    model_poses: dict = field(default_factory=dict)   # model name -> world pose in the SDF

    def bodies_of(self, model):
        """Return the bodies of one top-level model."""
        return [body for body in self.bodies if body.model == model]


def _is_vehicle(name):
    return any(name == v or (v.endswith('_') and name.startswith(v)) for v in VEHICLES)


def _link_shapes(link):
    """Merge a link's visuals into one mesh per colour, in the link frame."""
    to_link = link.world_pose.inverse()
    by_colour = {}
    for visual in link.visuals:
        mesh = meshes.geometry_mesh(visual.geometry) if visual.geometry else None
        if mesh is None:
            continue
        by_colour.setdefault(tuple(visual.rgba), []).append(
            meshes.transformed(mesh, to_link * visual.world_pose))
    return [meshes.merge(parts) + (rgba,) for rgba, parts in by_colour.items()]


def _rock_label(model):
    """Return the label of a rock outcrop: its sample's display name, else its model name."""
    try:
        text = rock_display_name(rock_key(model.name))
    except (Refusal, ValueError):
        text = model.name[len(ROCK_PREFIX):].replace('_', ' ').title()
    position = model.world_pose.pos + [0.0, 0.0, LABEL_HEIGHT]
    return Label('rock_' + model.name, text, tuple(float(v) for v in position))


def build_scene(world):
    """Return the ``Scene`` of a loaded SDF world."""
    scene = Scene()
    vehicles = []
    for model in world.models.values():
        scene.model_poses[model.name] = model.world_pose
        for link in model.all_links():
            scene.bodies.append(Body(link.scoped_name, model.name, _link_shapes(link),
                                     link.world_pose))
        if model.name.startswith(TUBE_MODEL_PREFIX):
            scene.tubes[model.name] = next(iter(model.all_links())).scoped_name
            continue
        if model.name.startswith(ROCK_PREFIX):
            scene.labels.append(_rock_label(model))
        place = _named(PLACE_LABELS, model.name)
        if place:
            scene.labels.append(Label(model.name, place, tuple(
                float(v) for v in model.world_pose.pos + [0.0, 0.0, PLACE_LABEL_HEIGHT])))
        vehicle = _named(VEHICLE_LABELS, model.name)
        if vehicle:
            scene.labels.append(Label(model.name, vehicle, (0.0, 0.0, VEHICLE_LABEL_HEIGHT),
                                      vehicle=model.name))
        if _is_vehicle(model.name):
            vehicles.append(model.name)
        if _is_vehicle(model.name) or any(
                j.type in MOVING_JOINTS for j in model.all_joints()):
            scene.kinematics[model.name] = Kinematics(model)
    scene.vehicles = tuple(vehicles)
    return scene


def pose_from_ros(position, orientation_xyzw):
    """Return a Transform from a ROS position (x, y, z) and quaternion (x, y, z, w)."""
    x, y, z, w = orientation_xyzw
    return Transform(np.asarray(position, dtype=float), np.array([w, x, y, z]))
