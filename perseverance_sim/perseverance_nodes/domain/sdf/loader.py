# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Parse SDF 1.6-1.9 files into the dataclasses of ``model``; ``frames`` then resolves every pose.

Includes (``model://name`` and relative or ``file://`` URIs) are resolved on a list of model
directories: by default the package's ``models/`` directory (source tree or ament share) followed
by the directories on ``GZ_SIM_RESOURCE_PATH``, like Gazebo.  Include overrides supported:
``name``, ``pose`` (with ``relative_to``), ``static``, ``placement_frame`` and extra ``plugin``.

Unknown elements are never skipped silently: elements that matter only to rendering or to another
physics engine are recorded in ``World.notes``; anything else raises ``UnsupportedSdfError``.
"""

import math
import os
import re
import xml.etree.ElementTree as ET

import numpy as np

from .errors import SdfError, UnsupportedSdfError
from .frames import resolve_frames
from .model import (Axis, Camera, Collision, Frame, Geometry, Inertial, Joint, Light, Link,
                    Model, Plugin, Sensor, Surface, Visual, World)
from .transforms import rpy_to_quat, Transform
from ..package_data import PACKAGE, share_dir, share_path

SUPPORTED_SDF_VERSIONS = ('1.6', '1.7', '1.8', '1.9')

# Short system name -> the library stem Gazebo Harmonic loads it from (gz-sim-<stem>-system).
KNOWN_SYSTEMS = {
    'DiffDrive': 'diff-drive',
    'JointTrajectoryController': 'joint-trajectory-controller',
    'JointPositionController': 'joint-position-controller',
    'JointStatePublisher': 'joint-state-publisher',
    'OdometryPublisher': 'odometry-publisher',
    'PosePublisher': 'pose-publisher',
    'MulticopterMotorModel': 'multicopter-motor-model',
    'MulticopterVelocityControl': 'multicopter-control',
    'DetachableJoint': 'detachable-joint',
    'Physics': 'physics',
    'UserCommands': 'user-commands',
    'SceneBroadcaster': 'scene-broadcaster',
    'Sensors': 'sensors',
}

SUPPORTED_SENSORS = ('camera',)
SUPPORTED_JOINTS = ('revolute', 'prismatic', 'continuous', 'fixed', 'ball')
SUPPORTED_GEOMETRY = ('box', 'cylinder', 'sphere', 'capsule', 'ellipsoid', 'plane', 'heightmap')

# Elements each parent may hold.  'note' = kept out of the simulation on purpose (render-only or
# another engine's tuning) and recorded in World.notes; anything not listed is unsupported.
_WORLD_CHILDREN = {
    'include': 'ok', 'model': 'ok', 'frame': 'ok', 'plugin': 'ok', 'gravity': 'ok',
    'physics': 'ok', 'light': 'ok', 'scene': 'note', 'gui': 'note', 'audio': 'note',
    'magnetic_field': 'note', 'atmosphere': 'note', 'spherical_coordinates': 'note',
    'wind': 'note',
}
_MODEL_CHILDREN = {
    'static': 'ok', 'self_collide': 'ok', 'pose': 'ok', 'link': 'ok', 'joint': 'ok',
    'frame': 'ok', 'model': 'ok', 'include': 'ok', 'plugin': 'ok', 'enable_wind': 'ok',
    'allow_auto_disable': 'note',
}
_LINK_CHILDREN = {
    'pose': 'ok', 'inertial': 'ok', 'collision': 'ok', 'visual': 'ok', 'sensor': 'ok',
    'gravity': 'ok', 'kinematic': 'ok', 'self_collide': 'ok', 'enable_wind': 'ok',
    'must_be_base_link': 'ok', 'velocity_decay': 'ok', 'light': 'note', 'battery': 'note',
    'audio_sink': 'note', 'audio_source': 'note', 'particle_emitter': 'note',
    'projector': 'note',
}
_COLLISION_CHILDREN = {
    'pose': 'ok', 'geometry': 'ok', 'surface': 'ok', 'laser_retro': 'note',
    'max_contacts': 'note',
}
_VISUAL_CHILDREN = {
    'pose': 'ok', 'geometry': 'ok', 'material': 'ok', 'cast_shadows': 'note',
    'laser_retro': 'note', 'transparency': 'note', 'visibility_flags': 'note', 'meta': 'note',
}
_JOINT_CHILDREN = {
    'parent': 'ok', 'child': 'ok', 'pose': 'ok', 'axis': 'ok', 'physics': 'note',
}
_AXIS_CHILDREN = {'xyz': 'ok', 'dynamics': 'ok', 'limit': 'ok', 'initial_position': 'ok'}
_SENSOR_CHILDREN = {
    'pose': 'ok', 'camera': 'ok', 'always_on': 'ok', 'update_rate': 'ok', 'topic': 'ok',
    'visualize': 'note', 'enable_metrics': 'note', 'frame_id': 'ok', 'gz_frame_id': 'ok',
}
_INERTIAL_CHILDREN = {'mass': 'ok', 'pose': 'ok', 'inertia': 'ok'}


def default_model_dirs():
    """Model directories: the package's models/ (ament share or source tree), then GZ paths."""
    dirs = []
    models = share_path('models')
    if os.path.isdir(models):
        dirs.append(models)
    for var in ('GZ_SIM_RESOURCE_PATH', 'IGN_GAZEBO_RESOURCE_PATH'):
        dirs.extend(d for d in os.environ.get(var, '').split(os.pathsep) if d)
    return dirs


def default_world_path(name='jezero'):
    """Path of worlds/<name>.sdf in the installed share directory or the source tree."""
    return share_path('worlds', name + '.sdf')


def load_world(path, model_dirs=None):
    """Parse an SDF file holding a ``<world>`` and resolve every pose."""
    loader = _Loader(model_dirs if model_dirs is not None else default_model_dirs())
    world = loader.load_world(str(path))
    resolve_frames(world)
    return world


def load_model(path_or_uri, model_dirs=None, name=None, pose=None):
    """Load a single model (file path or model:// URI) into a world of its own named 'default'."""
    loader = _Loader(model_dirs if model_dirs is not None else default_model_dirs())
    world = World(name='default', source=str(path_or_uri), model_dirs=loader.model_dirs)
    loader.world = world
    file = loader.resolve_model_file(str(path_or_uri), os.getcwd(), 'model')
    root = loader.parse_file(file)
    elem = root.find('model')
    if elem is None:
        raise SdfError('no <model> in file', element='sdf', file=file)
    model = loader.parse_model(elem, '', file, str(path_or_uri))
    if name:
        model.name = model.scoped_name = name
        loader.rescope(model, name)
    if pose is not None:
        model.pose = pose
    world.models[model.name] = model
    resolve_frames(world)
    return world


def parse_pose(elem):
    """Transform and relative_to of a ``<pose>`` element (None -> identity)."""
    if elem is None:
        return Transform(), ''
    values = [float(v) for v in (elem.text or '').split()]
    fmt = elem.get('rotation_format', 'euler_rpy')
    degrees = elem.get('degrees', 'false').lower() in ('1', 'true')
    if not values:
        values = [0.0] * 6
    if fmt == 'euler_rpy':
        if len(values) != 6:
            raise SdfError('pose needs 6 values, got {!r}'.format(elem.text), element='pose')
        rpy = values[3:]
        if degrees:
            rpy = [math.radians(v) for v in rpy]
        quat = rpy_to_quat(*rpy)
    elif fmt == 'quat_xyzw':
        if len(values) != 7:
            raise SdfError('quat_xyzw pose needs 7 values', element='pose')
        quat = np.array([values[6], values[3], values[4], values[5]])
    else:
        raise UnsupportedSdfError('rotation_format {!r}'.format(fmt), element='pose')
    return Transform(np.array(values[:3]), quat), elem.get('relative_to', '')


def _text(elem, tag, default=None):
    child = elem.find(tag)
    if child is None or child.text is None:
        return default
    return child.text.strip()


def _float(elem, tag, default):
    value = _text(elem, tag)
    return default if value is None else float(value)


def _bool(elem, tag, default):
    value = _text(elem, tag)
    return default if value is None else value.lower() in ('1', 'true')


def _vec(elem, tag, default):
    value = _text(elem, tag)
    return np.array(default, dtype=float) if value is None else \
        np.array([float(v) for v in value.split()])


class _Loader:
    """Parses files into dataclasses; poses stay raw until resolve_frames runs."""

    def __init__(self, model_dirs):
        self.model_dirs = [str(d) for d in model_dirs]
        self.world = None
        self._include_depth = 0

    def note(self, message):
        if message not in self.world.notes:
            self.world.notes.append(message)

    def parse_file(self, path):
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as err:
            raise SdfError('cannot read SDF: {}'.format(err), file=path) from err
        if root.tag != 'sdf':
            raise SdfError('root element is <{}>, expected <sdf>'.format(root.tag), file=path)
        version = root.get('version', '')
        if version not in SUPPORTED_SDF_VERSIONS:
            raise UnsupportedSdfError('SDF version {!r} (supported: {})'.format(
                version, ', '.join(SUPPORTED_SDF_VERSIONS)), element='sdf', file=path)
        return root

    def check_children(self, elem, allowed, ctx):
        for child in elem:
            if not isinstance(child.tag, str):
                continue  # XML comments
            kind = allowed.get(child.tag)
            if kind is None:
                raise UnsupportedSdfError(
                    '<{}> inside <{}> is not supported by the embedded backend'.format(
                        child.tag, elem.tag), element=child.tag, **ctx)
            if kind == 'note':
                where = ctx.get('link') or ctx.get('model') or 'world'
                self.note('ignored <{}> in <{}> of {} ({}): no effect on MuJoCo physics'.format(
                    child.tag, elem.tag, where, os.path.basename(ctx.get('file', ''))))

    # ---------------------------------------------------------------- world
    def load_world(self, path):
        path = os.path.abspath(path)
        root = self.parse_file(path)
        elem = root.find('world')
        if elem is None:
            raise SdfError('no <world> element', element='sdf', file=path)
        world = World(name=elem.get('name', 'default'), source=path, model_dirs=self.model_dirs)
        self.world = world
        ctx = {'file': path}
        self.check_children(elem, _WORLD_CHILDREN, ctx)
        world.gravity = _vec(elem, 'gravity', [0, 0, -9.8])
        physics = elem.find('physics')
        if physics is not None:
            world.max_step_size = _float(physics, 'max_step_size', 0.001)
            world.real_time_factor = _float(physics, 'real_time_factor', 1.0)
        wind = elem.find('wind')
        if wind is not None:
            self.note('world <wind> is ignored (no link enables wind)')
        for child in elem:
            if child.tag == 'model':
                self.add_model(world.models, self.parse_model(child, '', path, ''), path)
            elif child.tag == 'include':
                self.add_model(world.models, self.parse_include(child, '', path), path)
            elif child.tag == 'frame':
                frame = self.parse_frame(child, '', path)
                if frame.name in world.frames or frame.name in world.models:
                    raise SdfError('duplicate name {!r}'.format(frame.name), element='frame',
                                   file=path)
                world.frames[frame.name] = frame
            elif child.tag == 'plugin':
                world.plugins.append(self.parse_plugin(child, '', path))
            elif child.tag == 'light':
                world.lights.append(self.parse_light(child))
        return world

    def add_model(self, table, model, path):
        if model.name in table:
            raise SdfError('duplicate model name {!r}'.format(model.name), element='model',
                           model=model.name, file=path)
        table[model.name] = model

    def parse_light(self, elem):
        pose, _ = parse_pose(elem.find('pose'))
        diffuse = _vec(elem, 'diffuse', [0.8, 0.8, 0.8, 1])
        return Light(name=elem.get('name', ''), type=elem.get('type', 'point'), pose=pose,
                     diffuse=tuple(diffuse[:3]), direction=_vec(elem, 'direction', [0, 0, -1]),
                     cast_shadows=_bool(elem, 'cast_shadows', False))

    # ---------------------------------------------------------------- includes
    def resolve_uri(self, uri, base_dir, what):
        """Absolute path of a model://, file://, package:// or relative URI."""
        candidates = []
        if uri.startswith('model://'):
            rest = uri[len('model://'):]
            candidates = [os.path.join(d, rest) for d in self.model_dirs]
        elif uri.startswith('package://'):
            pkg, _, rest = uri[len('package://'):].partition('/')
            candidates = [os.path.join(d, rest) for d in _package_dirs(pkg)]
        elif uri.startswith('file://'):
            rest = uri[len('file://'):]
            candidates = [rest if os.path.isabs(rest) else os.path.join(base_dir, rest)]
        elif re.match(r'^[a-z]+://', uri):
            raise UnsupportedSdfError('URI scheme of {!r} (use model://, file:// or a path)'
                                      .format(uri), element=what)
        else:
            candidates = [uri if os.path.isabs(uri) else os.path.join(base_dir, uri)]
            candidates += [os.path.join(d, uri) for d in self.model_dirs]
        for cand in candidates:
            if os.path.exists(cand):
                return os.path.abspath(cand)
        raise SdfError('cannot resolve URI {!r} (searched {})'.format(
            uri, ', '.join(candidates) or 'nothing'), element=what)

    def resolve_model_file(self, uri, base_dir, what):
        path = self.resolve_uri(uri, base_dir, what)
        if os.path.isfile(path):
            return path
        config = os.path.join(path, 'model.config')
        if os.path.isfile(config):
            try:
                croot = ET.parse(config).getroot()
            except ET.ParseError as err:
                raise SdfError('bad model.config: {}'.format(err), file=config) from err
            best = None
            for sdf_elem in croot.findall('sdf'):
                version = sdf_elem.get('version', '0')
                if version in SUPPORTED_SDF_VERSIONS or best is None:
                    if best is None or version > best[0]:
                        best = (version, (sdf_elem.text or '').strip())
            if best and best[1]:
                return os.path.join(path, best[1])
        if os.path.isfile(os.path.join(path, 'model.sdf')):
            return os.path.join(path, 'model.sdf')
        raise SdfError('no model.config or model.sdf in {}'.format(path), element=what)

    def parse_include(self, elem, scope, path):
        uri = _text(elem, 'uri')
        if not uri:
            raise SdfError('<include> without <uri>', element='include', file=path)
        if elem.get('merge', 'false').lower() in ('1', 'true'):
            raise UnsupportedSdfError('<include merge="true"> of {}'.format(uri),
                                      element='include', model=scope, file=path)
        for child in elem:
            if isinstance(child.tag, str) and child.tag not in (
                    'uri', 'name', 'pose', 'static', 'placement_frame', 'plugin'):
                raise UnsupportedSdfError('<{}> inside <include>'.format(child.tag),
                                          element=child.tag, model=scope, file=path)
        file = self.resolve_model_file(uri, os.path.dirname(path), 'include')
        self._include_depth += 1
        if self._include_depth > 32:
            raise SdfError('include recursion too deep at {}'.format(uri), element='include',
                           file=path)
        try:
            root = self.parse_file(file)
            model_elem = root.find('model')
            if model_elem is None:
                raise UnsupportedSdfError('included file has no <model> ({})'.format(uri),
                                          element='include', file=file)
            name = _text(elem, 'name') or model_elem.get('name')
            model = self.parse_model(model_elem, scope, file, uri, name_override=name)
        finally:
            self._include_depth -= 1
        if elem.find('pose') is not None:
            model.pose, model.relative_to = parse_pose(elem.find('pose'))
        if elem.find('static') is not None:
            model.static = _bool(elem, 'static', False)
            _propagate_static(model)
        if elem.find('placement_frame') is not None:
            model.placement_frame = _text(elem, 'placement_frame')
        for plugin in elem.findall('plugin'):
            model.plugins.append(self.parse_plugin(plugin, model.scoped_name, path))
        return model

    def rescope(self, model, scoped):
        model.scoped_name = scoped
        for link in model.links.values():
            link.scoped_name = scoped + '::' + link.name
            link.model = scoped
            for sensor in link.sensors:
                sensor.scoped_name = link.scoped_name + '::' + sensor.name
                sensor.link = link.scoped_name
        for joint in model.joints.values():
            joint.scoped_name = scoped + '::' + joint.name
            joint.model = scoped
        for frame in model.frames.values():
            frame.scoped_name = scoped + '::' + frame.name
        for plugin in model.plugins:
            plugin.owner = scoped
        for nested in model.models.values():
            self.rescope(nested, scoped + '::' + nested.name)

    # ---------------------------------------------------------------- model
    def parse_model(self, elem, scope, path, uri, name_override=None):
        name = name_override or elem.get('name')
        if not name:
            raise SdfError('model without a name', element='model', file=path)
        scoped = scope + '::' + name if scope else name
        ctx = {'model': scoped, 'file': path}
        self.check_children(elem, _MODEL_CHILDREN, ctx)
        pose, rel = parse_pose(elem.find('pose'))
        model = Model(name=name, scoped_name=scoped, pose=pose, relative_to=rel,
                      placement_frame=elem.get('placement_frame', ''),
                      canonical_link=elem.get('canonical_link', ''),
                      static=_bool(elem, 'static', False),
                      self_collide=_bool(elem, 'self_collide', False), source=path, uri=uri)
        if _bool(elem, 'enable_wind', False):
            raise UnsupportedSdfError('<enable_wind>true', element='enable_wind', **ctx)
        names = set()

        def claim(kind, local):
            if not local:
                raise SdfError('{} without a name'.format(kind), element=kind, **ctx)
            if local in names or local in ('world', '__model__'):
                raise SdfError('duplicate or reserved name {!r}'.format(local), element=kind,
                               **ctx)
            names.add(local)

        for child in elem:
            if child.tag == 'link':
                link = self.parse_link(child, model, path)
                claim('link', link.name)
                model.links[link.name] = link
            elif child.tag == 'joint':
                joint = self.parse_joint(child, model, path)
                claim('joint', joint.name)
                model.joints[joint.name] = joint
            elif child.tag == 'frame':
                frame = self.parse_frame(child, scoped, path)
                claim('frame', frame.name)
                model.frames[frame.name] = frame
            elif child.tag == 'model':
                nested = self.parse_model(child, scoped, path, uri)
                claim('model', nested.name)
                model.models[nested.name] = nested
            elif child.tag == 'include':
                nested = self.parse_include(child, scoped, path)
                claim('model', nested.name)
                model.models[nested.name] = nested
            elif child.tag == 'plugin':
                model.plugins.append(self.parse_plugin(child, scoped, path))
        if not model.links and not model.models:
            raise SdfError('model has no link', element='model', **ctx)
        if model.static:
            _propagate_static(model)
        return model

    def parse_frame(self, elem, scoped_scope, path):
        name = elem.get('name', '')
        for child in elem:
            if isinstance(child.tag, str) and child.tag != 'pose':
                raise UnsupportedSdfError('<{}> inside <frame>'.format(child.tag),
                                          element=child.tag, model=scoped_scope, file=path)
        pose, rel = parse_pose(elem.find('pose'))
        scoped = scoped_scope + '::' + name if scoped_scope else name
        return Frame(name=name, scoped_name=scoped, attached_to=elem.get('attached_to', ''),
                     pose=pose, relative_to=rel)

    def parse_plugin(self, elem, owner, path):
        name = elem.get('name', '')
        filename = elem.get('filename', '')
        short = name.split('::')[-1]
        if short not in KNOWN_SYSTEMS:
            raise UnsupportedSdfError(
                'plugin {!r} ({}) has no emulation in the embedded backend'.format(
                    name, filename), element='plugin', model=owner, file=path)
        stem = KNOWN_SYSTEMS[short]
        pattern = r'^(lib)?(gz-sim\d*|ignition-gazebo\d*)-{}-system(\.so)?$'.format(
            re.escape(stem))
        if not re.match(pattern, filename):
            raise SdfError('plugin {!r} must be loaded from gz-sim-{}-system, not {!r}'.format(
                name, stem, filename), element='plugin', model=owner, file=path)
        prefix = name[:-len(short)]
        if prefix not in ('gz::sim::systems::', 'ignition::gazebo::systems::'):
            raise SdfError('plugin name {!r} should be gz::sim::systems::{}'.format(name, short),
                           element='plugin', model=owner, file=path)
        return Plugin(name=name, filename=filename, system=short, element=elem, owner=owner,
                      source=path)

    # ---------------------------------------------------------------- link
    def parse_link(self, elem, model, path):
        name = elem.get('name', '')
        scoped = model.scoped_name + '::' + name
        ctx = {'model': model.scoped_name, 'link': name, 'file': path}
        self.check_children(elem, _LINK_CHILDREN, ctx)
        pose, rel = parse_pose(elem.find('pose'))
        link = Link(name=name, scoped_name=scoped, pose=pose, relative_to=rel,
                    gravity=_bool(elem, 'gravity', True), model=model.scoped_name)
        if elem.find('self_collide') is not None:
            link.self_collide = _bool(elem, 'self_collide', False)
        if _bool(elem, 'kinematic', False):
            raise UnsupportedSdfError('<kinematic>true', element='kinematic', **ctx)
        if _bool(elem, 'enable_wind', False):
            raise UnsupportedSdfError('<enable_wind>true', element='enable_wind', **ctx)
        decay = elem.find('velocity_decay')
        if decay is not None and (_float(decay, 'linear', 0) or _float(decay, 'angular', 0)):
            raise UnsupportedSdfError('non-zero <velocity_decay>', element='velocity_decay',
                                      **ctx)
        inertial = elem.find('inertial')
        if inertial is not None:
            link.has_inertial = True
            link.inertial = self.parse_inertial(inertial, ctx)
        for child in elem:
            if child.tag == 'collision':
                link.collisions.append(self.parse_collision(child, ctx, path))
            elif child.tag == 'visual':
                link.visuals.append(self.parse_visual(child, ctx, path))
            elif child.tag == 'sensor':
                sensor = self.parse_sensor(child, ctx)
                sensor.scoped_name = scoped + '::' + sensor.name
                sensor.link = scoped
                link.sensors.append(sensor)
        return link

    def parse_inertial(self, inertial, ctx):
        """Mass, centre of mass pose (in the link frame) and inertia tensor of an <inertial>."""
        self.check_children(inertial, _INERTIAL_CHILDREN, ctx)
        ipose, irel = parse_pose(inertial.find('pose'))
        if irel:
            raise UnsupportedSdfError('relative_to on an inertial pose', element='pose', **ctx)
        tensor = np.eye(3)
        inertia = inertial.find('inertia')
        if inertia is not None:
            ixx, iyy, izz = (_float(inertia, t, 1.0) for t in ('ixx', 'iyy', 'izz'))
            ixy, ixz, iyz = (_float(inertia, t, 0.0) for t in ('ixy', 'ixz', 'iyz'))
            tensor = np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]])
        mass = _float(inertial, 'mass', 1.0)
        if mass <= 0:
            raise SdfError('mass must be positive, got {}'.format(mass), element='mass', **ctx)
        return Inertial(mass=mass, pose=ipose, inertia=tensor)

    def parse_geometry(self, elem, ctx, path, owner):
        if elem is None:
            raise SdfError('{} without <geometry>'.format(owner), element='geometry', **ctx)
        shapes = [c for c in elem if isinstance(c.tag, str)]
        if len(shapes) != 1:
            raise SdfError('<geometry> needs exactly one shape', element='geometry', **ctx)
        shape = shapes[0]
        kind = shape.tag
        if kind == 'empty':
            return None
        if kind not in SUPPORTED_GEOMETRY:
            raise UnsupportedSdfError('<{}> geometry in {} (supported: {})'.format(
                kind, owner, ', '.join(SUPPORTED_GEOMETRY)), element=kind, **ctx)
        geo = Geometry(type=kind)
        if kind == 'box':
            geo.size = _vec(shape, 'size', [1, 1, 1])
        elif kind in ('cylinder', 'capsule'):
            geo.radius = _float(shape, 'radius', 0.5)
            geo.length = _float(shape, 'length', 1.0)
        elif kind == 'sphere':
            geo.radius = _float(shape, 'radius', 1.0)
        elif kind == 'ellipsoid':
            geo.radii = _vec(shape, 'radii', [1, 1, 1])
        elif kind == 'plane':
            geo.normal = _vec(shape, 'normal', [0, 0, 1])
            geo.size = _vec(shape, 'size', [1, 1])
        elif kind == 'heightmap':
            for child in shape:
                if isinstance(child.tag, str) and child.tag not in (
                        'uri', 'size', 'pos', 'texture', 'blend', 'use_terrain_paging',
                        'sampling'):
                    raise UnsupportedSdfError('<{}> in <heightmap>'.format(child.tag),
                                              element=child.tag, **ctx)
            uri = _text(shape, 'uri')
            if not uri:
                raise SdfError('<heightmap> without <uri>', element='heightmap', **ctx)
            geo.uri = self.resolve_uri(uri, os.path.dirname(path), 'heightmap')
            geo.size = _vec(shape, 'size', [1, 1, 1])
            geo.pos = _vec(shape, 'pos', [0, 0, 0])
        return geo

    def parse_collision(self, elem, ctx, path):
        name = elem.get('name', '')
        self.check_children(elem, _COLLISION_CHILDREN, ctx)
        pose, rel = parse_pose(elem.find('pose'))
        geo = self.parse_geometry(elem.find('geometry'), ctx, path,
                                  'collision {}'.format(name))
        surface = Surface()
        surf = elem.find('surface')
        if surf is not None:
            surface = self.parse_surface(surf, ctx)
        return Collision(name=name, geometry=geo, pose=pose, relative_to=rel, surface=surface)

    def parse_surface(self, surf, ctx):
        s = Surface()
        where = ctx.get('link', '')
        friction = surf.find('friction')
        if friction is not None:
            ode = friction.find('ode')
            bullet = friction.find('bullet')
            if ode is not None:
                s.mu = _float(ode, 'mu', 1.0)
                s.mu2 = _float(ode, 'mu2', s.mu)
                for tag in ('fdir1', 'slip1', 'slip2'):
                    if ode.find(tag) is not None:
                        self.note('ignored friction/ode/{} on {}: MuJoCo friction is '
                                  'isotropic'.format(tag, where))
            elif bullet is not None:
                s.mu = _float(bullet, 'friction', 1.0)
                s.mu2 = _float(bullet, 'friction2', s.mu)
            if bullet is not None:
                s.rolling = _float(bullet, 'rolling_friction', 0.0)
            torsional = friction.find('torsional')
            if torsional is not None:
                s.torsional = _float(torsional, 'coefficient', 1.0) * \
                    _float(torsional, 'patch_radius', 0.0)
        bounce = surf.find('bounce')
        if bounce is not None:
            s.restitution = _float(bounce, 'restitution_coefficient', 0.0)
            if s.restitution > 0:
                raise UnsupportedSdfError('restitution_coefficient > 0 (MuJoCo contacts are '
                                          'inelastic)', element='bounce', **ctx)
        contact = surf.find('contact')
        if contact is not None:
            value = _text(contact, 'collide_bitmask')
            if value is not None:
                s.collide_bitmask = int(value, 0)
            s.collide_without_contact = _bool(contact, 'collide_without_contact', False)
            for engine in ('ode', 'bullet', 'opensim'):
                if contact.find(engine) is not None:
                    self.note("ignored surface/contact/{} on {}: contact softness is MuJoCo's "
                              'own (solref/solimp)'.format(engine, where))
        if surf.find('soft_contact') is not None:
            raise UnsupportedSdfError('<soft_contact>', element='soft_contact', **ctx)
        return s

    def parse_visual(self, elem, ctx, path):
        name = elem.get('name', '')
        for child in elem:
            if child.tag == 'plugin':
                raise UnsupportedSdfError('visual plugin in visual {}'.format(name),
                                          element='plugin', **ctx)
        self.check_children(elem, _VISUAL_CHILDREN, ctx)
        pose, rel = parse_pose(elem.find('pose'))
        geo = self.parse_geometry(elem.find('geometry'), ctx, path, 'visual {}'.format(name))
        rgba = (0.7, 0.7, 0.7, 1.0)
        material = elem.find('material')
        if material is not None:
            color = _text(material, 'diffuse') or _text(material, 'ambient')
            if color:
                values = [float(v) for v in color.split()] + [1.0]
                rgba = tuple(values[:4])
        return Visual(name=name, geometry=geo, pose=pose, relative_to=rel, rgba=rgba)

    def parse_sensor(self, elem, ctx):
        name = elem.get('name', '')
        kind = elem.get('type', '')
        if kind not in SUPPORTED_SENSORS:
            raise UnsupportedSdfError('sensor {!r} of type {!r} (supported: {})'.format(
                name, kind, ', '.join(SUPPORTED_SENSORS)), element='sensor', **ctx)
        for child in elem:
            if child.tag == 'plugin':
                raise UnsupportedSdfError('plugin inside sensor {}'.format(name),
                                          element='plugin', **ctx)
        self.check_children(elem, _SENSOR_CHILDREN, ctx)
        pose, rel = parse_pose(elem.find('pose'))
        sensor = Sensor(name=name, type=kind, pose=pose, relative_to=rel,
                        update_rate=_float(elem, 'update_rate', 0.0),
                        topic=_text(elem, 'topic', '') or '',
                        always_on=_bool(elem, 'always_on', False))
        cam = elem.find('camera')
        if cam is None:
            raise SdfError('camera sensor {} without <camera>'.format(name), element='sensor',
                           **ctx)
        sensor.camera = self.parse_camera(cam, name, ctx)
        return sensor

    def parse_camera(self, cam, name, ctx):
        """Intrinsics of the <camera> of sensor ``name``; lens effects are noted, not rendered."""
        for child in cam:
            if isinstance(child.tag, str) and child.tag not in (
                    'horizontal_fov', 'image', 'clip', 'save', 'noise', 'distortion', 'lens',
                    'visibility_mask', 'camera_info_topic', 'depth_camera', 'optical_frame_id',
                    'segmentation_type', 'box_type', 'triggered', 'trigger_topic'):
                raise UnsupportedSdfError('<{}> in camera {}'.format(child.tag, name),
                                          element=child.tag, **ctx)
        for tag in ('noise', 'distortion', 'lens'):
            if cam.find(tag) is not None:
                self.note('camera {}: <{}> is not rendered by the embedded backend'.format(
                    name, tag))
        camera = Camera(horizontal_fov=_float(cam, 'horizontal_fov', 1.047))
        image = cam.find('image')
        if image is not None:
            camera.width = int(_float(image, 'width', 320))
            camera.height = int(_float(image, 'height', 240))
            camera.format = _text(image, 'format', 'R8G8B8')
        clip = cam.find('clip')
        if clip is not None:
            camera.near = _float(clip, 'near', 0.1)
            camera.far = _float(clip, 'far', 100.0)
        return camera

    # ---------------------------------------------------------------- joint
    def parse_joint(self, elem, model, path):
        name = elem.get('name', '')
        kind = elem.get('type', '')
        ctx = {'model': model.scoped_name, 'file': path}
        if kind not in SUPPORTED_JOINTS:
            raise UnsupportedSdfError('joint {!r} of type {!r} (supported: {})'.format(
                name, kind, ', '.join(SUPPORTED_JOINTS)), element='joint', **ctx)
        for child in elem:
            if child.tag in ('axis2', 'sensor', 'gearbox_ratio', 'gearbox_reference_body',
                             'thread_pitch', 'screw_thread_pitch'):
                raise UnsupportedSdfError('<{}> in joint {}'.format(child.tag, name),
                                          element=child.tag, **ctx)
        self.check_children(elem, _JOINT_CHILDREN, ctx)
        pose, rel = parse_pose(elem.find('pose'))
        parent = _text(elem, 'parent')
        child = _text(elem, 'child')
        if not parent or not child:
            raise SdfError('joint {} needs <parent> and <child>'.format(name), element='joint',
                           **ctx)
        joint = Joint(name=name, scoped_name=model.scoped_name + '::' + name, type=kind,
                      parent=parent, child=child, pose=pose, relative_to=rel,
                      model=model.scoped_name, parent_ref=parent, child_ref=child)
        axis_elem = elem.find('axis')
        if kind in ('revolute', 'prismatic', 'continuous'):
            if axis_elem is None:
                raise SdfError('joint {} needs an <axis>'.format(name), element='axis', **ctx)
            joint.axis = self.parse_axis(axis_elem, ctx, name)
        return joint

    def parse_axis(self, elem, ctx, joint_name):
        self.check_children(elem, _AXIS_CHILDREN, ctx)
        axis = Axis()
        xyz = elem.find('xyz')
        if xyz is not None:
            axis.xyz = np.array([float(v) for v in xyz.text.split()])
            axis.expressed_in = xyz.get('expressed_in', '')
        norm = np.linalg.norm(axis.xyz)
        if norm < 1e-9:
            raise SdfError('zero axis in joint {}'.format(joint_name), element='xyz', **ctx)
        axis.xyz = axis.xyz / norm
        axis.initial_position = _float(elem, 'initial_position', 0.0)
        limit = elem.find('limit')
        if limit is not None:
            axis.lower = _float(limit, 'lower', -1e16)
            axis.upper = _float(limit, 'upper', 1e16)
            axis.effort = _float(limit, 'effort', -1.0)
            axis.velocity = _float(limit, 'velocity', -1.0)
            for tag in ('stiffness', 'dissipation'):
                if limit.find(tag) is not None:
                    self.note('ignored limit/{} of joint {}: MuJoCo limits use solref'.format(
                        tag, joint_name))
        dyn = elem.find('dynamics')
        if dyn is not None:
            axis.damping = _float(dyn, 'damping', 0.0)
            axis.friction = _float(dyn, 'friction', 0.0)
            axis.spring_reference = _float(dyn, 'spring_reference', 0.0)
            axis.spring_stiffness = _float(dyn, 'spring_stiffness', 0.0)
        return axis


def _propagate_static(model):
    for nested in model.models.values():
        if model.static:
            nested.static = True
        _propagate_static(nested)


def _package_dirs(pkg):
    if pkg == PACKAGE:
        return [share_dir()]
    try:
        from ament_index_python.packages import get_package_share_directory
        return [get_package_share_directory(pkg)]
    except Exception:  # noqa: B902 - ament_index absent or package unknown
        return []
