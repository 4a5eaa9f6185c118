# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The teleop node against a stand-in rover: its limits, and goals sent from the keyboard thread.

The teleop drives within the limits the rover node applies, read from the rover's parameters.

rclpy's ActionClient keeps no lock: a goal sent from a thread other than the executor's can have
its response dropped as "unexpected", and the sender then waits for ever (seen once, in
mission_control, on a loaded 2-core machine). The node hands its goals to the executor
(LeanNode.run_on_executor). The race itself is too rare to provoke on demand; this test checks
that goals sent from another thread, many in a row with the GIL handed over as often as
possible, each come back with their result.
"""

import sys
import threading
import time

from nav_msgs.msg import Odometry
from perseverance_interfaces.action import CollectSample
from perseverance_nodes.domain.facts import load_mission_facts
from perseverance_nodes.runner.domain_lease import DomainLease
from perseverance_nodes.teleop import keymap
from perseverance_nodes.teleop import node as teleop_node
from perseverance_nodes.teleop.node import TeleopNode
import pytest
import rclpy
from rclpy.action import ActionServer
from rclpy.executors import SingleThreadedExecutor

GOALS = 100
WALL_TIMEOUT = 10.0
# The stand-in rover's safety filter: 0 means the mission facts' limit, as in the rover node.
ROVER_PARAMETERS = {'max_linear_speed': 0.0, 'max_angular_speed': 0.3, 'max_linear_accel': 0.2,
                    'max_angular_accel': 0.0, 'facts_file': ''}


@pytest.fixture
def teleop():
    """Spin a teleop node and a stand-in rover (parameters, CollectSample, odometry)."""
    lease = DomainLease()
    rclpy.init(domain_id=lease.domain_id)  # the teleop node lives in the default context
    received = []

    def execute(goal_handle):
        received.append(goal_handle.request.rock)
        goal_handle.succeed()
        return CollectSample.Result(success=True, tube_ids=['tube_01', 'tube_02'],
                                    designations=['A', 'B'], core_lengths=[0.06, 0.06])
    node = TeleopNode()
    rover = rclpy.create_node('rover')  # its parameter service: /rover/get_parameters
    for name, value in ROVER_PARAMETERS.items():
        rover.declare_parameter(name, value)
    server = ActionServer(rover, CollectSample, '/rover/collect_sample', execute)
    odometry = rover.create_publisher(Odometry, '/model/perseverance/odometry', 10)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    executor.add_node(rover)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    try:
        yield node, received, odometry, server
    finally:
        executor.shutdown(timeout_sec=2.0)
        spinner.join(timeout=2.0)
        node.destroy_node()
        rover.destroy_node()
        rclpy.try_shutdown()
        lease.release()


def _wait(predicate, describe):
    """Wait for ``predicate``; ``describe`` (text, or a function giving it) says what failed."""
    deadline = time.monotonic() + WALL_TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline, describe() if callable(describe) else describe
        time.sleep(0.005)


def test_every_goal_sent_from_the_keyboard_thread_gets_its_result(teleop):
    """Many collect goals in a row from this (non-executor) thread all end with OK."""
    node, received, odometry, _ = teleop
    fix = Odometry()
    fix.pose.pose.position.x, fix.pose.pose.position.y = 23.0, 12.0  # 3 m east of Roubion
    fix.pose.pose.orientation.w = 1.0

    def ready():
        odometry.publish(fix)
        return node.pose is not None and node.collect_client.server_is_ready()
    _wait(ready, 'odometry and the stand-in CollectSample server')
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over often, so that responses race the sender
    try:
        for number in range(1, GOALS + 1):
            node.on_command(keymap.Command(keymap.COLLECT))
            _wait(lambda: node.goal is None and ': OK' in node.action,
                  lambda: 'goal {} of {} never came back: goal {!r}, action {!r}, the server '
                  'got {}'.format(number, GOALS, node.goal, node.action, len(received)))
            node.action = ''
    finally:
        sys.setswitchinterval(switch)
    assert received == ['roubion'] * GOALS


def test_the_teleop_drives_within_the_limits_the_rover_node_applies(teleop):
    """The rover's parameters (0 = mission facts) become the limits shown and the top speeds."""
    node, _, _, _ = teleop
    facts = load_mission_facts(None).rover
    _wait(lambda: node.limits_read, "the rover's parameters")
    limits = node.limits
    assert (limits.linear, limits.angular, limits.linear_accel, limits.angular_accel) == (
        facts.max_linear_speed, 0.3, 0.2, facts.max_angular_accel)
    assert (node.state.max_linear, node.state.max_angular) == (facts.max_linear_speed, 0.3)
    for _ in range(10):
        node.on_command(keymap.Command(keymap.LINEAR, 1))
    assert node.state.linear == pytest.approx(facts.max_linear_speed)
    text = '\n'.join(node.screen(False, 120))
    assert 'rover limits 0.042 m/s  0.300 rad/s  accel 0.200 m/s2' in text
    assert '(read from the rover node)' in text


def test_a_goal_the_rover_never_answers_is_given_up_with_a_message(teleop, monkeypatch):
    """The server goes away just after it was seen: the goal is sent, given up and said so."""
    node, received, odometry, server = teleop
    monkeypatch.setattr(teleop_node, 'GOAL_RESPONSE_TIMEOUT', 1.0)
    fix = Odometry()
    fix.pose.pose.position.x, fix.pose.pose.position.y = 23.0, 12.0
    fix.pose.pose.orientation.w = 1.0

    def ready():
        odometry.publish(fix)
        return node.pose is not None and node._server_ready(node.collect_client)
    _wait(ready, 'odometry and the stand-in CollectSample server')
    server.destroy()  # gone, but seen within SERVER_GRACE: the goal is still sent
    node.on_command(keymap.Command(keymap.COLLECT))
    _wait(lambda: 'no answer' in node.action or ': OK' in node.action,
          lambda: 'neither an answer nor a give-up: {!r}'.format(node.action))
    assert 'no answer in 1 s (is the rover node running?)' in node.action
    assert node.goal is None and received == []
