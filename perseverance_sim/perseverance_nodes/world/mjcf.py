# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Convert a loaded SDF world (sdf.World) into an MJCF string that MuJoCo compiles.

Mapping (SDF -> MuJoCo):

- each link becomes a body named by its scoped name (``model::link``); the body tree follows
  the joint graph of each top-level model, nested models included.  A root link gets a
  ``freejoint`` unless its model is static or a joint ties it to ``world``; fixed joints become
  bodies without joints (welded); revolute/continuous -> hinge, prismatic -> slide, ball -> ball,
  with the axis rotated into the child body frame, limits, damping, friction (frictionloss),
  spring stiffness and reference;
- inertials are written as ``fullinertia`` in the body frame (the SDF inertial pose is folded
  in); a dynamic link without ``<inertial>`` gets the SDF default (1 kg, identity inertia);
  ``<gravity>false`` -> ``gravcomp=1``;
- collisions -> geoms in group 3 with Gazebo's collide_bitmask semantics
  (contype = conaffinity = bitmask), friction mu (MuJoCo combines two geoms by the maximum,
  ODE by the minimum), and body-pair excludes so links of one model only collide with each other
  when self_collide allows it; visuals -> contype 0 geoms in group 1 (rendering only);
- heightmaps -> ``hfield`` assets whose elevation (pixel / max pixel value x size.z, the
  image's top row at +y) is filled into ``model.hfield_data`` after compiling (see
  ``Conversion.apply``), so MuJoCo's own normalisation never distorts the terrain; a visual
  heightmap keeps every VISUAL_HEIGHTMAP_STRIDE-th row and column (a level of detail, as
  Gazebo's terrain renderer has): physics uses the collision heightmap at full resolution;
- collision shapes thinner than 4 cm (tubes) get the stiffest stable contact (time constant
  two steps, geom priority 1): at the 4 ms step a falling tube would otherwise sink into the
  heightmap's prisms and stay there; thin cylinders longer than 8 cm collide as their inscribed
  ellipsoid (see ``_Converter.thin_cylinder_as_ellipsoid``: MuJoCo's per-prism heightmap
  contacts threw dropped tubes metres);
- explicit ``<frame>`` elements -> sites; camera sensors -> cameras (SDF cameras look along +x
  with z up, MuJoCo cameras along -z with y up); world lights -> lights.
"""

from dataclasses import dataclass, field
import math
import xml.etree.ElementTree as ET

import numpy as np

from ..domain.sdf.errors import SdfError, UnsupportedSdfError
from ..domain.sdf.heightmap import read_heightmap
from ..domain.sdf.transforms import mat_to_quat, Transform

# SDF camera frame (x forward, z up) -> MuJoCo camera frame (-z forward, y up).
_CAMERA_ROT = np.array([[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
COLLISION_GROUP = 3
VISUAL_GROUP = 1
FRAME_GROUP = 5
# Visual heightmaps keep every 2nd row and column (257 x 257 -> 129 x 129): the terrain was two
# thirds of a camera frame's software rendering (24 ms of 320 x 240 with Mesa llvmpipe).
VISUAL_HEIGHTMAP_STRIDE = 2
THIN = 0.04  # m: collision shapes thinner than this get a stiffer contact


@dataclass
class ActuatorSpec:
    """An actuator a plugin emulation needs (planned before compiling)."""

    name: str
    joint: str
    kind: str                  # 'velocity' (kv), 'pd' (ctrl = kp*q_ref + kv*v_ref), 'motor'
    kp: float = 0.0
    kv: float = 0.0
    forcerange: tuple = None


@dataclass
class Conversion:
    """Result of a conversion: the MJCF text and what the engine needs to map names."""

    xml: str
    hfields: dict = field(default_factory=dict)          # hfield name -> (nrow, ncol) data
    free_bodies: dict = field(default_factory=dict)       # root body -> freejoint name
    model_bodies: dict = field(default_factory=dict)      # top model -> [body names]
    model_roots: dict = field(default_factory=dict)       # top model -> [root body names]
    link_body: dict = field(default_factory=dict)         # scoped link -> body name
    frame_offsets: dict = field(default_factory=dict)     # scoped frame -> (body, Transform)
    cameras: dict = field(default_factory=dict)           # scoped sensor -> sdf.Sensor
    initial_qpos: dict = field(default_factory=dict)      # joint -> initial position
    collision_geoms: dict = field(default_factory=dict)   # body -> [(geom name, bitmask)]
    notes: list = field(default_factory=list)

    def apply(self, model):
        """Fill data MJCF cannot carry (heightmap elevations) into a compiled MjModel."""
        import mujoco
        for name, data in self.hfields.items():
            hid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_HFIELD, name)
            adr = model.hfield_adr[hid]
            model.hfield_data[adr:adr + data.size] = data.ravel()


def _fmt(values):
    return ' '.join('{:.10g}'.format(float(v)) for v in np.atleast_1d(values))


def _set_pose(elem, pose):
    if np.any(np.abs(pose.pos) > 0):
        elem.set('pos', _fmt(pose.pos))
    if abs(pose.quat[0]) < 1 - 1e-12:
        elem.set('quat', _fmt(pose.quat))


class _Converter:

    def __init__(self, world, actuators, timestep, welds):
        self.world = world
        self.actuators = actuators or []
        self.welds = welds or []
        self.timestep = timestep
        self.conv = Conversion(xml='', notes=list(world.notes))
        self.body_world = {}
        self.hfield_count = 0
        self.hfield_files = {}
        self.body_elems = {}

    def err(self, cls, message, element, model='', link=''):
        source = ''
        if model:
            try:
                source = self.world.model(model.split('::')[0]).source
            except KeyError:
                pass
        return cls(message, element=element, model=model, link=link,
                   file=source or self.world.source)

    def convert(self):
        world = self.world
        root = ET.Element('mujoco', model=world.name)
        ET.SubElement(root, 'compiler', angle='radian', inertiafromgeom='false',
                      autolimits='true', balanceinertia='false')
        ET.SubElement(root, 'option', timestep='{:.6g}'.format(self.timestep),
                      gravity=_fmt(world.gravity), integrator='implicitfast', cone='pyramidal')
        self.visual = ET.SubElement(root, 'visual')
        self.glob = ET.SubElement(self.visual, 'global', offwidth='640', offheight='480')
        # Cameras render in software on headless machines (Mesa llvmpipe): no multisampling
        # (4x doubled a 320 x 240 frame's cost) and 16-sided cylinders (MuJoCo draws 28).
        ET.SubElement(self.visual, 'quality', shadowsize='2048', offsamples='0',
                      numslices='16', numstacks='8')
        self.asset = ET.SubElement(root, 'asset')
        worldbody = ET.SubElement(root, 'worldbody')
        self.worldbody = worldbody
        for light in world.lights:
            self.add_light(worldbody, light)
        if not world.lights:
            ET.SubElement(worldbody, 'light', name='__sun__', pos='0 0 100', dir='0 0 -1',
                          directional='true', castshadow='false')
        self.contact = ET.SubElement(root, 'contact')
        self.equality = ET.SubElement(root, 'equality')
        for model in world.models.values():
            self.add_model(model)
        for frame in world.frames.values():
            self.add_frame_offset(frame.scoped_name, frame.link, frame.world_pose)
        for name, body in self.welds:
            ET.SubElement(self.equality, 'weld', name=name, body1=body, active='false',
                          solref='0.01 1', solimp='0.99 0.999 0.001 0.5 2')
        self.add_actuators(root)
        if not len(self.contact):
            root.remove(self.contact)
        if not len(self.equality):
            root.remove(self.equality)
        ET.indent(root)
        self.conv.xml = ET.tostring(root, encoding='unicode')
        return self.conv

    def add_light(self, parent, light):
        elem = ET.SubElement(parent, 'light', name='light::' + light.name,
                             diffuse=_fmt(light.diffuse), castshadow='false')
        elem.set('pos', _fmt(light.pose.pos))
        direction = light.pose.rot @ light.direction
        elem.set('dir', _fmt(direction))
        if light.type == 'directional':
            elem.set('directional', 'true')

    # ------------------------------------------------------------------ models
    def add_model(self, model):
        links = {link.scoped_name: link for link in model.all_links()}
        joints = model.all_joints()
        parent_of = {}
        for joint in joints:
            if joint.child not in links:
                raise self.err(SdfError, 'joint {} child {} is not a link of the model'.format(
                    joint.name, joint.child), 'joint', joint.model)
            if joint.parent != 'world' and joint.parent not in links:
                raise self.err(SdfError, 'joint {} parent {} is not a link'.format(
                    joint.name, joint.parent), 'joint', joint.model)
            if joint.parent == joint.child:
                raise self.err(SdfError, 'joint {} connects a link to itself'.format(
                    joint.name), 'joint', joint.model)
            if joint.child in parent_of:
                raise self.err(UnsupportedSdfError,
                               'kinematic loop: link {} is the child of joints {} and {}'.format(
                                   joint.child, parent_of[joint.child].name, joint.name),
                               'joint', joint.model)
            parent_of[joint.child] = joint
        children = {}
        for joint in parent_of.values():
            children.setdefault(joint.parent, []).append(joint)
        bodies = []
        roots = []
        for name, link in links.items():
            joint = parent_of.get(name)
            if joint is not None and joint.parent != 'world':
                continue
            roots.append(name)
            static = self.link_static(link)
            free = joint is None and not static
            elem = self.add_body(self.worldbody, link, None, joint, free, bodies)
            self.add_subtree(elem, link, children, links, bodies, {name})
        if len(bodies) != len(links):
            missing = sorted(set(links) - set(bodies))
            raise self.err(UnsupportedSdfError, 'kinematic loop through links {}'.format(
                ', '.join(missing)), 'joint', model.scoped_name)
        self.conv.model_bodies[model.scoped_name] = bodies
        self.conv.model_roots[model.scoped_name] = roots
        self.add_excludes(model, links, bodies)
        for frame in model.all_frames():
            self.add_frame_offset(frame.scoped_name, frame.link, frame.world_pose, site=True)
        for joint in joints:
            if joint.child in self.body_world:
                self.add_frame_offset(joint.scoped_name, joint.child, joint.world_pose)
        for sub in [model] + self._nested(model):
            self.add_frame_offset(sub.scoped_name, sub.canonical, sub.world_pose)

    def _nested(self, model):
        out = []
        for nested in model.models.values():
            out.append(nested)
            out.extend(self._nested(nested))
        return out

    def link_static(self, link):
        return self.world.model(link.model).static

    def add_subtree(self, elem, link, children, links, bodies, seen):
        for joint in children.get(link.scoped_name, []):
            child = links[joint.child]
            if joint.child in seen:
                raise self.err(UnsupportedSdfError, 'kinematic loop at link {}'.format(
                    joint.child), 'joint', joint.model)
            seen.add(joint.child)
            sub = self.add_body(elem, child, link, joint, False, bodies)
            self.add_subtree(sub, child, children, links, bodies, seen)

    def add_frame_offset(self, name, link, world_pose, site=False):
        if link == 'world':
            self.conv.frame_offsets[name] = ('world', world_pose)
            return
        body_pose = self.body_world[link]
        offset = body_pose.inverse() * world_pose
        self.conv.frame_offsets[name] = (link, offset)
        if site:
            body = self.body_elems[link]
            elem = ET.SubElement(body, 'site', name=name, size='0.01', group=str(FRAME_GROUP))
            _set_pose(elem, offset)

    def add_body(self, parent_elem, link, parent_link, joint, free, bodies):
        name = link.scoped_name
        pose = link.world_pose
        if parent_link is None:
            rel = pose
        else:
            rel = self.body_world[parent_link.scoped_name].inverse() * pose
        body = ET.SubElement(parent_elem, 'body', name=name)
        _set_pose(body, rel)
        self.body_world[name] = pose
        self.body_elems[name] = body
        bodies.append(name)
        self.conv.link_body[name] = name
        static = self.link_static(link)
        if free:
            fj_name = name + '::__free__'
            ET.SubElement(body, 'freejoint', name=fj_name)
            self.conv.free_bodies[name] = fj_name
        elif joint is not None and joint.type != 'fixed':
            if static:
                raise self.err(UnsupportedSdfError, 'movable joint {} in a static model'.format(
                    joint.name), 'joint', joint.model)
            self.add_joint(body, joint, pose)
        if not static:
            self.add_inertial(body, link)
            if not link.gravity:
                body.set('gravcomp', '1')
        for coll in link.collisions:
            self.add_collision(body, link, coll, pose)
        for vis in link.visuals:
            self.add_visual(body, link, vis, pose)
        for sensor in link.sensors:
            self.add_camera(body, link, sensor, pose)
        return body

    def add_joint(self, body, joint, body_pose):
        kind = {'revolute': 'hinge', 'continuous': 'hinge', 'prismatic': 'slide',
                'ball': 'ball'}[joint.type]
        elem = ET.SubElement(body, 'joint', name=joint.scoped_name, type=kind)
        local = body_pose.inverse() * joint.world_pose
        if np.any(np.abs(local.pos) > 0):
            elem.set('pos', _fmt(local.pos))
        axis = joint.axis
        if axis is None:
            return
        elem.set('axis', _fmt(body_pose.rot.T @ axis.world_xyz))
        if joint.type != 'continuous' and axis.limited:
            if axis.lower > axis.upper:
                raise self.err(SdfError, 'joint {} lower limit above upper'.format(joint.name),
                               'limit', joint.model)
            elem.set('range', _fmt([axis.lower, axis.upper]))
        if axis.damping:
            elem.set('damping', _fmt(axis.damping))
        if axis.friction:
            elem.set('frictionloss', _fmt(axis.friction))
        if axis.spring_stiffness:
            elem.set('stiffness', _fmt(axis.spring_stiffness))
            elem.set('springref', _fmt(axis.spring_reference))
        if axis.effort > 0:
            elem.set('actuatorfrcrange', _fmt([-axis.effort, axis.effort]))
        if axis.initial_position:
            self.conv.initial_qpos[joint.scoped_name] = axis.initial_position

    def add_inertial(self, body, link):
        inertial = link.inertial
        rot = inertial.pose.rot
        tensor = rot @ inertial.inertia @ rot.T
        evals = np.linalg.eigvalsh(tensor)
        if evals.min() <= 0 or evals.max() > evals.sum() - evals.max() + 1e-9 * evals.sum():
            raise self.err(SdfError, 'inertia of link {} is not physical (eigenvalues {})'
                           .format(link.name, _fmt(evals)), 'inertia', link.model, link.name)
        ET.SubElement(body, 'inertial', pos=_fmt(inertial.pose.pos),
                      mass=_fmt(inertial.mass),
                      fullinertia=_fmt([tensor[0, 0], tensor[1, 1], tensor[2, 2],
                                        tensor[0, 1], tensor[0, 2], tensor[1, 2]]))

    def geom_attrs(self, elem, geo, link, owner, for_visual):
        kind = geo.type
        if kind == 'box':
            elem.set('type', 'box')
            elem.set('size', _fmt(np.asarray(geo.size) / 2))
        elif kind in ('cylinder', 'capsule'):
            elem.set('type', kind)
            elem.set('size', _fmt([geo.radius, geo.length / 2]))
        elif kind == 'sphere':
            elem.set('type', 'sphere')
            elem.set('size', _fmt(geo.radius))
        elif kind == 'ellipsoid':
            elem.set('type', 'ellipsoid')
            elem.set('size', _fmt(geo.radii))
        elif kind == 'plane':
            elem.set('type', 'plane')
            size = np.asarray(geo.size, dtype=float)
            elem.set('size', _fmt([size[0] / 2, size[1] / 2, 1.0]))
        elif kind == 'heightmap':
            elem.set('type', 'hfield')
            elem.set('hfield', self.add_hfield(geo, link, for_visual))
        else:  # parse_geometry already refuses these
            raise self.err(UnsupportedSdfError, 'geometry {}'.format(kind), kind, link.model,
                           link.name)

    def geom_pose(self, geo, world_pose, body_pose):
        local = body_pose.inverse() * world_pose
        if geo.type == 'plane':
            normal = np.asarray(geo.normal, dtype=float)
            normal = normal / np.linalg.norm(normal)
            local = local * Transform(np.zeros(3), _quat_z_to(normal))
        elif geo.type == 'heightmap':
            local = local * Transform(np.asarray(geo.pos, dtype=float))
        return local

    def add_hfield(self, geo, link, for_visual=False):
        key = (geo.uri, tuple(np.round(geo.size, 9)), for_visual)
        if key in self.hfield_files:
            return self.hfield_files[key]
        heights = read_heightmap(geo.uri)
        step = VISUAL_HEIGHTMAP_STRIDE
        if for_visual and all((n - 1) % step == 0 for n in heights.shape):
            heights = heights[::step, ::step]  # the same edges, every step-th vertex between
        nrow, ncol = heights.shape
        name = 'hfield::{}::{}'.format(link.scoped_name, self.hfield_count)
        self.hfield_count += 1
        size = np.asarray(geo.size, dtype=float)
        if size[2] < 0:
            heights = 1.0 - heights  # Gazebo: negative z size inverts the image
        # MuJoCo's first hfield row is at -y; an image's first row is its top (+y).
        self.conv.hfields[name] = np.flipud(heights).copy()
        base = max(1.0, 0.5 * abs(size[2]))
        ET.SubElement(self.asset, 'hfield', name=name, nrow=str(nrow), ncol=str(ncol),
                      size=_fmt([size[0] / 2, size[1] / 2, max(abs(size[2]), 1e-6), base]))
        self.hfield_files[key] = name
        return name

    def add_collision(self, body, link, coll, body_pose):
        if coll.geometry is None:
            return
        gname = '{}::{}'.format(link.scoped_name, coll.name)
        elem = ET.SubElement(body, 'geom', name=gname, group=str(COLLISION_GROUP))
        self.geom_attrs(elem, coll.geometry, link, coll.name, False)
        _set_pose(elem, self.geom_pose(coll.geometry, coll.world_pose, body_pose))
        mask = coll.surface.collide_bitmask & 0xFFFF
        if coll.surface.collide_without_contact:
            mask = 0
            self.conv.notes.append('collision {} is collide_without_contact: no contacts'.format(
                gname))
        elem.set('contype', str(mask))
        elem.set('conaffinity', str(mask))
        torsional, rolling = coll.surface.torsional, coll.surface.rolling
        elem.set('friction', _fmt([coll.surface.mu, torsional or 0.005, rolling or 0.0001]))
        # condim 6 adds rolling resistance (a dropped tube would otherwise roll on forever).
        elem.set('condim', '6' if rolling > 0 else '4' if torsional > 0 else '3')
        elem.set('rgba', '0.5 0.5 0.5 0.3')
        if _thickness(coll.geometry) < THIN:
            # A thin fast body (a dropped tube moves 1 cm per step) sinks into heightmap
            # prisms with the default 20 ms contact; the stiffest stable contact keeps it out.
            elem.set('solref', '{:.6g} 1'.format(2 * self.timestep))
            elem.set('priority', '1')
            if coll.geometry.type == 'cylinder' and coll.geometry.length > 2 * THIN:
                self.thin_cylinder_as_ellipsoid(elem, coll.geometry, gname)
        self.conv.collision_geoms.setdefault(link.scoped_name, []).append((gname, mask))

    def thin_cylinder_as_ellipsoid(self, elem, geo, gname):
        """
        Collide a thin, long cylinder (a sample tube) as its inscribed ellipsoid (MuJoCo only).

        MuJoCo tests a heightmap as separate triangular prisms, one contact per prism, with
        the minimum-penetration direction of that prism alone (EPA).  A tube falling flat
        from the rover belly moves 10 mm per 4 ms step at impact, more than its 8.5 mm
        radius, so when it lands along or across a prism edge (the 0.94 m grid lines and cell
        diagonals of jezero's heightmap) the cheapest way out of one prism is through the
        internal side wall it shares with its neighbour: a horizontal normal.  MuJoCo then
        re-aims cylinder normals radially through the contact point, so the tube got sideways
        kicks and spin and was thrown metres (2.6 m at (30.0, 17.91), which lies on a grid
        line).  Stiffer contacts, margins and MPR instead of EPA only made it rarer.  The
        inscribed ellipsoid (semi-axes r, r, L/2) is smooth, so MuJoCo's ellipsoid normal
        correction follows the true surface: lying down it touches the ground along the same
        circle, rests at the same height and rolls the same way; its ends are rounded, so a
        tube cannot stand on an end (nothing in the mission stands one up).  Gazebo keeps the
        SDF cylinder (DART + Bullet tests the heightmap as triangles, with no side walls).
        """
        elem.set('type', 'ellipsoid')
        elem.set('size', _fmt([geo.radius, geo.radius, geo.length / 2]))
        self.conv.notes.append('collision {}: thin cylinder collides as its inscribed '
                               'ellipsoid (MuJoCo heightmap contacts)'.format(gname))

    def add_visual(self, body, link, vis, body_pose):
        if vis.geometry is None:
            return
        elem = ET.SubElement(body, 'geom', name='{}::visual::{}'.format(link.scoped_name,
                                                                        vis.name),
                             group=str(VISUAL_GROUP), contype='0', conaffinity='0')
        self.geom_attrs(elem, vis.geometry, link, vis.name, True)
        _set_pose(elem, self.geom_pose(vis.geometry, vis.world_pose, body_pose))
        elem.set('rgba', _fmt(vis.rgba))

    def add_camera(self, body, link, sensor, body_pose):
        cam = sensor.camera
        local = body_pose.inverse() * sensor.world_pose
        rot = local.rot @ _CAMERA_ROT
        aspect = cam.height / float(cam.width)
        fovy = 2 * math.degrees(math.atan(math.tan(cam.horizontal_fov / 2) * aspect))
        elem = ET.SubElement(body, 'camera', name=sensor.scoped_name, fovy=_fmt(fovy),
                             pos=_fmt(local.pos), quat=_fmt(mat_to_quat(rot)))
        elem.set('resolution', '{} {}'.format(cam.width, cam.height))
        self.conv.cameras[sensor.scoped_name] = sensor
        self.glob.set('offwidth', str(max(int(self.glob.get('offwidth')), cam.width)))
        self.glob.set('offheight', str(max(int(self.glob.get('offheight')), cam.height)))

    def add_excludes(self, model, links, bodies):
        def self_collides(link):
            if link.self_collide is not None:
                return link.self_collide
            return self.world.model(link.model).self_collide
        if len(bodies) > 1 and not self.world.model(model.scoped_name).static:
            for i, a in enumerate(bodies):
                for b in bodies[i + 1:]:
                    if self_collides(links[a]) and self_collides(links[b]):
                        continue
                    if not self.conv.collision_geoms.get(a) or \
                            not self.conv.collision_geoms.get(b):
                        continue
                    ET.SubElement(self.contact, 'exclude', body1=a, body2=b)

    def add_actuators(self, root):
        if not self.actuators:
            return
        act = ET.SubElement(root, 'actuator')
        for spec in self.actuators:
            if spec.kind == 'velocity':
                elem = ET.SubElement(act, 'velocity', name=spec.name, joint=spec.joint,
                                     kv=_fmt(spec.kv))
            elif spec.kind == 'pd':
                elem = ET.SubElement(act, 'general', name=spec.name, joint=spec.joint,
                                     gaintype='fixed', gainprm='1', biastype='affine',
                                     biasprm=_fmt([0.0, -spec.kp, -spec.kv]))
            elif spec.kind == 'motor':
                elem = ET.SubElement(act, 'motor', name=spec.name, joint=spec.joint)
            else:
                raise ValueError('unknown actuator kind {}'.format(spec.kind))
            if spec.forcerange is not None:
                elem.set('forcerange', _fmt(spec.forcerange))


def _thickness(geo):
    """Smallest extent of a geometry (m); inf for planes and heightmaps."""
    if geo.type == 'box':
        return float(min(geo.size))
    if geo.type in ('cylinder', 'capsule', 'sphere'):
        return 2 * geo.radius
    if geo.type == 'ellipsoid':
        return 2 * float(min(geo.radii))
    return math.inf


def _quat_z_to(normal):
    """Quaternion rotating +z onto ``normal``."""
    z = np.array([0.0, 0.0, 1.0])
    axis = np.cross(z, normal)
    s = np.linalg.norm(axis)
    c = float(np.dot(z, normal))
    if s < 1e-12:
        return np.array([1.0, 0, 0, 0]) if c > 0 else np.array([0.0, 1, 0, 0])
    angle = math.atan2(s, c)
    axis = axis / s
    return np.concatenate([[math.cos(angle / 2)], math.sin(angle / 2) * axis])


def convert(world, actuators=None, timestep=0.004, welds=None):
    """
    Convert an sdf.World into a Conversion (MJCF text plus name maps).

    ``actuators`` are ActuatorSpec from the plugin emulations; ``welds`` are (name, body) pairs
    for inactive weld equalities that hand-offs retarget at run time.
    """
    return _Converter(world, actuators, timestep, welds).convert()


def compile_model(conversion):
    """Compile a Conversion into an MjModel with heightmaps filled in."""
    import mujoco
    try:
        model = mujoco.MjModel.from_xml_string(conversion.xml)
    except ValueError as err:
        raise SdfError('MuJoCo rejected the converted world: {}'.format(err)) from err
    conversion.apply(model)
    return model
