# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The world node: the embedded backend (engine.WorldEngine) serving the world contract.

Everything is derived from the plugins declared in the SDF, with the ROS names of
docs/world_contract.md (QoS: reliable, volatile, depth 10, both ways):

  pub  /clock                                   rosgraph_msgs/Clock      clock_rate (sim time)
  sub  /model/<m>/cmd_vel                        Twist        per DiffDrive (rover)
  pub  <OdometryPublisher odom_topic>            Odometry     its odom_publish_frequency
  pub  <JointStatePublisher topic>               JointState   update_rate, else joint_state_rate
  sub  <JointTrajectoryController topic>         JointTrajectory
  sub  /model/<m>/cmd_vel, /model/<m>/enable     Twist, Bool  per MulticopterVelocityControl
  sub  <JointPositionController topic>           Float64      e.g. /model/helicopter_1/arm/cmd_pos
  pub  <camera topic>, <...>/camera_info         Image, CameraInfo   when cameras_enabled
  pub  /world/tube_poses                         PoseArray    tube_pose_rate, tube order
  srv  /world/attach_tube, /world/detach_tube    perseverance_interfaces AttachTube, DetachTube

Threading: one stepping thread owns the engine (WorldEngine is not thread-safe; ``_lock`` guards
it). ROS callbacks validate their input, then queue a job that the stepping thread runs between
physics chunks; services wait for their job's result. So callbacks never wait for physics and
physics never waits for callbacks. The thread steps to the next publication time, builds the
messages due, publishes them outside the lock and, when real_time_factor > 0, waits (waking for
queued jobs) until wall time catches up. A stream nobody subscribes to is not built (/clock
always is): the world has four helicopters, a campaign flies one or two.
"""

import collections
import math
import threading
import time

from geometry_msgs.msg import Twist
from perseverance_interfaces.srv import AttachTube, DetachTube
from rcl_interfaces.msg import SetParametersResult
from rosgraph_msgs.msg import Clock
from std_msgs.msg import Bool, Float64
from trajectory_msgs.msg import JointTrajectory

from ..domain.package_data import share_path
from ..ros.contract import CONTRACT_QOS
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.parameters import declare
from ..world import engine as engine_mod
from ..world import handoff, plugins, ros_convert

JOB_TIMEOUT = 10.0  # s of wall time a service waits for the stepping thread


class _Stream:
    """A periodic publication in sim time: ``build()`` runs under the engine lock."""

    def __init__(self, name, period, build, publishers):
        self.name = name
        self.period = period
        self.build = build            # () -> list of messages, one per publisher
        self.publishers = publishers
        self.due = 0.0


class WorldNode(LeanNode):
    """ROS wiring of the embedded world backend."""

    def __init__(self):
        """Declare parameters, load the world, create the interfaces, start stepping."""
        super().__init__('world')
        world_file = declare(self, 'world_file', share_path('worlds', 'jezero.sdf'),
                             'SDF world to simulate (models resolved on the package models/ and '
                             'GZ_SIM_RESOURCE_PATH)', read_only=True)
        timestep = declare(self, 'timestep', engine_mod.DEFAULT_TIMESTEP, 'physics step (s)',
                           0.0005, 0.02, read_only=True)
        self.real_time_factor = declare(
            self, 'real_time_factor', 0.0, 'sim time / wall time target: 0 = as fast as possible '
            '(headless, tests), 1.0 = real time (teleoperation)', 0.0, 1000.0)
        clock_rate = declare(self, 'clock_rate', 50.0, '/clock publications per second of sim '
                             'time (Hz)', 0.1, 1000.0, read_only=True)
        self.cameras_enabled = declare(self, 'cameras_enabled', False, 'render and publish '
                                       'camera images (offscreen EGL/OSMesa)')
        camera_rate = declare(self, 'camera_rate', 0.0, 'camera frames per second of sim time '
                              '(Hz); 0 = the SDF update_rate of each sensor', 0.0, 1000.0,
                              read_only=True)
        joint_state_rate = declare(
            self, 'joint_state_rate', 50.0, 'joint states per second of sim time (Hz) for '
            'JointStatePublishers without an SDF update_rate', 0.1, 1000.0, read_only=True)
        tube_pose_rate = declare(self, 'tube_pose_rate', 10.0, '/world/tube_poses per second '
                                 'of sim time (Hz)', 0.1, 1000.0, read_only=True)

        started = time.monotonic()
        # The node paces itself (outside the lock); the engine never sleeps.
        self.engine = engine_mod.WorldEngine(world_file, timestep=timestep, real_time_factor=0.0)
        self.get_logger().info('loaded {} in {:.2f} s ({} models, {} tubes)'.format(
            world_file, time.monotonic() - started, len(self.engine.model_names),
            len(self.engine.tube_names)))
        for note in self.engine.notes:
            self.get_logger().debug(note)

        self._lock = threading.Lock()
        self._jobs = collections.deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._rt_anchor = None
        self._camera_warned = False
        self.steps = 0  # physics steps taken (for the log at exit)

        self.streams = [_Stream('clock', 1.0 / clock_rate, self._build_clock,
                                [self.create_publisher(Clock, '/clock', CONTRACT_QOS)])]
        self._create_interfaces(joint_state_rate, tube_pose_rate, camera_rate)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._thread = threading.Thread(target=self._run, name='world_stepping', daemon=True)
        self._thread.start()
        self.get_logger().info('world ready: real_time_factor {}, cameras {}'.format(
            self.real_time_factor or 'unbounded', 'on' if self.cameras_enabled else 'off'))

    # ------------------------------------------------------------------ interfaces
    def _pub(self, msg_type, topic):
        return self.create_publisher(msg_type, topic, CONTRACT_QOS)

    def _sub(self, msg_type, topic, callback):
        return self.create_subscription(msg_type, topic, callback, CONTRACT_QOS)

    def _create_interfaces(self, joint_state_rate, tube_pose_rate, camera_rate):
        eng = self.engine
        self.trajectory_joints = {}  # topic -> (model, {local joint names})
        for em in eng.emulations:
            model = em.model_name
            if isinstance(em, plugins.DiffDrive):
                self._sub(Twist, em.topic, self._twist_callback(
                    model, lambda m, linear, angular: self.engine.set_cmd_vel(
                        m, linear[0], angular[2])))
            elif isinstance(em, plugins.OdometryPublisher):
                self._add_stream('odometry ' + model, 1.0 / max(em.rate, 0.1),
                                 self._odometry_builder(em), [self._pub(ros_convert.Odometry,
                                                                        em.topic)])
            elif isinstance(em, plugins.JointStatePublisher):
                rate = em.update_rate if em.update_rate > 0 else joint_state_rate
                self._add_stream('joint states ' + model, 1.0 / rate,
                                 self._joint_state_builder(em),
                                 [self._pub(ros_convert.JointState, em.topic)])
            elif isinstance(em, plugins.JointTrajectoryController):
                joints = {j[len(model) + 2:] for j in em.joints}
                self.trajectory_joints.setdefault(em.topic, (model, set()))[1].update(joints)
            elif isinstance(em, plugins.MulticopterVelocityControl):
                # Contract names /model/<m>/... (gz listens under robotNamespace; bridge maps).
                self._sub(Twist, '/model/{}/cmd_vel'.format(model), self._twist_callback(
                    model, lambda m, linear, angular: self.engine.set_helicopter_velocity(
                        m, linear, angular[2])))
                self._sub(Bool, '/model/{}/enable'.format(model),
                          self._helicopter_enable_callback(model))
            elif isinstance(em, plugins.JointPositionController):
                self._sub(Float64, em.topic, self._joint_position_callback(
                    model, em.joints[0], em.topic))
        for topic, (model, joints) in self.trajectory_joints.items():
            self._sub(JointTrajectory, topic, self._trajectory_callback(topic, model, joints))

        self.tube_names = ros_convert.tube_order(eng.tube_names)
        self._tubes_pub = None
        if self.tube_names:
            self._add_stream('tube poses', 1.0 / tube_pose_rate, self._build_tube_poses,
                             [self._pub(ros_convert.PoseArray, '/world/tube_poses')])
            self.create_service(AttachTube, '/world/attach_tube', self._attach)
            self.create_service(DetachTube, '/world/detach_tube', self._detach)

        self.camera_streams = []
        for full, sensor in eng.conversion.cameras.items():
            image_topic, info_topic, frame_id = ros_convert.camera_topics(sensor)
            rate = camera_rate or sensor.update_rate or 10.0
            stream = _Stream('camera ' + full, 1.0 / rate, self._camera_builder(full, frame_id),
                             [self._pub(ros_convert.Image, image_topic),
                              self._pub(ros_convert.CameraInfo, info_topic)])
            self.camera_streams.append(stream)
        if self.cameras_enabled and not eng.cameras_enabled:
            self.get_logger().warning('cameras_enabled, but the world declares no Sensors '
                                      'system: no images')

    def _add_stream(self, name, period, build, publishers):
        self.streams.append(_Stream(name, period, build, publishers))

    # ------------------------------------------------------------------ builders (locked)
    def _build_clock(self):
        return [ros_convert.clock(self.engine.sim_time)]

    def _odometry_builder(self, em):
        return lambda: [ros_convert.odometry(em.read(self.engine.sim_time))]

    def _joint_state_builder(self, em):
        return lambda: [ros_convert.joint_state(em.read(self.engine.sim_time))]

    def _build_tube_poses(self):
        return [ros_convert.pose_array(*self.engine.tube_pose_arrays(self.tube_names),
                                       self.engine.sim_time)]

    def _camera_builder(self, camera, frame_id):
        sensor = self.engine.conversion.cameras[camera]

        def build():
            if not (self.cameras_enabled and self.engine.cameras_enabled):
                return None
            try:
                pixels = self.engine.render_camera(camera)
            except engine_mod.RenderUnavailable as err:
                if not self._camera_warned:
                    self.get_logger().error('cameras disabled: {}'.format(err))
                    self._camera_warned = True
                self.cameras_enabled = False
                return None
            t = self.engine.sim_time
            return [ros_convert.image(pixels, t, frame_id),
                    ros_convert.camera_info(sensor.camera, t, frame_id)]
        return build

    # ------------------------------------------------------------------ stepping thread
    def _run(self):
        try:
            while not self._stop.is_set():
                out = self._advance()
                for publisher, msg in out:
                    publisher.publish(msg)
                self._pace()
        except Exception as err:  # noqa: B902 - report whatever stops the world, then stop
            if not self._stop.is_set():
                self.get_logger().fatal('stepping stopped: {!r}'.format(err))
                raise
        finally:
            with self._lock:
                self.engine.close()  # GL contexts belong to the thread that rendered

    def _advance(self):
        """Run queued jobs, step to the next publication time, return what is due."""
        eng = self.engine
        dt = eng.timestep
        with self._lock:
            self._run_jobs()
            streams = self.streams + (self.camera_streams if self.cameras_enabled else [])
            t = eng.sim_time
            nxt = min(s.due for s in streams)
            steps = max(1, int(math.ceil((nxt - t) / dt - 1e-6)))
            if nxt <= t + 1e-9:
                steps = 0  # something is due now (the first publication at t = 0)
            eng.step(steps)
            self.steps += steps
            t = eng.sim_time
            out, clock = [], self.streams[0]
            for stream in streams:
                if stream.due > t + 1e-9:
                    continue
                stream.due += stream.period
                if stream.due <= t:  # fell behind (rate above the step rate): skip ahead
                    stream.due = t + stream.period
                if stream is not clock and not any(
                        p.get_subscription_count() for p in stream.publishers):
                    continue  # nobody listens: skip building it (4 helicopters, 1 flying)
                msgs = stream.build()
                if msgs:
                    out.extend(zip(stream.publishers, msgs))
            return out

    def _run_jobs(self):
        while self._jobs:
            self._jobs.popleft()()

    def _pace(self):
        """Hold sim time to real_time_factor x wall time, running jobs while waiting."""
        rtf = self.real_time_factor
        if rtf <= 0:
            self._rt_anchor = None
            return
        now = time.monotonic()
        sim = self.engine.sim_time
        if self._rt_anchor is None or self._rt_anchor[2] != rtf:
            self._rt_anchor = (now, sim, rtf)
            return
        wall0, sim0, _ = self._rt_anchor
        target = wall0 + (sim - sim0) / rtf
        if now - target > 0.5:  # fell behind: do not burst to catch up
            self._rt_anchor = (now, sim, rtf)
            return
        while not self._stop.is_set():
            remaining = target - time.monotonic()
            if remaining <= 0:
                return
            if self._wake.wait(remaining):
                self._wake.clear()
                with self._lock:
                    self._run_jobs()

    def _submit(self, job):
        """Queue ``job`` for the stepping thread (it runs under the engine lock)."""
        self._jobs.append(job)
        self._wake.set()

    def _call(self, fn):
        """Run ``fn`` on the stepping thread and return its result (for services)."""
        if not self._thread.is_alive():
            with self._lock:
                return fn()
        done = threading.Event()
        box = {}

        def job():
            try:
                box['result'] = fn()
            except Exception as err:  # noqa: B902 - handed back to the caller
                box['error'] = err
            finally:
                done.set()
        self._submit(job)
        if not done.wait(JOB_TIMEOUT):
            raise TimeoutError('the stepping thread did not answer within {} s'.format(
                JOB_TIMEOUT))
        if 'error' in box:
            raise box['error']
        return box['result']

    def _command(self, what, fn):
        """Queue a command; log (never raise) if the engine refuses it."""
        def job():
            try:
                fn()
            except (KeyError, ValueError) as err:
                self.get_logger().warning('{} rejected: {}'.format(what, err))
        self._submit(job)

    # ------------------------------------------------------------------ command callbacks
    def _twist_callback(self, model, apply):
        """
        Return a cmd_vel callback: reject non-finite twists, else queue ``apply``.

        ``apply(model, linear (3,), angular (3,))`` runs on the stepping thread.
        """
        def callback(msg):
            try:
                linear, angular = ros_convert.twist(msg)
            except ValueError as err:
                self.get_logger().warning('{} cmd_vel rejected: {}'.format(model, err))
                return
            self._command(model + ' cmd_vel', lambda: apply(model, linear, angular))
        return callback

    def _helicopter_enable_callback(self, model):
        def callback(msg):
            enabled = bool(msg.data)
            self._command(model + ' enable',
                          lambda: self.engine.set_helicopter_enabled(model, enabled))
        return callback

    def _joint_position_callback(self, model, joint, topic):
        def callback(msg):
            try:
                position = ros_convert.finite(msg.data, topic)
            except ValueError as err:
                self.get_logger().warning('{} rejected: {}'.format(topic, err))
                return
            self._command(topic, lambda: self.engine.set_joint_position(model, joint, position))
        return callback

    def _trajectory_callback(self, topic, model, joints):
        def callback(msg):
            try:
                names, points = ros_convert.trajectory(msg, joints)
            except ValueError as err:
                self.get_logger().warning('{} rejected: {}'.format(topic, err))
                return
            self._command(topic, lambda: self.engine.set_joint_trajectory(model, names, points))
        return callback

    # ------------------------------------------------------------------ services
    def _attach(self, request, response):
        tube, carrier = request.tube, request.carrier
        tolerance = request.tolerance
        response.success = False
        if tube not in self.tube_names:
            response.error_code = AttachTube.Response.ERROR_UNKNOWN_TUBE
            response.error_msg = 'unknown tube {!r}'.format(tube)
        elif ros_convert.grasp_frame(carrier, self.engine.model_names) is None:
            response.error_code = AttachTube.Response.ERROR_UNKNOWN_CARRIER
            response.error_msg = 'unknown carrier {!r} (carriers are <model>::<link> of the ' \
                                 'world contract)'.format(carrier)
        elif not math.isfinite(tolerance) or tolerance < 0:
            response.error_code = AttachTube.Response.ERROR_INVALID_TOLERANCE
            response.error_msg = 'tolerance must be a finite distance >= 0 m, got {}'.format(
                tolerance)
        else:
            frame = ros_convert.grasp_frame(carrier, self.engine.model_names)
            tolerance = tolerance or handoff.DEFAULT_TOLERANCE

            def attach():
                if self.engine.carrier_of(tube) == frame:
                    return None
                return self.engine.attach(tube, frame, tolerance=tolerance)
            try:
                result = self._call(attach)
            except TimeoutError as err:
                response.error_code = AttachTube.Response.ERROR_OUT_OF_TOLERANCE
                response.error_msg = str(err)
                result = False
            if result is None:
                response.error_code = AttachTube.Response.ERROR_ALREADY_ATTACHED
                response.error_msg = '{} is already attached to {}'.format(tube, carrier)
            elif result:
                response.success = result.success
                response.distance = float(result.distance)
                response.error_code = {
                    handoff.OK: AttachTube.Response.ERROR_NONE,
                    handoff.UNKNOWN_PAYLOAD: AttachTube.Response.ERROR_UNKNOWN_TUBE,
                    handoff.UNKNOWN_CARRIER: AttachTube.Response.ERROR_UNKNOWN_CARRIER,
                    handoff.SAME_BODY: AttachTube.Response.ERROR_UNKNOWN_CARRIER,
                }.get(result.error_code, AttachTube.Response.ERROR_OUT_OF_TOLERANCE)
                response.error_msg = result.error_msg.replace(frame, carrier)
                if result.success and result.previous_carrier:
                    self.get_logger().info('{} handed over from {} to {}'.format(
                        tube, ros_convert.carrier_name(result.previous_carrier), carrier))
        if response.success:
            self.get_logger().info('attached {} to {} ({:.3f} m from the grasp point)'.format(
                tube, carrier, response.distance))
        else:
            self.get_logger().warning('attach {} to {} refused: {}'.format(
                tube, carrier, response.error_msg))
        return response

    def _detach(self, request, response):
        tube = request.tube
        response.success = False
        if tube not in self.tube_names:
            response.error_code = DetachTube.Response.ERROR_UNKNOWN_TUBE
            response.error_msg = 'unknown tube {!r}'.format(tube)
        else:
            try:
                result = self._call(lambda: self.engine.detach(tube))
            except TimeoutError as err:
                result = handoff.HandoffResult(False, handoff.NOT_ATTACHED, str(err))
            response.success = result.success
            response.error_code = {
                handoff.OK: DetachTube.Response.ERROR_NONE,
                handoff.UNKNOWN_PAYLOAD: DetachTube.Response.ERROR_UNKNOWN_TUBE,
            }.get(result.error_code, DetachTube.Response.ERROR_NOT_ATTACHED)
            response.error_msg = result.error_msg
            response.released_from = ros_convert.carrier_name(result.previous_carrier)
        if response.success:
            self.get_logger().info('detached {} from {}'.format(tube, response.released_from))
        else:
            self.get_logger().warning('detach {} refused: {}'.format(tube, response.error_msg))
        return response

    # ------------------------------------------------------------------ parameters, shutdown
    def _on_set_parameters(self, params):
        for param in params:
            if param.name == 'real_time_factor':
                self.real_time_factor = float(param.value)
                self._wake.set()
            elif param.name == 'cameras_enabled':
                self.cameras_enabled = bool(param.value)
                if self.cameras_enabled:
                    for stream in self.camera_streams:  # start from now, not from t = 0
                        stream.due = self.engine.sim_time
        return SetParametersResult(successful=True)

    def destroy_node(self):
        """Stop the stepping thread before the node's publishers go away."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)
        if self.context.ok():  # after SIGINT the context is gone, and with it /rosout
            self.get_logger().info('world stopped at {:.3f} s of sim time ({} steps)'.format(
                self.engine.sim_time, self.steps))
        return super().destroy_node()


def main(args=None):
    """
    Run the world node until SIGINT; exit 0 on a clean stop.

    Single-threaded executor: its callbacks only queue jobs (services wait for theirs, which
    the stepping thread runs without the executor). Measured at real_time_factor 0 with a
    client sending one cmd_vel per message it receives, the multi-threaded executor's GIL
    contention with the stepping thread cut the world from about 10x to 0.1-0.3x real time.
    """
    return spin_node(WorldNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
