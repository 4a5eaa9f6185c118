# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
WorldEngine: the embedded simulation (SDF world -> MuJoCo, plugins, hand-offs, cameras).

Pure Python + numpy + mujoco; the ROS node wraps it.  Typical use::

    engine = WorldEngine('worlds/jezero.sdf', real_time_factor=0.0)
    engine.set_cmd_vel('perseverance', 0.04, 0.0)
    engine.step(250)                      # 1 s at the default 4 ms step
    odom = engine.odometry('perseverance')

Stepping: physics at ``timestep`` (default 4 ms, not the SDF's max_step_size, which is tuned for
Gazebo's DART: 1 ms would cost 4x with no visible gain here); emulated plugins run every
``1 / control_rate`` s between ``mj_step1`` and ``mj_step2`` so they see the current state;
the steps in between are one ``mj_step(nstep=...)`` call.  ``real_time_factor`` 0 runs as fast
as possible, r > 0 sleeps so that sim time advances at most r times wall time.
"""

import math
import re
import time

import mujoco
import numpy as np

from ..domain import sdf
from ..domain.sdf.transforms import quat_to_mat, Transform
from ..world import handoff as handoff_mod
from ..world import mjcf, plugins

DEFAULT_TIMESTEP = 0.004
DEFAULT_CONTROL_RATE = 100.0
_TUBE_NAME = re.compile(r'^tube_\d+$')


class RenderUnavailable(RuntimeError):
    """Offscreen rendering is not possible here (no EGL/OSMesa, or mujoco imported first)."""


class WorldEngine:
    """Load an SDF world, step it with MuJoCo, emulate its Gazebo plugins."""

    def __init__(self, world_path=None, model_dirs=None, timestep=DEFAULT_TIMESTEP,
                 real_time_factor=0.0, control_rate=DEFAULT_CONTROL_RATE, attachments=None):
        """
        Load and compile the world.

        ``world_path`` defaults to the package's worlds/jezero.sdf; ``model_dirs`` to the
        package's models/ plus GZ_SIM_RESOURCE_PATH; ``attachments`` maps payload models to
        carrier frames they start attached to (at their SDF pose, without tolerance check).
        """
        self.world_path = world_path or sdf.default_world_path()
        self.world = sdf.load_world(self.world_path, model_dirs)
        self.emulations = plugins.create_emulations(self.world)
        self.payload_bodies = self._find_payloads()
        self._tube_names = None
        specs = plugins.plan_actuators(self.emulations)
        self.conversion = mjcf.convert(self.world, specs, timestep)
        self.model = mjcf.compile_model(self.conversion)
        self.data = mujoco.MjData(self.model)
        self.notes = list(self.conversion.notes)
        self._ids = {}
        self._act = {}
        self._free_adr = {}
        self._free_adr_id = {}
        for body, joint in self.conversion.free_bodies.items():
            jid = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_JOINT, joint)
            adr = (int(self.model.jnt_qposadr[jid]), int(self.model.jnt_dofadr[jid]))
            self._free_adr[body] = adr
            self._free_adr_id[int(self.model.jnt_bodyid[jid])] = adr
        self.handoffs = handoff_mod.HandoffManager(self, self.payload_bodies)
        self._initial_attachments = dict(attachments or {})
        self._renderers = {}
        self.cameras_enabled = any(isinstance(e, plugins.Sensors) for e in self.emulations)
        self.real_time_factor = float(real_time_factor)
        self.control_period_steps = max(1, int(round(1.0 / (control_rate * timestep))))
        self._reset_state()
        mujoco.mj_forward(self.model, self.data)
        for emulation in self.emulations:
            emulation.bind(self)
        # Only emulations with a control law run each control period (publishers are readers).
        self._controllers = [e for e in self.emulations
                             if type(e).update is not plugins.Emulation.update]
        self._apply_attachments()

    # ------------------------------------------------------------------ set-up
    def _find_payloads(self):
        out = {}
        for model in self.world.models.values():
            links = model.all_links()
            if model.static or len(links) != 1 or model.all_joints():
                continue
            out[model.name] = links[0].scoped_name
        return out

    def _reset_state(self):
        mujoco.mj_resetData(self.model, self.data)
        for joint, value in self.conversion.initial_qpos.items():
            self.data.qpos[self.joint_qposadr(joint)] = value
        self._phase = 0
        self._rt_anchor = None

    def _apply_attachments(self):
        for dj in self.emulations:
            if isinstance(dj, plugins.DetachableJoint):
                result = self.handoffs.attach(dj.child_model, dj.parent_link,
                                              check_tolerance=False)
                if not result.success:
                    raise sdf.SdfError('DetachableJoint {}: {}'.format(dj.plugin.name,
                                                                       result.error_msg))
        for payload, carrier in self._initial_attachments.items():
            result = self.handoffs.attach(payload, carrier, check_tolerance=False)
            if not result.success:
                raise ValueError('initial attachment {} -> {}: {}'.format(
                    payload, carrier, result.error_msg))

    def reset(self):
        """Back to the initial state (time 0, SDF poses, initial attachments)."""
        for payload in list(self.handoffs.holding):
            self.handoffs.detach(payload)
        self._reset_state()
        mujoco.mj_forward(self.model, self.data)
        for emulation in self.emulations:
            emulation.reset()
        self._apply_attachments()

    # ------------------------------------------------------------------ ids
    def _id(self, kind, name):
        key = (kind, name)
        if key not in self._ids:
            oid = mujoco.mj_name2id(self.model, kind, name)
            if oid < 0:
                raise KeyError('no {} named {}'.format(kind.name[6:].lower(), name))
            self._ids[key] = oid
        return self._ids[key]

    def body_id(self, name):
        """Return the MuJoCo body id of a scoped link name ('world' -> 0)."""
        return 0 if name == 'world' else self._id(mujoco.mjtObj.mjOBJ_BODY, name)

    def actuator_id(self, name):
        """Return the MuJoCo actuator id of a name."""
        return self._id(mujoco.mjtObj.mjOBJ_ACTUATOR, name)

    def joint_qposadr(self, name):
        """Return the qpos address of a scoped joint."""
        return int(self.model.jnt_qposadr[self._id(mujoco.mjtObj.mjOBJ_JOINT, name)])

    def joint_dofadr(self, name):
        """Return the qvel address of a scoped joint."""
        return int(self.model.jnt_dofadr[self._id(mujoco.mjtObj.mjOBJ_JOINT, name)])

    def free_qposadr(self, bid):
        """Return the qpos address of the free joint of a root body."""
        return self._free_adr_id[bid][0]

    def free_dofadr(self, bid):
        """Return the qvel address of the free joint of a root body."""
        return self._free_adr_id[bid][1]

    def root_body_id(self, model_name):
        """Body id of the first root body of a top-level model."""
        return self.body_id(self.conversion.model_roots[model_name.split('::')[0]][0])

    # ------------------------------------------------------------------ time
    @property
    def sim_time(self):
        """Return the simulated time in seconds."""
        return float(self.data.time)

    @property
    def timestep(self):
        """Physics step in seconds."""
        return float(self.model.opt.timestep)

    def set_real_time_factor(self, factor):
        """0 = as fast as possible; r > 0 = at most r x real time."""
        self.real_time_factor = float(factor)
        self._rt_anchor = None

    def step(self, n=1):
        """Advance ``n`` physics steps, running the plugin emulations at the control rate."""
        m, d = self.model, self.data
        remaining = int(n)
        while remaining > 0:
            if self._phase == 0:
                mujoco.mj_step1(m, d)
                t = d.time
                for emulation in self._controllers:
                    emulation.update(t)
                mujoco.mj_step2(m, d)
                remaining -= 1
                self._phase = self.control_period_steps - 1
            else:
                chunk = min(remaining, self._phase)
                mujoco.mj_step(m, d, chunk)
                remaining -= chunk
                self._phase -= chunk
        self._kinematics_fresh = False
        if self.real_time_factor > 0:
            self._throttle()

    def run_for(self, seconds):
        """Advance by ``seconds`` of simulated time (rounded to whole steps)."""
        self.step(int(round(seconds / self.timestep)))

    def _throttle(self):
        now = time.monotonic()
        if self._rt_anchor is None:
            self._rt_anchor = (now, self.data.time)
            return
        wall0, sim0 = self._rt_anchor
        target = wall0 + (self.data.time - sim0) / self.real_time_factor
        if target > now:
            time.sleep(target - now)
        elif now - target > 0.5:
            self._rt_anchor = (now, self.data.time)  # fell behind: do not burst to catch up

    def forward_kinematics(self):
        """Refresh poses and velocities of the current state (after steps or pose edits)."""
        m, d = self.model, self.data
        mujoco.mj_kinematics(m, d)
        mujoco.mj_comPos(m, d)
        mujoco.mj_comVel(m, d)
        self._kinematics_fresh = True

    def _fresh(self):
        if not getattr(self, '_kinematics_fresh', False):
            self.forward_kinematics()

    # ------------------------------------------------------------------ commands
    def _emulation(self, cls, model, joint=None):
        for emulation in self.emulations:
            if isinstance(emulation, cls) and emulation.model_name == model:
                if joint is None or joint in emulation.joints:
                    return emulation
        raise KeyError('no {} for model {}{}'.format(
            cls.system, model, '' if joint is None else ' joint ' + joint))

    def set_cmd_vel(self, model, linear_x, angular_z):
        """Twist setpoint of a model's DiffDrive (m/s, rad/s)."""
        self._emulation(plugins.DiffDrive, model).set_command(linear_x, angular_z)

    def set_joint_trajectory(self, model, joint_names, points, start_time=None):
        """Send a trajectory (list of plugins.TrajectoryPoint) to the model's controller."""
        first = joint_names[0] if '::' in joint_names[0] else model + '::' + joint_names[0]
        jtc = self._emulation(plugins.JointTrajectoryController, model, first)
        jtc.set_trajectory(joint_names, points, start_time)
        return jtc

    def trajectory_done(self, model):
        """Tell whether every trajectory controller of the model has finished."""
        return all(e.done for e in self.emulations
                   if isinstance(e, plugins.JointTrajectoryController) and
                   e.model_name == model)

    def set_joint_position(self, model, joint, position):
        """Position command of the JointPositionController driving ``joint``."""
        scoped = joint if '::' in joint else model + '::' + joint
        self._emulation(plugins.JointPositionController, model, scoped).set_target(position)

    def set_helicopter_velocity(self, model, linear, yaw_rate=0.0):
        """Body-frame velocity (x fwd, y left, z up; m/s) and yaw rate of a multicopter."""
        self._emulation(plugins.MulticopterVelocityControl, model).set_command(linear, yaw_rate)

    def set_helicopter_enabled(self, model, enabled):
        """Enable or disable a multicopter's velocity control (disabled: it falls)."""
        self._emulation(plugins.MulticopterVelocityControl, model).set_enabled(enabled)

    def helicopter_state(self, model):
        """plugins.HelicopterState of a multicopter."""
        return self._emulation(plugins.MulticopterVelocityControl, model).state

    def set_model_pose(self, model, pose):
        """Teleport a free model so its model frame is at ``pose`` (velocities zeroed)."""
        if self.handoffs.carrier_of(model):
            raise ValueError('{} is attached to {}: detach it first'.format(
                model, self.handoffs.carrier_of(model)))
        self._fresh()
        current = self.frame_pose(model)
        delta = pose * current.inverse()
        roots = self.conversion.model_roots[model]
        moved = False
        for body in roots:
            if body not in self._free_adr:
                continue
            qadr, dadr = self._free_adr[body]
            new = delta * self.body_pose(body)
            self.data.qpos[qadr:qadr + 3] = new.pos
            self.data.qpos[qadr + 3:qadr + 7] = new.quat
            self.data.qvel[dadr:dadr + 6] = 0.0
            moved = True
        if not moved:
            raise ValueError('{} is not a free model'.format(model))
        self.forward_kinematics()

    # ------------------------------------------------------------------ state
    def body_pose_id(self, bid):
        """World pose of a body by id."""
        return Transform.unchecked(self.data.xpos[bid].copy(), self.data.xquat[bid].copy())

    def body_pose(self, name):
        """World pose of a body (scoped link); carried pose for attached payloads."""
        bid = self.body_id(name)
        payload = self.handoffs.by_body.get(bid)
        if payload is not None and payload in self.handoffs.holding:
            return self.handoffs.payload_pose(payload)
        return self.body_pose_id(bid)

    def link_pose(self, scoped_link):
        """World pose of a link frame."""
        self._fresh()
        return self.body_pose(scoped_link)

    def frame_body(self, name):
        """Body (scoped link or 'world') a frame, link, joint or model frame is attached to."""
        if name in self.conversion.link_body:
            return name
        if name in self.conversion.frame_offsets:
            return self.conversion.frame_offsets[name][0]
        raise KeyError('no frame {}'.format(name))

    def frame_pose(self, name):
        """World pose of any named frame: 'model', 'model::link', 'model::frame', joints."""
        self._fresh()
        if name in self.conversion.link_body:
            return self.body_pose(name)
        if name in self.conversion.frame_offsets:
            body, offset = self.conversion.frame_offsets[name]
            if body == 'world':
                return offset
            return self.body_pose(body) * offset
        raise KeyError('no frame {}'.format(name))

    def model_pose(self, model):
        """World pose of a model frame."""
        return self.frame_pose(model)

    def body_velocity(self, bid):
        """[angular, linear] world-frame velocity of a body at its origin."""
        res = np.zeros(6)
        mujoco.mj_objectVelocity(self.model, self.data, mujoco.mjtObj.mjOBJ_XBODY, bid, res, 0)
        return res

    def composite_inertia(self, model):
        """Rotational inertia of a model about its centre of mass, in its root body frame."""
        m, d = self.model, self.data
        root = self.root_body_id(model)
        bodies = [self.body_id(b) for b in self.conversion.model_bodies[model.split('::')[0]]]
        com = d.subtree_com[root]
        total = np.zeros((3, 3))
        for b in bodies:
            rot = d.ximat[b].reshape(3, 3)
            inertia = rot @ np.diag(m.body_inertia[b]) @ rot.T
            r = d.xipos[b] - com
            total += inertia + m.body_mass[b] * (np.dot(r, r) * np.eye(3) - np.outer(r, r))
        rroot = d.xmat[root].reshape(3, 3)
        return rroot.T @ total @ rroot

    def model_odometry(self, model, stamp=None, frame_id=None, child_frame_id=None,
                       dimensions=3):
        """Ground-truth odometry of a model frame in the world (twist in the model frame)."""
        self._fresh()
        stamp = self.sim_time if stamp is None else stamp
        pose = self.frame_pose(model)
        bid = self.body_id(self.frame_body(model))
        vel = np.zeros(6)
        mujoco.mj_objectVelocity(self.model, self.data, mujoco.mjtObj.mjOBJ_XBODY, bid, vel, 1)
        body_rot = self.data.xmat[bid].reshape(3, 3)
        rot = pose.rot
        rel = body_rot.T @ rot  # model frame orientation in the body frame
        ang, lin = rel.T @ vel[:3], rel.T @ vel[3:]
        (ax, ay, az), (ox, oy, oz) = ang.tolist(), (rot.T @ (pose.pos - self.data.xpos[bid]))
        lin = lin + np.array([ay * oz - az * oy, az * ox - ax * oz, ax * oy - ay * ox])
        position, quat = pose.pos.copy(), pose.quat_xyzw()
        if dimensions == 2:
            position[2] = 0.0
            yaw = math.atan2(pose.rot[1, 0], pose.rot[0, 0])
            quat = np.array([0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)])
            lin[2] = 0.0
            ang[:2] = 0.0
        return plugins.Odometry(stamp, frame_id or '{}/odom'.format(model),
                                child_frame_id or model, position, quat, lin, ang)

    def odometry(self, model):
        """Wheel odometry from the model's DiffDrive, else ground truth."""
        try:
            drive = self._emulation(plugins.DiffDrive, model)
        except KeyError:
            return self.model_odometry(model)
        return drive.odometry(self.sim_time)

    def joint_states(self, model):
        """
        Joint states as the model's JointStatePublisher reports them.

        A model without a JointStatePublisher reports all its movable joints.
        """
        try:
            return self._emulation(plugins.JointStatePublisher, model).read(self.sim_time)
        except KeyError:
            pass
        names = [j.scoped_name for j in self.world.model(model).all_joints()
                 if j.type != 'fixed']
        qadr = [self.joint_qposadr(n) for n in names]
        dadr = [self.joint_dofadr(n) for n in names]
        return plugins.JointStates(self.sim_time, [n[len(model) + 2:] for n in names],
                                   self.data.qpos[qadr].copy(), self.data.qvel[dadr].copy(),
                                   self.data.qfrc_actuator[dadr].copy())

    @property
    def model_names(self):
        """Top-level model names."""
        return list(self.world.models)

    @property
    def payload_names(self):
        """Models that can be attached/detached (one-link free models)."""
        return list(self.payload_bodies)

    @property
    def tube_names(self):
        """Payloads that are sample tubes (model://sample_tube or named tube_NN)."""
        if self._tube_names is None:  # payloads are fixed once the world is loaded
            self._tube_names = [p for p in self.payload_bodies if 'sample_tube' in
                                self.world.models[p].uri or _TUBE_NAME.match(p)]
        return list(self._tube_names)

    def tube_poses(self):
        """World pose of every tube link (centre of the tube)."""
        self._fresh()
        return {name: self.handoffs.payload_pose(name) for name in self.tube_names}

    def tube_pose_arrays(self, names):
        """Positions (n, 3) and w-x-y-z quaternions (n, 4) of the tubes ``names``, in order."""
        self._fresh()
        return self.handoffs.payload_pose_arrays(names)

    def body_linear_velocity(self, scoped_link):
        """World-frame linear velocity of a link origin (m/s)."""
        self._fresh()
        bid = self.body_id(scoped_link)
        payload = self.handoffs.by_body.get(bid)
        if payload is not None and payload in self.handoffs.holding:
            held = self.handoffs.holding[payload]
            vel = self.body_velocity(held.body)
            pos = self.handoffs.payload_pose(payload).pos
            return vel[3:] + np.cross(vel[:3], pos - self.data.xpos[held.body])
        return self.body_velocity(bid)[3:].copy()

    # ------------------------------------------------------------------ hand-offs
    def attach(self, payload, carrier, tolerance=handoff_mod.DEFAULT_TOLERANCE, snap=False):
        """Attach a payload to a carrier link/frame within tolerance (HandoffResult)."""
        return self.handoffs.attach(payload, carrier, tolerance=tolerance, snap=snap)

    def detach(self, payload):
        """Release a payload (HandoffResult)."""
        return self.handoffs.detach(payload)

    def carrier_of(self, payload):
        """Carrier frame holding a payload, '' when free."""
        return self.handoffs.carrier_of(payload)

    # ------------------------------------------------------------------ cameras
    @property
    def camera_names(self):
        """Scoped camera sensor names ('model::link::sensor')."""
        return list(self.conversion.cameras)

    def _camera(self, name):
        if name in self.conversion.cameras:
            return name
        for full in self.conversion.cameras:
            parts = full.split('::')
            if name == parts[0] + '::' + parts[-1] or name == parts[-1]:
                return full
        raise KeyError('no camera {}'.format(name))

    def render_camera(self, name):
        """Render a camera sensor offscreen; returns an (height, width, 3) uint8 image."""
        full = self._camera(name)
        sensor = self.conversion.cameras[full]
        cam = sensor.camera
        key = (cam.width, cam.height)
        renderer = self._renderers.get(key)
        if renderer is None:
            extent = max(float(self.model.stat.extent), 1e-6)
            near = min(s.camera.near for s in self.conversion.cameras.values())
            far = max(s.camera.far for s in self.conversion.cameras.values())
            self.model.vis.map.znear = near / extent
            self.model.vis.map.zfar = far / extent
            try:
                renderer = mujoco.Renderer(self.model, cam.height, cam.width)
            except Exception as err:  # noqa: B902 - GL back-ends raise many types
                raise RenderUnavailable(
                    'offscreen rendering failed ({}); install libegl1 + libgl1 (EGL) or '
                    'libosmesa6 and set MUJOCO_GL=egl|osmesa before mujoco is imported'.format(
                        err)) from err
            self._renderers[key] = renderer
        self._fresh()
        self._sync_parked()
        renderer.update_scene(self.data, camera=full)
        return renderer.render()

    def _sync_parked(self):
        # Show carried payloads where they are carried; keep them still (no drift).
        self.handoffs.sync()
        for payload in self.handoffs.holding:
            dadr = self.free_dofadr(self.handoffs._body[payload])
            self.data.qvel[dadr:dadr + 6] = 0.0
        self.forward_kinematics()
        mujoco.mj_camlight(self.model, self.data)

    def close(self):
        """Free renderers (GL contexts)."""
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()


def rotation_error(a, b):
    """Angle (rad) between two w-x-y-z orientations."""
    rel = quat_to_mat(a).T @ quat_to_mat(b)
    return math.acos(max(-1.0, min(1.0, (np.trace(rel) - 1) / 2)))
