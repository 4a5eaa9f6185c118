# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The loaded world as plain dataclasses: world, models, links, joints, frames, shapes, plugins.

``loader`` fills them with the poses as written (``pose`` plus ``relative_to``); ``frames`` then
sets every ``world_pose`` and resolves joint ends and frame attachments to scoped link names.
"""

from dataclasses import dataclass, field
import xml.etree.ElementTree as ET

import numpy as np

from .transforms import Transform


@dataclass
class Inertial:
    """Mass properties of a link; ``pose`` is the centre of mass frame in the link frame."""

    mass: float = 1.0
    pose: Transform = field(default_factory=Transform)
    inertia: np.ndarray = field(default_factory=lambda: np.eye(3))


@dataclass
class Geometry:
    """One SDF geometry: ``type`` and its parameters (SI units, SDF meaning)."""

    type: str  # noqa: A003 - SDF attribute name
    size: np.ndarray = None          # box: full edge lengths; plane/heightmap: extent
    radius: float = 0.0
    length: float = 0.0
    radii: np.ndarray = None         # ellipsoid
    normal: np.ndarray = None        # plane
    uri: str = ''                    # heightmap image, resolved to an absolute path
    pos: np.ndarray = None           # heightmap offset


@dataclass
class Surface:
    """Contact parameters that map onto MuJoCo (others are recorded in notes)."""

    mu: float = 1.0
    mu2: float = 1.0
    torsional: float = 0.0
    rolling: float = 0.0  # m: rolling resistance torque / normal force (bullet rolling_friction)
    restitution: float = 0.0
    collide_bitmask: int = 0xFFFF
    collide_without_contact: bool = False


@dataclass
class Collision:
    """A collision shape of a link."""

    name: str
    geometry: Geometry
    pose: Transform
    relative_to: str = ''
    surface: Surface = field(default_factory=Surface)
    world_pose: Transform = None


@dataclass
class Visual:
    """A visual shape of a link (rendered only)."""

    name: str
    geometry: Geometry
    pose: Transform
    relative_to: str = ''
    rgba: tuple = (0.7, 0.7, 0.7, 1.0)
    world_pose: Transform = None


@dataclass
class Camera:
    """Camera intrinsics of a ``<sensor type="camera">``."""

    horizontal_fov: float = 1.047
    width: int = 320
    height: int = 240
    format: str = 'R8G8B8'  # noqa: A003 - SDF attribute name
    near: float = 0.1
    far: float = 100.0


@dataclass
class Sensor:
    """A sensor attached to a link."""

    name: str
    type: str  # noqa: A003 - SDF attribute name
    pose: Transform
    relative_to: str = ''
    update_rate: float = 0.0
    topic: str = ''
    always_on: bool = False
    camera: Camera = None
    scoped_name: str = ''
    link: str = ''
    world_pose: Transform = None


@dataclass
class Link:
    """A rigid body."""

    name: str
    scoped_name: str
    pose: Transform
    relative_to: str = ''
    inertial: Inertial = field(default_factory=Inertial)
    has_inertial: bool = False
    collisions: list = field(default_factory=list)
    visuals: list = field(default_factory=list)
    sensors: list = field(default_factory=list)
    gravity: bool = True
    self_collide: bool = None
    world_pose: Transform = None
    model: str = ''


@dataclass
class Axis:
    """A joint axis with its limits and dynamics."""

    xyz: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, 1.0]))
    expressed_in: str = ''
    lower: float = -1e16
    upper: float = 1e16
    effort: float = -1.0
    velocity: float = -1.0
    damping: float = 0.0
    friction: float = 0.0
    spring_reference: float = 0.0
    spring_stiffness: float = 0.0
    initial_position: float = 0.0
    world_xyz: np.ndarray = None

    @property
    def limited(self):
        """Return True when the SDF gives finite position limits."""
        return self.lower > -1e15 and self.upper < 1e15


@dataclass
class Joint:
    """A joint; ``parent``/``child`` are resolved to scoped link names (or 'world')."""

    name: str
    scoped_name: str
    type: str  # noqa: A003 - SDF attribute name
    parent: str
    child: str
    pose: Transform
    relative_to: str = ''
    axis: Axis = None
    world_pose: Transform = None
    model: str = ''
    parent_ref: str = ''
    child_ref: str = ''


@dataclass
class Frame:
    """An explicit ``<frame>``; ``link`` is the scoped link it is rigidly attached to."""

    name: str
    scoped_name: str
    attached_to: str
    pose: Transform
    relative_to: str = ''
    link: str = ''
    world_pose: Transform = None


@dataclass
class Plugin:
    """A system plugin with its raw XML parameters."""

    name: str
    filename: str
    system: str
    element: ET.Element
    owner: str = ''
    source: str = ''

    def text(self, tag, default=None):
        """Text of the first child ``tag`` (stripped), or ``default``."""
        child = self.element.find(tag)
        if child is None or child.text is None:
            return default
        return child.text.strip()

    def texts(self, tag):
        """Texts of every child ``tag`` in order."""
        return [(c.text or '').strip() for c in self.element.findall(tag)]

    def number(self, tag, default=None):
        """First child ``tag`` as a float."""
        value = self.text(tag)
        return default if value is None else float(value)

    def vector(self, tag, default=None):
        """First child ``tag`` as a float array."""
        value = self.text(tag)
        return default if value is None else np.array([float(v) for v in value.split()])

    def flag(self, tag, default=False):
        """First child ``tag`` as a boolean."""
        value = self.text(tag)
        return default if value is None else value.lower() in ('1', 'true')

    @property
    def xml(self):
        """Return the plugin element as an XML string."""
        return ET.tostring(self.element, encoding='unicode')


@dataclass
class Model:
    """A model (possibly nested); element dicts are keyed by local name, in SDF order."""

    name: str
    scoped_name: str
    pose: Transform
    relative_to: str = ''
    placement_frame: str = ''
    canonical_link: str = ''
    static: bool = False
    self_collide: bool = False
    links: dict = field(default_factory=dict)
    joints: dict = field(default_factory=dict)
    frames: dict = field(default_factory=dict)
    models: dict = field(default_factory=dict)
    plugins: list = field(default_factory=list)
    source: str = ''
    uri: str = ''
    world_pose: Transform = None
    canonical: str = ''

    def all_links(self):
        """Links of this model and nested models, depth first."""
        out = list(self.links.values())
        for nested in self.models.values():
            out.extend(nested.all_links())
        return out

    def all_joints(self):
        """Joints of this model and nested models."""
        out = list(self.joints.values())
        for nested in self.models.values():
            out.extend(nested.all_joints())
        return out

    def all_frames(self):
        """Explicit frames of this model and nested models."""
        out = list(self.frames.values())
        for nested in self.models.values():
            out.extend(nested.all_frames())
        return out

    def all_plugins(self):
        """Plugins of this model and nested models."""
        out = list(self.plugins)
        for nested in self.models.values():
            out.extend(nested.all_plugins())
        return out


@dataclass
class Light:
    """A light (rendering only)."""

    name: str
    type: str  # noqa: A003 - SDF attribute name
    pose: Transform
    diffuse: tuple = (0.8, 0.8, 0.8)
    direction: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, -1.0]))
    cast_shadows: bool = False


@dataclass
class World:
    """A loaded world: top-level models by name, world frames, world plugins."""

    name: str
    gravity: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, -9.8]))
    max_step_size: float = 0.001
    real_time_factor: float = 1.0
    models: dict = field(default_factory=dict)
    frames: dict = field(default_factory=dict)
    plugins: list = field(default_factory=list)
    lights: list = field(default_factory=list)
    source: str = ''
    model_dirs: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def all_models(self):
        """Every model, top-level and nested, parents first."""
        out = []

        def walk(model):
            out.append(model)
            for nested in model.models.values():
                walk(nested)
        for model in self.models.values():
            walk(model)
        return out

    def model(self, scoped_name):
        """Look a model up by scoped name ('a' or 'a::b')."""
        parts = scoped_name.split('::')
        model = self.models.get(parts[0])
        for part in parts[1:]:
            model = None if model is None else model.models.get(part)
        if model is None:
            raise KeyError('no model {}'.format(scoped_name))
        return model

    def link(self, scoped_name):
        """Look a link up by scoped name ('model::link')."""
        model_name, _, link_name = scoped_name.rpartition('::')
        try:
            return self.model(model_name).links[link_name]
        except KeyError:
            raise KeyError('no link {}'.format(scoped_name)) from None
