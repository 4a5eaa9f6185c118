# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The world node: the embedded backend (engine.WorldEngine) serving the world contract.

Everything is derived from the plugins declared in the SDF, with the ROS names of
docs/world_contract.md (QoS: reliable, volatile, depth 10, both ways):

  pub  /clock                                   rosgraph_msgs/Clock      clock_rate (sim time)
  sub  /model/<m>/cmd_vel                        Twist        per DiffDrive (rover)
  pub  <OdometryPublisher odom_topic>            Odometry     its odom_publish_frequency
  pub  /model/<m>/joint_states                   JointState   per JointStatePublisher; its
                                                              update_rate, else joint_state_rate
  sub  <JointTrajectoryController topic>         JointTrajectory
  sub  /model/<m>/cmd_vel, /model/<m>/enable     Twist, Bool  per MulticopterVelocityControl
  sub  <JointPositionController topic>           Float64      e.g. /model/helicopter_1/arm/cmd_pos
  pub  <camera topic>, <...>/camera_info         Image, CameraInfo   when cameras_enabled
  pub  /world/tube_poses                         PoseArray    tube_pose_rate, tube order
  srv  /world/attach_tube, /world/detach_tube    perseverance_interfaces AttachTube, DetachTube

Threading: ``stepping.Stepper`` owns the engine on its own thread; the callbacks here only
validate and queue jobs for it. The attach/detach rules are ``handoff_service``'s.
"""

import time

from geometry_msgs.msg import Twist
from perseverance_interfaces.srv import AttachTube, DetachTube
from rcl_interfaces.msg import SetParametersResult
from rosgraph_msgs.msg import Clock
from std_msgs.msg import Bool, Float64
from trajectory_msgs.msg import JointTrajectory

from ..domain.package_data import share_path
from ..domain.validation import Refusal
from ..ros.contract import ATTACH_TUBE, CLOCK, CONTRACT_QOS, DETACH_TUBE, model_topic, TUBE_POSES
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.parameters import declare
from ..world import engine as engine_mod
from ..world import handoff_service, plugins, ros_convert
from ..world.handoff_service import Reply
from ..world.stepping import Stepper, Stream

JOB_TIMEOUT = 10.0  # s of wall time a service waits for the stepping thread


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
        real_time_factor = declare(
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

        self._camera_warned = False
        fatal = self.get_logger().fatal
        self.stepper = Stepper(self.engine, self._active_streams,
                               lambda err: fatal('stepping stopped: {!r}'.format(err)),
                               real_time_factor)
        self.streams = [Stream('clock', 1.0 / clock_rate,
                               lambda: [ros_convert.clock(self.engine.sim_time)],
                               [self._pub(Clock, CLOCK)], always=True)]
        self.trajectory_joints = {}  # topic -> (model, {local joint names})
        for em in self.engine.emulations:
            self._wire_emulation(em, joint_state_rate)
        for topic, (model, joints) in self.trajectory_joints.items():
            self._wire_trajectory(topic, model, joints)
        self._wire_tubes(tube_pose_rate)
        self._wire_cameras(camera_rate)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.stepper.start()
        self.get_logger().info('world ready: real_time_factor {}, cameras {}'.format(
            real_time_factor or 'unbounded', 'on' if self.cameras_enabled else 'off'))

    # ------------------------------------------------------------------ interfaces
    def _pub(self, msg_type, topic):
        return self.create_publisher(msg_type, topic, CONTRACT_QOS)

    def _sub(self, msg_type, topic, callback):
        return self.create_subscription(msg_type, topic, callback, CONTRACT_QOS)

    def _add_stream(self, name, period, build, msg_type, topic):
        self.streams.append(Stream(name, period, build, [self._pub(msg_type, topic)]))

    def _wire_emulation(self, em, joint_state_rate):
        """Create the topics of one emulated Gazebo system."""
        model = em.model_name
        if isinstance(em, plugins.DiffDrive):
            self._sub(Twist, em.topic, self._command_callback(
                model + ' cmd_vel', ros_convert.twist,
                lambda linear, angular: self.engine.set_cmd_vel(model, linear[0], angular[2])))
        elif isinstance(em, plugins.OdometryPublisher):
            self._add_stream('odometry ' + model, 1.0 / max(em.rate, 0.1),
                             lambda: [ros_convert.odometry(em.read(self.engine.sim_time))],
                             ros_convert.Odometry, em.topic)
        elif isinstance(em, plugins.JointStatePublisher):
            # Contract name, not em.topic: the helicopters keep gz's per-instance default
            # (/world/<w>/model/<m>/joint_state), which the bridge maps to this name.
            rate = em.update_rate if em.update_rate > 0 else joint_state_rate
            self._add_stream('joint states ' + model, 1.0 / rate,
                             lambda: [ros_convert.joint_state(em.read(self.engine.sim_time))],
                             ros_convert.JointState, model_topic(model, 'joint_states'))
        elif isinstance(em, plugins.JointTrajectoryController):
            joints = {j[len(model) + 2:] for j in em.joints}
            self.trajectory_joints.setdefault(em.topic, (model, set()))[1].update(joints)
        elif isinstance(em, plugins.MulticopterVelocityControl):
            # Contract names /model/<m>/... (gz listens under robotNamespace; bridge maps).
            self._sub(Twist, model_topic(model, 'cmd_vel'), self._command_callback(
                model + ' cmd_vel', ros_convert.twist,
                lambda linear, angular: self.engine.set_helicopter_velocity(
                    model, linear, angular[2])))
            self._sub(Bool, model_topic(model, 'enable'), self._command_callback(
                model + ' enable', lambda msg: (bool(msg.data),),
                lambda enabled: self.engine.set_helicopter_enabled(model, enabled)))
        elif isinstance(em, plugins.JointPositionController):
            joint = em.joints[0]
            self._sub(Float64, em.topic, self._command_callback(
                em.topic, lambda msg: (ros_convert.finite(msg.data, em.topic),),
                lambda position: self.engine.set_joint_position(model, joint, position)))

    def _wire_trajectory(self, topic, model, joints):
        self._sub(JointTrajectory, topic, self._command_callback(
            topic, lambda msg: ros_convert.trajectory(msg, joints),
            lambda names, points: self.engine.set_joint_trajectory(model, names, points)))

    def _wire_tubes(self, tube_pose_rate):
        self.tube_names = handoff_service.tube_order(self.engine.tube_names)
        if self.tube_names:
            self._add_stream('tube poses', 1.0 / tube_pose_rate, self._build_tube_poses,
                             ros_convert.PoseArray, TUBE_POSES)
            self.create_service(AttachTube, ATTACH_TUBE, self._attach)
            self.create_service(DetachTube, DETACH_TUBE, self._detach)

    def _wire_cameras(self, camera_rate):
        self.camera_streams = []
        for full, sensor in self.engine.conversion.cameras.items():
            image_topic, info_topic, frame_id = ros_convert.camera_topics(sensor)
            rate = camera_rate or sensor.update_rate or 10.0
            self.camera_streams.append(Stream(
                'camera ' + full, 1.0 / rate, self._camera_builder(full, frame_id),
                [self._pub(ros_convert.Image, image_topic),
                 self._pub(ros_convert.CameraInfo, info_topic)]))
        if self.cameras_enabled and not self.engine.cameras_enabled:
            self.get_logger().warning('cameras_enabled, but the world declares no Sensors '
                                      'system: no images')

    def _active_streams(self):
        return self.streams + (self.camera_streams if self.cameras_enabled else [])

    # ------------------------------------------------------------------ builders (locked)
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

    # ------------------------------------------------------------------ command callbacks
    def _command_callback(self, what, parse, apply):
        """
        Return a subscription callback queueing ``apply(*parse(msg))`` for the stepping thread.

        A ``ValueError`` from ``parse`` (NaN, unknown joints) drops the message; a ``KeyError``
        or ``ValueError`` from ``apply`` (the engine refuses) is caught. Both are logged.
        """
        def job(args):
            try:
                apply(*args)
            except (KeyError, ValueError) as err:
                self.get_logger().warning('{} rejected: {}'.format(what, err))

        def callback(msg):
            try:
                args = parse(msg)
            except ValueError as err:
                self.get_logger().warning('{} rejected: {}'.format(what, err))
                return
            self.stepper.submit(lambda: job(args))
        return callback

    # ------------------------------------------------------------------ services
    def _attach(self, request, response):
        tube, carrier = request.tube, request.carrier
        try:
            frame, tolerance = handoff_service.check_attach(
                tube, carrier, request.tolerance, self.tube_names, self.engine.model_names)
            result = self.stepper.call(
                lambda: handoff_service.attach(self.engine, tube, frame, tolerance), JOB_TIMEOUT)
            reply = handoff_service.attach_reply(result, tube, carrier, frame)
        except Refusal as refusal:
            reply = Reply(code=refusal.code, message=refusal.message)
        except TimeoutError as err:
            reply = Reply(code='OUT_OF_TOLERANCE', message=str(err))
        response.distance = reply.distance
        if reply.handed_over_from:
            self.get_logger().info('{} handed over from {} to {}'.format(
                tube, reply.handed_over_from, carrier))
        if self._answer(response, reply):
            self.get_logger().info('attached {} to {} ({:.3f} m from the grasp point)'.format(
                tube, carrier, response.distance))
        else:
            self.get_logger().warning('attach {} to {} refused: {}'.format(
                tube, carrier, response.error_msg))
        return response

    def _detach(self, request, response):
        tube = request.tube
        try:
            handoff_service.check_tube(tube, self.tube_names)
            reply = handoff_service.detach_reply(
                self.stepper.call(lambda: self.engine.detach(tube), JOB_TIMEOUT))
        except Refusal as refusal:
            reply = Reply(code=refusal.code, message=refusal.message)
        except TimeoutError as err:
            reply = Reply(code='NOT_ATTACHED', message=str(err))
        response.released_from = reply.released_from
        if self._answer(response, reply):
            self.get_logger().info('detached {} from {}'.format(tube, response.released_from))
        else:
            self.get_logger().warning('detach {} refused: {}'.format(tube, response.error_msg))
        return response

    @staticmethod
    def _answer(response, reply):
        """Copy success, error code and message of ``reply``; return the success."""
        response.success = reply.success
        response.error_code = getattr(type(response), 'ERROR_' + reply.code)
        response.error_msg = reply.message
        return reply.success

    # ------------------------------------------------------------------ parameters, shutdown
    def _on_set_parameters(self, params):
        for param in params:
            if param.name == 'real_time_factor':
                self.stepper.real_time_factor = float(param.value)
                self.stepper.wake()
            elif param.name == 'cameras_enabled':
                self.cameras_enabled = bool(param.value)
                if self.cameras_enabled:
                    for stream in self.camera_streams:  # start from now, not from t = 0
                        stream.due = self.engine.sim_time
        return SetParametersResult(successful=True)

    def destroy_node(self):
        """Stop the stepping thread before the node's publishers go away."""
        self.stepper.stop()
        if self.context.ok():  # after SIGINT the context is gone, and with it /rosout
            self.get_logger().info('world stopped at {:.3f} s of sim time ({} steps)'.format(
                self.engine.sim_time, self.stepper.steps))
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
