# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Emulations of the Gazebo systems declared in the SDF, on top of MuJoCo.

Each emulation reads its parameters from the plugin's SDF element, may ask for MuJoCo actuators
before the model is compiled (``actuators()``), binds to the compiled model (``bind()``) and
runs ``update()`` at the engine's control rate (100 Hz by default); MuJoCo then applies the
actuators at every physics step, so controllers cost no Python per step.

- DiffDrive: one velocity actuator per wheel joint (gain sized so the model reaches the wheel
  speed in ~50 ms); Twist setpoints limited in velocity and acceleration (jerk limits are not
  emulated) and turned into wheel speeds with wheel_separation/wheel_radius; odometry integrated
  from the mean wheel angle of each side (gz uses the first wheel of each side).
- JointTrajectoryController: PD actuators per joint (position gains, plus velocity_p_gain on the
  velocity error); the reference is interpolated linearly between points by time_from_start,
  starting from the joint positions when the trajectory arrives; velocity feed-forward is the
  segment slope (or the point velocities when given); i gains act through a setpoint offset.
- JointPositionController: the same PD actuator on each ``joint_name``; ``use_velocity_commands``
  is refused.
- JointStatePublisher / OdometryPublisher / PosePublisher: readers of ground truth; the publish
  rates and topic names are parsed so the ROS side can honour them.  Noise is not emulated.
- MulticopterVelocityControl (+ MulticopterMotorModel): an honest simplification.  Instead of
  rotor thrusts and the tilt-to-translate Lee controller, a force is applied at the vehicle's
  centre of mass (``xfrc_applied``) that tracks the commanded body-frame linear velocity
  (velocityGain, maximumLinearAcceleration, maximumLinearVelocity) and a torque that keeps the
  body level and tracks the commanded yaw rate (attitudeGain, angularRateGain, scaled by the
  vehicle inertia as in gz).  Total thrust is capped at the sum over rotors of
  motorConstant * maxRotVelocity^2 (2 x weight when no motor model gives it), so a vehicle whose
  SDF rotor constants cannot lift it on Mars does not fly.  The controller starts enabled but,
  like gz, waits for a first command; disabled, it applies nothing and the vehicle falls.  Rotor
  joints are spun for looks only (speed / rotorVelocitySlowdownSim).
- DetachableJoint: handled by handoff.HandoffManager (attached at start, at the current pose).
- Physics, UserCommands, SceneBroadcaster, Sensors (world): nothing to emulate; the engine owns
  stepping, set_model_pose and camera rendering.
"""

from dataclasses import dataclass, field
import math

import numpy as np

from .mjcf import ActuatorSpec
from ..domain.sdf.errors import UnsupportedSdfError
from ..domain.sdf.transforms import quat_to_mat, quat_to_rpy, Transform

CONTROL_TIME_CONSTANT = 0.01  # s; wheel speed servo bandwidth (stiff, like gz's velocity joints)


def _scoped(model, name):
    return name if name.startswith(model + '::') else model + '::' + name


def _cross(a, b):
    # np.cross costs ~30 us on 3-vectors; this runs at the control rate.
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]])


def _model_mass(world, model_name):
    return sum(link.inertial.mass for link in world.model(model_name).all_links())


@dataclass
class Odometry:
    """
    Odometry in ROS conventions: pose of ``child_frame_id`` in ``frame_id``.

    ``orientation_xyzw`` is (x, y, z, w); ``linear``/``angular`` are the twist in the child frame.
    """

    stamp: float
    frame_id: str
    child_frame_id: str
    position: np.ndarray
    orientation_xyzw: np.ndarray
    linear: np.ndarray
    angular: np.ndarray


@dataclass
class JointStates:
    """Joint names, positions (rad or m), velocities and actuator efforts."""

    stamp: float
    names: list
    position: np.ndarray
    velocity: np.ndarray
    effort: np.ndarray


class Emulation:
    """Base class: one instance per SDF plugin element."""

    system = ''

    def __init__(self, plugin, world):
        """Keep the SDF plugin and the world it belongs to."""
        self.plugin = plugin
        self.world = world
        self.model_name = plugin.owner
        self.engine = None

    def actuators(self):
        """List the MuJoCo actuators this emulation needs (before compiling)."""
        return []

    def bind(self, engine):
        """Resolve MuJoCo ids once the model is compiled."""
        self.engine = engine

    def reset(self):
        """Return to the initial state."""

    def update(self, t):
        """Run one control period at sim time ``t``."""

    def error(self, message, element='plugin'):
        """Build an UnsupportedSdfError that names this plugin."""
        return UnsupportedSdfError('{}: {}'.format(self.plugin.name, message), element=element,
                                   model=self.model_name, file=self.plugin.source)


class Passive(Emulation):
    """World systems with nothing to emulate (Physics, UserCommands, SceneBroadcaster...)."""


class Sensors(Emulation):
    """Sensors system: enables camera rendering in the engine."""

    system = 'Sensors'


class DiffDrive(Emulation):
    """Differential drive on velocity-controlled wheel joints, with wheel odometry."""

    system = 'DiffDrive'

    def __init__(self, plugin, world):
        """Read joints, geometry, limits and topics."""
        super().__init__(plugin, world)
        p = plugin
        self.left = [_scoped(self.model_name, j) for j in p.texts('left_joint')]
        self.right = [_scoped(self.model_name, j) for j in p.texts('right_joint')]
        if not self.left or not self.right:
            raise self.error('needs <left_joint> and <right_joint>')
        self.separation = p.number('wheel_separation', 1.0)
        self.radius = p.number('wheel_radius', 0.2)

        def limit(*tags):
            for tag in tags:
                value = p.number(tag)
                if value is not None:
                    return abs(value)
            return math.inf
        self.max_v = limit('max_linear_velocity', 'max_velocity')
        self.max_w = limit('max_angular_velocity')
        self.max_a = limit('max_linear_acceleration', 'max_acceleration')
        self.max_alpha = limit('max_angular_acceleration')
        self.min_v = -limit('min_linear_velocity', 'min_velocity') \
            if limit('min_linear_velocity', 'min_velocity') < math.inf else -self.max_v
        self.odom_rate = p.number('odom_publish_frequency', 50.0)
        name = self.model_name
        self.topic = p.text('topic', '/model/{}/cmd_vel'.format(name))
        self.odom_topic = p.text('odom_topic', '/model/{}/odometry'.format(name))
        self.tf_topic = p.text('tf_topic', '/model/{}/tf'.format(name))
        self.frame_id = p.text('frame_id', '{}/odom'.format(name))
        canonical = world.model(name).canonical.split('::')[-1]
        self.child_frame_id = p.text('child_frame_id', '{}/{}'.format(name, canonical))
        self.mass = _model_mass(world, name)
        self.reset()

    def actuators(self):
        """One velocity servo per wheel."""
        n = len(self.left) + len(self.right)
        kv = self.mass * self.radius ** 2 / (n * CONTROL_TIME_CONSTANT)
        specs = []
        for joint in self.left + self.right:
            link_joint = self._sdf_joint(joint)
            effort = link_joint.axis.effort if link_joint.axis else -1
            specs.append(ActuatorSpec(name='diffdrive::' + joint, joint=joint, kind='velocity',
                                      kv=kv, forcerange=(-effort, effort) if effort > 0 else None))
        return specs

    def _sdf_joint(self, scoped):
        model, _, name = scoped.rpartition('::')
        try:
            return self.world.model(model).joints[name]
        except KeyError:
            raise self.error('joint {} not found'.format(scoped)) from None

    def bind(self, engine):
        """Resolve wheel actuators and joint addresses."""
        super().bind(engine)
        self.act_left = [engine.actuator_id('diffdrive::' + j) for j in self.left]
        self.act_right = [engine.actuator_id('diffdrive::' + j) for j in self.right]
        self.qadr_left = [engine.joint_qposadr(j) for j in self.left]
        self.qadr_right = [engine.joint_qposadr(j) for j in self.right]
        self.reset()

    def reset(self):
        """Zero the command, the limiter state and the odometry."""
        self.cmd = (0.0, 0.0)
        self.v = 0.0
        self.w = 0.0
        self.last_t = None
        self.x = self.y = self.yaw = 0.0
        self.odom_v = self.odom_w = 0.0
        self.last_wheels = None

    def set_command(self, linear_x, angular_z):
        """Set the Twist setpoint (m/s, rad/s), as on the cmd_vel topic."""
        self.cmd = (float(linear_x), float(angular_z))

    def update(self, t):
        """Limit the command, set wheel speeds, integrate odometry."""
        dt = 0.0 if self.last_t is None else t - self.last_t
        self.last_t = t
        v_cmd = min(max(self.cmd[0], self.min_v), self.max_v)
        w_cmd = min(max(self.cmd[1], -self.max_w), self.max_w)
        if dt > 0:
            self.v += min(max(v_cmd - self.v, -self.max_a * dt), self.max_a * dt)
            self.w += min(max(w_cmd - self.w, -self.max_alpha * dt), self.max_alpha * dt)
        left = (self.v - self.w * self.separation / 2) / self.radius
        right = (self.v + self.w * self.separation / 2) / self.radius
        ctrl = self.engine.data.ctrl
        ctrl[self.act_left] = left
        ctrl[self.act_right] = right
        self._odometry(dt)

    def _odometry(self, dt):
        qpos = self.engine.data.qpos
        wheels = (sum(qpos[a] for a in self.qadr_left) / len(self.qadr_left),
                  sum(qpos[a] for a in self.qadr_right) / len(self.qadr_right))
        if self.last_wheels is not None and dt > 0:
            dl = (wheels[0] - self.last_wheels[0]) * self.radius
            dr = (wheels[1] - self.last_wheels[1]) * self.radius
            ds = (dl + dr) / 2
            dyaw = (dr - dl) / self.separation
            self.x += ds * math.cos(self.yaw + dyaw / 2)
            self.y += ds * math.sin(self.yaw + dyaw / 2)
            self.yaw = math.atan2(math.sin(self.yaw + dyaw), math.cos(self.yaw + dyaw))
            self.odom_v = ds / dt
            self.odom_w = dyaw / dt
        self.last_wheels = wheels

    def odometry(self, stamp):
        """Wheel odometry in the odom frame (origin where the model started)."""
        half = self.yaw / 2
        return Odometry(stamp, self.frame_id, self.child_frame_id,
                        np.array([self.x, self.y, 0.0]),
                        np.array([0.0, 0.0, math.sin(half), math.cos(half)]),
                        np.array([self.odom_v, 0.0, 0.0]), np.array([0.0, 0.0, self.odom_w]))


@dataclass
class TrajectoryPoint:
    """One trajectory point: time_from_start (s), positions, optional velocities."""

    time_from_start: float
    positions: list
    velocities: list = None


@dataclass
class _JointPd:
    joint: str
    kp: float
    kv: float
    ki: float = 0.0
    imin: float = -math.inf
    imax: float = math.inf
    forcerange: tuple = None
    actuator: int = -1
    qadr: int = -1
    dadr: int = -1
    target: float = 0.0
    target_vel: float = 0.0
    integral: float = 0.0


class _PdGroup(Emulation):
    """Shared PD-actuator plumbing of the joint controllers."""

    def actuators(self):
        """One PD actuator per controlled joint."""
        return [ActuatorSpec(name=self.prefix + pd.joint, joint=pd.joint, kind='pd', kp=pd.kp,
                             kv=pd.kv, forcerange=pd.forcerange) for pd in self.pds]

    def bind(self, engine):
        """Resolve actuators and joint addresses."""
        super().bind(engine)
        for pd in self.pds:
            pd.actuator = engine.actuator_id(self.prefix + pd.joint)
            pd.qadr = engine.joint_qposadr(pd.joint)
            pd.dadr = engine.joint_dofadr(pd.joint)
        self.reset()

    def _apply(self, dt):
        data = self.engine.data
        for pd in self.pds:
            offset = 0.0
            if pd.ki:
                err = pd.target - data.qpos[pd.qadr]
                pd.integral = min(max(pd.integral + pd.ki * err * dt, pd.imin), pd.imax)
                offset = pd.integral
            data.ctrl[pd.actuator] = pd.kp * pd.target + pd.kv * pd.target_vel + offset

    def positions(self):
        """Return the current joint positions, in controller order."""
        return np.array([self.engine.data.qpos[pd.qadr] for pd in self.pds])

    @property
    def joints(self):
        """Scoped names of the controlled joints."""
        return [pd.joint for pd in self.pds]


class JointPositionController(_PdGroup):
    """Position PID on one or more joints sharing one command."""

    system = 'JointPositionController'

    def __init__(self, plugin, world):
        """Read joints, gains and limits."""
        super().__init__(plugin, world)
        p = plugin
        if p.flag('use_velocity_commands'):
            raise self.error('use_velocity_commands is not emulated', 'use_velocity_commands')
        joints = [_scoped(self.model_name, j) for j in p.texts('joint_name')]
        if not joints:
            raise self.error('needs <joint_name>')
        self.prefix = 'jpc{}::'.format(id(self))
        kp, ki, kd = p.number('p_gain', 1.0), p.number('i_gain', 0.1), p.number('d_gain', 0.0)
        cmd = (p.number('cmd_min', -1000.0), p.number('cmd_max', 1000.0))
        imin, imax = p.number('i_min', -1.0), p.number('i_max', 1.0)
        self.pds = [_JointPd(j, kp, kd, ki, imin, imax, cmd) for j in joints]
        self.initial = p.number('initial_position', 0.0)
        index = p.number('joint_index', 0)
        # gz precedence: <topic>, else /model/<model>/<sub_topic>, else the indexed default.
        default = '/model/{}/joint/{}/{}/cmd_pos'.format(
            self.model_name, joints[0].split('::')[-1], int(index))
        sub_topic = p.text('sub_topic')
        if sub_topic:
            default = '/model/{}/{}'.format(self.model_name, sub_topic.strip('/'))
        self.topic = p.text('topic', default)

    def reset(self):
        """Target the initial position."""
        for pd in self.pds:
            pd.target, pd.target_vel, pd.integral = self.initial, 0.0, 0.0
        self.last_t = None

    def set_target(self, position):
        """Set the position command (rad or m)."""
        for pd in self.pds:
            pd.target = float(position)

    def update(self, t):
        """Write the PD setpoints."""
        dt = 0.0 if self.last_t is None else t - self.last_t
        self.last_t = t
        self._apply(dt)


class JointTrajectoryController(_PdGroup):
    """Follows joint trajectories with PD actuators and linear interpolation."""

    system = 'JointTrajectoryController'

    def __init__(self, plugin, world):
        """Read joints and per-joint gains (given in joint order, as gz reads them)."""
        super().__init__(plugin, world)
        p = plugin
        joints = [_scoped(self.model_name, j) for j in p.texts('joint_name')]
        if not joints:
            raise self.error('needs <joint_name>')

        def per_joint(tag, default):
            values = [float(v) for v in p.texts(tag)]
            return [values[i] if i < len(values) else default for i in range(len(joints))]
        kp = per_joint('position_p_gain', 0.0)
        ki = per_joint('position_i_gain', 0.0)
        kd = per_joint('position_d_gain', 0.0)
        kvel = per_joint('velocity_p_gain', 0.0)
        imin = per_joint('position_i_min', -math.inf)
        imax = per_joint('position_i_max', math.inf)
        cmin = per_joint('position_cmd_min', -math.inf)
        cmax = per_joint('position_cmd_max', math.inf)
        self.initial = per_joint('initial_position', 0.0)
        self.prefix = 'jtc{}::'.format(id(self))
        self.pds = []
        for i, joint in enumerate(joints):
            rng = None if math.isinf(cmin[i]) and math.isinf(cmax[i]) else (cmin[i], cmax[i])
            self.pds.append(_JointPd(joint, kp[i], kd[i] + kvel[i], ki[i], imin[i], imax[i],
                                     rng))
            if kp[i] <= 0:
                raise self.error('joint {} has no position_p_gain'.format(joint),
                                 'position_p_gain')
        self.topic = p.text('topic', '/model/{}/joint_trajectory'.format(self.model_name))
        self.progress_topic = p.text('progress_topic',
                                     '/model/{}/joint_trajectory_progress'.format(
                                         self.model_name))

    def reset(self):
        """Hold the initial positions."""
        for pd, q0 in zip(self.pds, self.initial):
            pd.target, pd.target_vel, pd.integral = q0, 0.0, 0.0
        self.trajectory = None
        self.last_t = None
        self.progress = 1.0

    def set_trajectory(self, joint_names, points, start_time=None):
        """
        Follow ``points`` (TrajectoryPoint list) for ``joint_names`` (local or scoped).

        Joints of this controller not named keep their target.  The trajectory starts at
        ``start_time`` (sim time) or at the next update.
        """
        names = [_scoped(self.model_name, n) for n in joint_names]
        index = {pd.joint: pd for pd in self.pds}
        unknown = [n for n in names if n not in index]
        if unknown:
            raise KeyError('joints not controlled by {}: {}'.format(self.plugin.name, unknown))
        pts = sorted(points, key=lambda pt: pt.time_from_start)
        for pt in pts:
            if len(pt.positions) != len(names):
                raise ValueError('trajectory point has {} positions for {} joints'.format(
                    len(pt.positions), len(names)))
        self.trajectory = {'pds': [index[n] for n in names], 'points': pts,
                           'start': start_time, 'q0': None}
        self.progress = 0.0 if pts else 1.0

    @property
    def done(self):
        """Return True when the last point's time has passed (or nothing to follow)."""
        return self.progress >= 1.0

    def update(self, t):
        """Interpolate the reference and write PD setpoints."""
        dt = 0.0 if self.last_t is None else t - self.last_t
        self.last_t = t
        traj = self.trajectory
        if traj is not None:
            if traj['start'] is None:
                traj['start'] = t
            if traj['q0'] is None:
                traj['q0'] = [self.engine.data.qpos[pd.qadr] for pd in traj['pds']]
            self._interpolate(traj, t - traj['start'])
        self._apply(dt)

    def _interpolate(self, traj, tau):
        pts = traj['points']
        if not pts:
            return
        prev_t, prev_q, prev_v = 0.0, traj['q0'], None
        for pt in pts:
            if tau <= pt.time_from_start:
                span = pt.time_from_start - prev_t
                s = 1.0 if span <= 0 else max(0.0, (tau - prev_t) / span)
                for i, pd in enumerate(traj['pds']):
                    pd.target = prev_q[i] + s * (pt.positions[i] - prev_q[i])
                    if pt.velocities and prev_v:
                        pd.target_vel = prev_v[i] + s * (pt.velocities[i] - prev_v[i])
                    else:
                        pd.target_vel = 0.0 if span <= 0 else \
                            (pt.positions[i] - prev_q[i]) / span
                self.progress = min(1.0, tau / pts[-1].time_from_start) \
                    if pts[-1].time_from_start > 0 else 1.0
                return
            prev_t, prev_q, prev_v = pt.time_from_start, pt.positions, pt.velocities
        for i, pd in enumerate(traj['pds']):
            pd.target = pts[-1].positions[i]
            pd.target_vel = 0.0
        self.progress = 1.0


class JointStatePublisher(Emulation):
    """Reports joint states of the listed joints (all movable joints by default)."""

    system = 'JointStatePublisher'

    def __init__(self, plugin, world):
        """Read the joint list, rate and topic."""
        super().__init__(plugin, world)
        names = [_scoped(self.model_name, j) for j in plugin.texts('joint_name')]
        if not names:
            names = [j.scoped_name for j in world.model(self.model_name).all_joints()
                     if j.type != 'fixed']
        self.joint_names = names
        self.update_rate = plugin.number('update_rate', 0.0)
        world_name = world.name
        self.topic = plugin.text('topic', '/world/{}/model/{}/joint_state'.format(
            world_name, self.model_name))

    def bind(self, engine):
        """Resolve joint addresses."""
        super().bind(engine)
        self.qadr = np.array([engine.joint_qposadr(j) for j in self.joint_names], dtype=int)
        self.dadr = np.array([engine.joint_dofadr(j) for j in self.joint_names], dtype=int)

    def read(self, stamp):
        """Joint states now (names without the model prefix, like gz)."""
        data = self.engine.data
        prefix = len(self.model_name) + 2
        return JointStates(stamp, [n[prefix:] for n in self.joint_names],
                           data.qpos[self.qadr].copy(), data.qvel[self.dadr].copy(),
                           data.qfrc_actuator[self.dadr].copy())


class OdometryPublisher(Emulation):
    """Ground-truth odometry of a model (world pose, twist in the base frame)."""

    system = 'OdometryPublisher'

    def __init__(self, plugin, world):
        """Read frames, dimensions and rate."""
        super().__init__(plugin, world)
        name = self.model_name
        self.odom_frame = plugin.text('odom_frame', '{}/odom'.format(name))
        self.base_frame = plugin.text('robot_base_frame', '{}/base_footprint'.format(name))
        self.dimensions = int(plugin.number('dimensions', 2))
        self.rate = plugin.number('odom_publish_frequency', 50.0)
        self.topic = plugin.text('odom_topic', '/model/{}/odometry'.format(name))
        offset = plugin.vector('xyz_offset', np.zeros(3))
        if plugin.text('gaussian_noise') and float(plugin.text('gaussian_noise')) > 0:
            world.notes.append('{}: OdometryPublisher gaussian_noise not emulated'.format(name))
        if np.any(offset) or np.any(plugin.vector('rpy_offset', np.zeros(3))):
            raise self.error('xyz_offset/rpy_offset are not emulated', 'xyz_offset')

    def read(self, stamp):
        """Odometry now."""
        return self.engine.model_odometry(self.model_name, stamp, self.odom_frame,
                                          self.base_frame, self.dimensions)


class PosePublisher(Emulation):
    """Ground-truth poses of links (and optionally sensors, nested models, the model)."""

    system = 'PosePublisher'

    def __init__(self, plugin, world):
        """Read what to publish."""
        super().__init__(plugin, world)
        p = plugin
        self.publish_link_pose = p.flag('publish_link_pose', True)
        self.publish_sensor_pose = p.flag('publish_sensor_pose', False)
        self.publish_nested_model_pose = p.flag('publish_nested_model_pose', False)
        self.publish_model_pose = p.flag('publish_model_pose', False)
        self.use_pose_vector_msg = p.flag('use_pose_vector_msg', False)
        self.static_publisher = p.flag('static_publisher', True)
        self.update_frequency = p.number('update_frequency', -1.0)
        for tag in ('publish_collision_pose', 'publish_visual_pose'):
            if p.flag(tag):
                raise self.error('{} is not emulated'.format(tag), tag)

    def read(self):
        """List of (parent frame, child frame, Transform of child in parent)."""
        eng = self.engine
        model = self.world.model(self.model_name)
        out = []
        model_pose = eng.frame_pose(self.model_name)
        if self.publish_model_pose:
            out.append((self.world.name, self.model_name, model_pose))
        if self.publish_link_pose:
            for link in model.all_links():
                out.append((self.model_name, link.scoped_name,
                            model_pose.inverse() * eng.link_pose(link.scoped_name)))
        if self.publish_sensor_pose:
            for link in model.all_links():
                for sensor in link.sensors:
                    out.append((link.scoped_name, sensor.scoped_name, sensor.pose))
        if self.publish_nested_model_pose:
            for nested in model.models.values():
                out.append((self.model_name, nested.scoped_name,
                            model_pose.inverse() * eng.frame_pose(nested.scoped_name)))
        return out


class MulticopterMotorModel(Emulation):
    """A rotor: gives its maximum thrust to the velocity control, spins its joint for looks."""

    system = 'MulticopterMotorModel'

    def __init__(self, plugin, world):
        """Read the rotor constants."""
        super().__init__(plugin, world)
        p = plugin
        joint = p.text('jointName')
        if not joint:
            raise self.error('needs <jointName>')
        self.joint = _scoped(self.model_name, joint)
        self.max_rot_velocity = p.number('maxRotVelocity', 838.0)
        self.motor_constant = p.number('motorConstant', 8.54858e-06)
        self.direction = -1.0 if (p.text('turningDirection', 'ccw') == 'cw') else 1.0
        self.slowdown = p.number('rotorVelocitySlowdownSim', 10.0) or 1.0
        self.max_thrust = self.motor_constant * self.max_rot_velocity ** 2
        self.command = 0.0

    def actuators(self):
        """Ask for a gentle velocity servo that spins the rotor joint."""
        model, _, name = self.joint.rpartition('::')
        try:
            joint = self.world.model(model).joints[name]
        except KeyError:
            raise self.error('joint {} not found'.format(self.joint)) from None
        izz = max(self.world.link(joint.child).inertial.inertia[2, 2], 1e-6)
        return [ActuatorSpec(name='rotor::' + self.joint, joint=self.joint, kind='velocity',
                             kv=izz / 0.2)]

    def bind(self, engine):
        """Resolve the rotor actuator."""
        super().bind(engine)
        self.actuator = engine.actuator_id('rotor::' + self.joint)

    def set_thrust_fraction(self, fraction):
        """Spin the rotor at the speed that would give ``fraction`` of its max thrust."""
        omega = self.max_rot_velocity * math.sqrt(min(max(fraction, 0.0), 1.0))
        self.engine.data.ctrl[self.actuator] = self.direction * omega / self.slowdown


@dataclass
class HelicopterState:
    """What the velocity control knows: enabled, last command, thrust in use."""

    enabled: bool = True
    command: tuple = None
    thrust: float = 0.0
    saturated: bool = False
    idle: bool = False   # force, torque and rotors zeroed while disabled or without command
    extra: dict = field(default_factory=dict)


class MulticopterVelocityControl(Emulation):
    """Body-frame velocity and yaw-rate control by a force and torque at the centre of mass."""

    system = 'MulticopterVelocityControl'

    def __init__(self, plugin, world):
        """Read gains, limits and topics."""
        super().__init__(plugin, world)
        p = plugin
        com = p.text('comLinkName')
        if not com:
            raise self.error('needs <comLinkName>', 'comLinkName')
        self.com_link = _scoped(self.model_name, com)
        inf3 = np.full(3, math.inf)
        self.velocity_gain = p.vector('velocityGain', np.array([2.0, 2.0, 2.0]))
        self.attitude_gain = p.vector('attitudeGain', np.array([4.0, 4.0, 2.0]))
        self.rate_gain = p.vector('angularRateGain', np.array([1.0, 1.0, 1.0]))
        self.max_acc = np.abs(p.vector('maximumLinearAcceleration',
                                       p.vector('maxLinearAcceleration', inf3)))
        self.max_vel = np.abs(p.vector('maximumLinearVelocity', inf3))
        self.max_ang = np.abs(p.vector('maximumAngularVelocity', inf3))
        ns = p.text('robotNamespace', self.model_name)
        self.namespace = ns
        self.command_topic = '{}/{}'.format(ns, p.text('commandSubTopic', 'cmd_vel'))
        self.enable_topic = '{}/{}'.format(ns, p.text('enableSubTopic', 'enable'))
        rotors = self.plugin.element.find('rotorConfiguration')
        self.rotor_joints = []
        if rotors is not None:
            for rotor in rotors.findall('rotor'):
                joint = (rotor.findtext('jointName') or '').strip()
                if joint:
                    self.rotor_joints.append(_scoped(self.model_name, joint))
        self.state = HelicopterState()
        self.motors = []

    def bind(self, engine):
        """Find the motors, the vehicle mass and inertia, the gravity."""
        super().bind(engine)
        self.motors = [e for e in engine.emulations if isinstance(e, MulticopterMotorModel)
                       and e.model_name == self.model_name]
        model = engine.model
        self.body = engine.body_id(self.com_link)
        self.root = engine.root_body_id(self.model_name)
        self.mass = float(model.body_subtreemass[self.root])
        self.gravity = np.array(model.opt.gravity)
        weight = self.mass * float(np.linalg.norm(self.gravity))
        thrusts = [m.max_thrust for m in self.motors]
        self.max_thrust = sum(thrusts) if thrusts else 2.0 * weight
        if self.max_thrust < weight:
            engine.notes.append('{}: rotors give at most {:.2f} N, weight is {:.2f} N on this '
                                'world: it cannot take off'.format(self.model_name,
                                                                   self.max_thrust, weight))
        self.inertia = engine.composite_inertia(self.model_name)
        self.reset()

    def reset(self):
        """Go back to enabled, waiting for a first command."""
        self.state = HelicopterState()

    def set_enabled(self, enabled):
        """Enable or disable; disabling drops the command (gz waits for a new one)."""
        self.state.enabled = bool(enabled)
        if not enabled:
            self.state.command = None

    def set_command(self, linear, yaw_rate):
        """Command body-frame linear velocity (x fwd, y left, z up; m/s) and yaw rate (rad/s)."""
        lin = np.clip(np.asarray(linear, dtype=float), -self.max_vel, self.max_vel)
        yaw = float(np.clip(yaw_rate, -self.max_ang[2], self.max_ang[2]))
        self.state.command = (lin, yaw)

    def update(self, t):
        """Compute and apply the force and torque for this control period."""
        data = self.engine.data
        xfrc = data.xfrc_applied[self.body]
        if not self.state.enabled or self.state.command is None:
            if not self.state.idle:  # zero once: a parked helicopter then costs nothing
                xfrc[:] = 0.0
                self.state.thrust = 0.0
                for motor in self.motors:
                    motor.set_thrust_fraction(0.0)
                self.state.idle = True
            return
        self.state.idle = False
        lin_cmd, yaw_rate_cmd = self.state.command
        quat = data.xquat[self.body]
        rot = quat_to_mat(quat)
        roll, pitch, yaw = quat_to_rpy(quat)
        c, s = math.cos(yaw), math.sin(yaw)
        heading = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        vel6 = self.engine.body_velocity(self.root)
        v_world = vel6[3:]
        omega_world = vel6[:3]
        v_head = heading.T @ v_world
        acc = np.clip(self.velocity_gain * (lin_cmd - v_head), -self.max_acc, self.max_acc)
        force = heading @ acc * self.mass - self.gravity * self.mass
        norm = float(np.linalg.norm(force))
        self.state.saturated = norm > self.max_thrust
        if self.state.saturated:
            force *= self.max_thrust / norm
            norm = self.max_thrust
        self.state.thrust = norm
        # Attitude: level roll/pitch, track yaw rate; angular acceleration scaled by inertia.
        omega_body = rot.T @ omega_world
        err_att = np.array([roll, pitch, 0.0])
        err_rate = omega_body - np.array([0.0, 0.0, yaw_rate_cmd])
        alpha = -self.attitude_gain * err_att - self.rate_gain * err_rate
        torque = rot @ (self.inertia @ alpha)
        # xfrc acts at the com link's centre of mass: shift the force to the vehicle's.
        arm = data.subtree_com[self.root] - data.xipos[self.body]
        torque += _cross(arm, force)
        xfrc[:3] = force
        xfrc[3:] = torque
        for motor in self.motors:
            motor.set_thrust_fraction(norm / self.max_thrust)


class DetachableJoint(Emulation):
    """Declares a carrier/child pair; the HandoffManager does the attaching."""

    system = 'DetachableJoint'

    def __init__(self, plugin, world):
        """Read the pair and topics."""
        super().__init__(plugin, world)
        p = plugin
        parent = p.text('parent_link')
        child_model = p.text('child_model')
        child_link = p.text('child_link')
        if not (parent and child_model and child_link):
            raise self.error('needs parent_link, child_model and child_link')
        self.parent_link = _scoped(self.model_name, parent)
        self.child_model = child_model
        self.child_link = child_model + '::' + child_link
        name = self.model_name
        base = '/model/{}/detachable_joint/'.format(name)
        self.detach_topic = p.text('detach_topic', p.text('topic', base + 'detach'))
        self.attach_topic = p.text('attach_topic', base + 'attach')
        self.output_topic = p.text('output_topic', base + 'state')


EMULATIONS = {
    'DiffDrive': DiffDrive,
    'JointTrajectoryController': JointTrajectoryController,
    'JointPositionController': JointPositionController,
    'JointStatePublisher': JointStatePublisher,
    'OdometryPublisher': OdometryPublisher,
    'PosePublisher': PosePublisher,
    'MulticopterMotorModel': MulticopterMotorModel,
    'MulticopterVelocityControl': MulticopterVelocityControl,
    'DetachableJoint': DetachableJoint,
    'Physics': Passive,
    'UserCommands': Passive,
    'SceneBroadcaster': Passive,
    'Sensors': Sensors,
}


def create_emulations(world):
    """Instantiate an emulation for every plugin of the world and its models."""
    out = []
    plugins = list(world.plugins)
    for model in world.models.values():
        plugins.extend(model.all_plugins())
    for plugin in plugins:
        cls = EMULATIONS.get(plugin.system)
        if cls is None:
            raise UnsupportedSdfError('plugin {!r} has no emulation'.format(plugin.name),
                                      element='plugin', model=plugin.owner, file=plugin.source)
        if plugin.owner == '' and cls not in (Passive, Sensors):
            raise UnsupportedSdfError('{} must be declared in a model'.format(plugin.name),
                                      element='plugin', file=plugin.source)
        out.append(cls(plugin, world))
    return out


def plan_actuators(emulations):
    """All actuators the emulations need, checked for joints claimed twice."""
    specs = []
    owner = {}
    for emulation in emulations:
        for spec in emulation.actuators():
            if spec.joint in owner:
                raise UnsupportedSdfError('joint {} is driven by both {} and {}'.format(
                    spec.joint, owner[spec.joint], emulation.plugin.name), element='plugin',
                    model=emulation.model_name, file=emulation.plugin.source)
            owner[spec.joint] = emulation.plugin.name
            specs.append(spec)
    return specs


__all__ = ['Transform', 'TrajectoryPoint', 'Odometry', 'JointStates', 'create_emulations',
           'plan_actuators', 'EMULATIONS']
