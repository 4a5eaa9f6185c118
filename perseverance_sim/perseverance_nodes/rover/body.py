# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The rover's body on the world contract: base, steering, arm and odometry (rclpy wiring).

``RoverBody`` owns everything that moves the rover model: the safety filter in front of the
world's cmd_vel, the corner steering, the arm trajectory topic, the latest odometry and arm joint
states, and the one-action-at-a-time lock. Teleop commands (/rover/cmd_vel, /rover/arm/named_pose)
pass through it while no action holds the rover; its watchdog stops the rover when they stop.
"""

from contextlib import contextmanager
import threading

from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64, String
from trajectory_msgs.msg import JointTrajectory

from .arm import ARM_JOINTS, arm_move_duration, arm_pose, ARM_POSES
from .logic import corner_steering, CORNER_WHEELS, DriveSafetyFilter
from .ros_io import arm_trajectory, pose2d
from ..domain.validation import ConfigError, Refusal
from ..ros.contract import (CONTRACT_QOS, model_topic, ROVER_ARM_NAMED_POSE,
                            ROVER_ARM_TRAJECTORY, ROVER_CMD_VEL, ROVER_JOINT_STATES,
                            ROVER_ODOMETRY, ROVER_TELEOP_CMD_VEL)
from ..ros.stamps import clock_seconds

ODOMETRY_WAIT = 10.0   # s of wall time for the world's first odometry
REST_SPEED = 0.01      # m/s and rad/s: below this the rover counts as stopped
MIN_ARM_SECONDS = 1.0  # s: the shortest arm move the body sends on its own timing
WATCHDOG_PERIOD = 0.1  # s between watchdog looks


class RoverBody:
    """Base, arm and odometry of the rover model, for teleop and for one action at a time."""

    def __init__(self, node, limits, watchdog_timeout, duration_scale, nominal_arm_move):
        """Create the world-contract publishers and subscriptions and the teleop inputs."""
        self.node, self.limits, self.watchdog_timeout = node, limits, watchdog_timeout
        self.duration_scale, self.nominal_arm_move = duration_scale, nominal_arm_move
        self.filter = DriveSafetyFilter(limits)
        self._base_lock = threading.Lock()    # the filter and the world cmd_vel publisher
        self._motion_lock = threading.Lock()  # one action at a time owns base and arm
        self.motion = None                    # name of the action that holds the rover
        self._teleop_last = None   # sim time of the last teleop command passed on
        self._teleop_moving = False
        self.odometry = None
        self._odometry_seen = threading.Event()
        self._arm = {}
        self._steering = None  # corner angles last sent (rad); None before the first command
        self.cmd_pub = node.create_publisher(Twist, ROVER_CMD_VEL, CONTRACT_QOS)
        self.steer_pubs = {corner: node.create_publisher(
            Float64, model_topic('perseverance', f'steer_{corner}/cmd_pos'), CONTRACT_QOS)
            for corner in CORNER_WHEELS}
        self.arm_pub = node.create_publisher(JointTrajectory, ROVER_ARM_TRAJECTORY, CONTRACT_QOS)
        node.create_subscription(Odometry, ROVER_ODOMETRY, self._on_odometry, CONTRACT_QOS)
        node.create_subscription(JointState, ROVER_JOINT_STATES, self._on_joint_states,
                                 CONTRACT_QOS)
        node.create_subscription(Twist, ROVER_TELEOP_CMD_VEL, self._on_cmd_vel, 10)
        node.create_subscription(String, ROVER_ARM_NAMED_POSE, self._on_named_pose, 10)
        node.create_timer(WATCHDOG_PERIOD, self._watchdog)

    def now(self):
        """Return the node's sim time (s)."""
        return clock_seconds(self.node.get_clock())

    # -- world contract in -----------------------------------------------------------------

    def _on_odometry(self, msg):
        self.odometry = msg
        self._odometry_seen.set()

    def _on_joint_states(self, msg):
        arm = dict(self._arm)
        for name, position in zip(msg.name, msg.position):
            if name in ARM_JOINTS:
                arm[name] = position
        self._arm = arm

    def pose(self):
        """Return (Pose2D, z) from the latest odometry; Refusal WORLD without odometry."""
        if self.odometry is None and not self._odometry_seen.wait(ODOMETRY_WAIT):
            raise Refusal('WORLD', 'no odometry on {} within {:.0f} s'.format(
                ROVER_ODOMETRY, ODOMETRY_WAIT))
        pose = self.odometry.pose.pose
        return pose2d(pose), pose.position.z

    def at_rest(self):
        """Return True if the odometry's twist is below REST_SPEED."""
        twist = self.odometry.twist.twist
        return abs(twist.linear.x) < REST_SPEED and abs(twist.angular.z) < REST_SPEED

    # -- teleop ------------------------------------------------------------------------------

    def _on_cmd_vel(self, msg):
        now = self.now()
        logger = self.node.get_logger()
        if self.motion is not None:
            logger.warning('/rover/cmd_vel ignored: {} drives the rover'.format(self.motion),
                           throttle_duration_sec=2.0)
            return
        with self._base_lock:
            command = self.filter.apply(msg.linear.x, msg.angular.z, now)
            self._publish_base(command.linear, command.angular)
            self._teleop_last = now
            self._teleop_moving = bool(command.linear or command.angular)
        for violation in command.violations:
            if 'not finite' in violation:
                logger.error('/rover/cmd_vel rejected: ' + violation)
            else:
                logger.warning('/rover/cmd_vel: ' + violation, throttle_duration_sec=2.0)

    def _watchdog(self):
        """Stop the rover when teleop commands stop (an action drives on its own)."""
        if self.motion is not None or not self._teleop_moving or self._teleop_last is None:
            return
        silent = self.now() - self._teleop_last
        if silent > self.watchdog_timeout:
            with self._base_lock:
                self._halt_locked()
            self.node.get_logger().warning('watchdog: no /rover/cmd_vel for {:.2f} s of sim '
                                           'time: stopping'.format(silent))

    def _on_named_pose(self, msg):
        logger = self.node.get_logger()
        if self.motion is not None:
            logger.warning('arm pose {!r} ignored: {} moves the arm'.format(
                msg.data, self.motion))
            return
        try:
            goal = arm_pose(msg.data.strip())
        except ConfigError as error:
            logger.warning('arm pose refused: {}'.format(error))
            return
        seconds = self.send_arm(goal)
        logger.info('arm to {!r} in {:.1f} s'.format(msg.data.strip(), seconds))

    # -- base and arm out ----------------------------------------------------------------------

    def _publish_base(self, linear, angular):
        """Steer the corner wheels along the commanded arc, then send the twist."""
        angles = corner_steering(linear, angular, self._steering)
        for corner, angle in angles.items():
            if self._steering is None or abs(angle - self._steering[corner]) > 1e-3:
                self.steer_pubs[corner].publish(Float64(data=angle))
        self._steering = angles
        msg = Twist()
        msg.linear.x, msg.angular.z = float(linear), float(angular)
        self.cmd_pub.publish(msg)

    def _halt_locked(self):
        self.filter.reset()
        self._publish_base(0.0, 0.0)
        self._teleop_moving = False

    def halt(self):
        """Stop at once (the world's DiffDrive still limits the deceleration)."""
        with self._base_lock:
            self._halt_locked()

    def drive(self, linear, angular):
        """Send an action's command through the safety filter; return what was sent."""
        with self._base_lock:
            command = self.filter.apply(linear, angular, self.now())
            self._publish_base(command.linear, command.angular)
        return command

    def _arm_positions(self):
        if all(name in self._arm for name in ARM_JOINTS):
            return tuple(self._arm[name] for name in ARM_JOINTS)
        return ARM_POSES['stow']  # the model's initial pose until joint states arrive

    def send_arm(self, positions, seconds=None):
        """Send the arm to ``positions`` (in ``seconds``, default its scaled move time)."""
        if seconds is None:
            try:
                seconds = arm_move_duration(self._arm_positions(), positions)
            except ConfigError:  # a joint state slightly past a limit (PID overshoot)
                seconds = self.nominal_arm_move
            seconds = max(seconds * self.duration_scale, MIN_ARM_SECONDS)
        self.arm_pub.publish(arm_trajectory(positions, seconds))
        return seconds

    @contextmanager
    def exclusive(self, name):
        """Own base and arm for one action; Refusal if another action holds them."""
        if not self._motion_lock.acquire(blocking=False):
            raise Refusal('INVALID_GOAL', 'the rover is busy with {}; one action at a time'
                          .format(self.motion))
        self.motion = name
        try:
            self.halt()
            yield
        finally:
            self.halt()
            self.motion = None
            self._motion_lock.release()
