# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The teleop node against a stand-in rover: limits, goals from the keyboard thread, disabling.

The teleop drives within the limits the rover node applies, read from the rover's parameters.

rclpy's ActionClient keeps no lock: a goal sent from a thread other than the executor's can have
its response dropped as "unexpected", and the sender then waits for ever (seen once, in
mission_control, on a loaded 2-core machine). The driver hands its goals to the executor
(LeanNode.run_on_executor). The race itself is too rare to provoke on demand; this test checks
that goals sent from another thread, many in a row with the GIL handed over as often as
possible, each come back with their result.

The viewer disables its RoverDriver while mission_control runs a campaign: the rover is stopped
once, then nothing is published and every command that would move it is refused with the reason.
"""

import math
import sys
import threading
import time

from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from perseverance_interfaces.action import CollectSample
from perseverance_nodes.domain.driving import ARM, COLLECT, Command, DEPOSIT, LINEAR, STOP
from perseverance_nodes.domain.facts import load_mission_facts
from perseverance_nodes.ros import rover_driver
from perseverance_nodes.runner.domain_lease import DomainLease
from perseverance_nodes.teleop.node import TeleopNode
import pytest
import rclpy
from rclpy.action import ActionServer
from rclpy.executors import SingleThreadedExecutor
from std_msgs.msg import String

GOALS = 100
WALL_TIMEOUT = 10.0
# The stand-in rover's safety filter: 0 means the mission facts' limit, as in the rover node.
ROVER_PARAMETERS = {'max_linear_speed': 0.0, 'max_angular_speed': 0.3, 'max_linear_accel': 0.2,
                    'max_angular_accel': 0.0, 'facts_file': ''}


class _Rover:
    """What the stand-in rover has: its CollectSample server, odometry and what it heard."""

    def __init__(self, node, execute):
        self.received, self.twists, self.poses = [], [], []
        for name, value in ROVER_PARAMETERS.items():
            node.declare_parameter(name, value)
        self.server = ActionServer(node, CollectSample, '/rover/collect_sample', execute)
        self.odometry = node.create_publisher(Odometry, '/model/perseverance/odometry', 10)
        node.create_subscription(Twist, '/rover/cmd_vel', self.twists.append, 10)
        node.create_subscription(String, '/rover/arm/named_pose', self.poses.append, 10)

    def publish_fix(self):
        """Publish odometry 3 m east of Roubion."""
        fix = Odometry()
        fix.pose.pose.position.x, fix.pose.pose.position.y = 23.0, 12.0
        fix.pose.pose.orientation.w = 1.0
        self.odometry.publish(fix)


@pytest.fixture
def teleop():
    """Spin a teleop node and a stand-in rover (parameters, CollectSample, odometry, ears)."""
    lease = DomainLease()
    rclpy.init(domain_id=lease.domain_id)  # the teleop node lives in the default context

    def execute(goal_handle):
        rover.received.append(goal_handle.request.rock)
        goal_handle.succeed()
        return CollectSample.Result(success=True, tube_ids=['tube_01', 'tube_02'],
                                    designations=['A', 'B'], core_lengths=[0.06, 0.06])
    node = TeleopNode()
    rover_node = rclpy.create_node('rover')  # its parameter service: /rover/get_parameters
    rover = _Rover(rover_node, execute)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    executor.add_node(rover_node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    try:
        yield node, rover
    finally:
        executor.shutdown(timeout_sec=2.0)
        spinner.join(timeout=2.0)
        node.destroy_node()
        rover_node.destroy_node()
        rclpy.try_shutdown()
        lease.release()


def _wait(predicate, describe):
    """Wait for ``predicate``; ``describe`` (text, or a function giving it) says what failed."""
    deadline = time.monotonic() + WALL_TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline, describe() if callable(describe) else describe
        time.sleep(0.005)


def _wait_ready(driver, rover):
    """Wait for odometry and the CollectSample server (as the driver sees them)."""
    def ready():
        rover.publish_fix()
        return driver.pose is not None and '/rover/collect_sample' not in driver.missing
    _wait(ready, lambda: 'odometry and the stand-in CollectSample server: missing {}'.format(
        driver.missing))


def test_every_goal_sent_from_the_keyboard_thread_gets_its_result(teleop):
    """Many collect goals in a row from this (non-executor) thread all end with OK."""
    node, rover = teleop
    driver = node.driver
    _wait_ready(driver, rover)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over often, so that responses race the sender
    try:
        for number in range(1, GOALS + 1):
            driver.on_command(Command(COLLECT))
            _wait(lambda: not driver.busy and ': OK' in driver.action,
                  lambda: 'goal {} of {} never came back: busy {}, action {!r}, the server '
                  'got {}'.format(number, GOALS, driver.busy, driver.action, len(rover.received)))
            driver.action = ''
    finally:
        sys.setswitchinterval(switch)
    assert rover.received == ['roubion'] * GOALS


def test_the_teleop_drives_within_the_limits_the_rover_node_applies(teleop):
    """The rover's parameters (0 = mission facts) become the limits shown and the top speeds."""
    node, _ = teleop
    driver = node.driver
    facts = load_mission_facts(None).rover
    _wait(lambda: driver.limits.source == 'read from the rover node', "the rover's parameters")
    limits = driver.limits
    assert (limits.linear, limits.angular, limits.linear_accel, limits.angular_accel) == (
        facts.max_linear_speed, 0.3, 0.2, facts.max_angular_accel)
    assert (driver.state.max_linear, driver.state.max_angular) == (facts.max_linear_speed, 0.3)
    for _ in range(10):
        driver.on_command(Command(LINEAR, 1))
    assert driver.state.linear == pytest.approx(facts.max_linear_speed)
    text = '\n'.join(node.screen(False, 120))
    assert 'rover limits 0.042 m/s  0.300 rad/s  accel 0.200 m/s2' in text
    assert '(read from the rover node)' in text
    assert 'arm          no pose sent yet (keys 1-5)' in text


def test_a_top_speed_set_while_running_stays_within_the_rover_limit(teleop):
    """The viewer's slider: a lower cap clamps the speed, a higher one stops at the limit."""
    node, _ = teleop
    driver = node.driver
    limit = load_mission_facts(None).rover.max_linear_speed
    _wait(lambda: driver.limits.source == 'read from the rover node', "the rover's parameters")
    for _ in range(10):
        driver.on_command(Command(LINEAR, 1))
    driver.set_top_speed(0.02)
    assert (driver.state.max_linear, driver.state.linear) == (0.02, 0.02)
    assert driver.state.max_angular == 0.3  # the turn rate keeps its own cap
    driver.set_top_speed(1.0)
    assert (driver.state.max_linear, driver.state.linear) == (limit, 0.02)
    driver.set_top_speed(0.0)  # 0: no cap, the rover's limit
    assert driver.state.max_linear == limit
    for bad in (-0.1, math.nan, '0.1'):
        with pytest.raises(ValueError, match='top speed'):
            driver.set_top_speed(bad)


def test_a_goal_the_rover_never_answers_is_given_up_with_a_message(teleop, monkeypatch):
    """The server goes away just after it was seen: the goal is sent, given up and said so."""
    node, rover = teleop
    driver = node.driver
    monkeypatch.setattr(rover_driver, 'GOAL_RESPONSE_TIMEOUT', 1.0)
    _wait_ready(driver, rover)
    rover.server.destroy()  # gone, but seen within SeenReady's grace: the goal is still sent
    driver.on_command(Command(COLLECT))
    _wait(lambda: 'no answer' in driver.action or ': OK' in driver.action,
          lambda: 'neither an answer nor a give-up: {!r}'.format(driver.action))
    assert 'no answer in 1 s (is the rover node running?)' in driver.action
    assert not driver.busy and rover.received == []


def test_a_disabled_driver_stops_the_rover_once_then_refuses_and_publishes_nothing(teleop):
    """Disabled while driving: three zero twists, then refusals with the reason and silence."""
    node, rover = teleop
    driver = node.driver
    _wait_ready(driver, rover)
    driver.on_command(Command(LINEAR, 1))
    driver.publish_twist()
    _wait(lambda: rover.twists and rover.twists[-1].linear.x > 0.0, 'the drive twist')
    driver.set_enabled(False, 'mission_control runs a campaign')
    assert not driver.enabled and driver.state.linear == 0.0
    _wait(lambda: len(rover.twists) >= 1 + rover_driver.STOP_REPEATS, 'the stop twists')
    driver.set_enabled(False, 'still the campaign')  # no second stop
    for command in (Command(LINEAR, 1), Command(STOP), Command(ARM, 'ready'), Command(COLLECT),
                    Command(DEPOSIT)):
        driver.action = ''
        driver.on_command(command)
        assert driver.action == 'driving is disabled: still the campaign', command
    for _ in range(5):
        driver.publish_twist()
    driver.stop()  # on quit: the rover is someone else's, nothing is sent
    time.sleep(1.0)  # silence cannot be waited for: give any stray message time to arrive
    step = load_mission_facts(None).rover.max_linear_speed / driver.state.steps
    assert [t.linear.x for t in rover.twists] == [pytest.approx(step)] + [0.0] * 3
    assert rover.poses == [] and rover.received == [] and not driver.busy
    assert driver.state.linear == 0.0

    driver.set_enabled(True)
    driver.on_command(Command(ARM, 'ready'))
    _wait(lambda: [p.data for p in rover.poses] == ['ready'], 'the arm pose once enabled again')
    assert driver.action == 'arm -> ready'
