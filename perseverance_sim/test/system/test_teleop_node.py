# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The teleop node sends its goals from the keyboard thread while another thread spins it.

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
from perseverance_nodes.runner.domain_lease import DomainLease
from perseverance_nodes.teleop import keymap
from perseverance_nodes.teleop.node import _make_node
import pytest
import rclpy
from rclpy.action import ActionServer
from rclpy.executors import SingleThreadedExecutor

GOALS = 100
WALL_TIMEOUT = 10.0


@pytest.fixture
def teleop():
    """Spin a teleop node and a stand-in rover (CollectSample, odometry) in a thread."""
    lease = DomainLease()
    rclpy.init(domain_id=lease.domain_id)  # the teleop node lives in the default context
    received = []

    def execute(goal_handle):
        received.append(goal_handle.request.rock)
        goal_handle.succeed()
        return CollectSample.Result(success=True, tube_ids=['tube_01', 'tube_02'],
                                    designations=['A', 'B'], core_lengths=[0.06, 0.06])
    node = _make_node()
    rover = rclpy.create_node('stand_in_rover')
    ActionServer(rover, CollectSample, '/rover/collect_sample', execute)
    odometry = rover.create_publisher(Odometry, '/model/perseverance/odometry', 10)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    executor.add_node(rover)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    try:
        yield node, received, odometry
    finally:
        executor.shutdown(timeout_sec=2.0)
        spinner.join(timeout=2.0)
        node.destroy_node()
        rover.destroy_node()
        rclpy.try_shutdown()
        lease.release()


def _wait(predicate, describe):
    deadline = time.monotonic() + WALL_TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline, describe
        time.sleep(0.005)


def test_every_goal_sent_from_the_keyboard_thread_gets_its_result(teleop):
    """Many collect goals in a row from this (non-executor) thread all end with OK."""
    node, received, odometry = teleop
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
                  'goal {} of {} never came back: {!r}'.format(number, GOALS, node.action))
            node.action = ''
    finally:
        sys.setswitchinterval(switch)
    assert received == ['roubion'] * GOALS
