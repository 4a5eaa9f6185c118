# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
launch_testing version of the CacheSample system test, for ROS 2 workstations and ROS CI.

Run with `colcon test` or `launch_test test/launch/test_caching_launch.py`. Where launch_testing
is not installed (the PyPI venv), pytest skips this file with the reason below; the same scenario
runs there through the process harness (test/system/test_caching_action.py).
"""

import os
import unittest

import pytest

launch_testing = pytest.importorskip(
    'launch_testing', reason='launch_testing is not installed (it ships with ROS 2 workstations, '
    'not with the PyPI wheels); test/system/ covers the same scenario with real processes')

import launch  # noqa: E402, I100
import launch_ros.actions  # noqa: E402
import launch_testing.actions  # noqa: E402
import launch_testing.asserts  # noqa: E402
from perseverance_interfaces.action import CacheSample  # noqa: E402
from perseverance_interfaces.msg import TubeInventory, TubeState  # noqa: E402
import rclpy  # noqa: E402
from rclpy.action import ActionClient  # noqa: E402
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy  # noqa: E402

os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                     reliability=ReliabilityPolicy.RELIABLE)


@pytest.mark.launch_test
def generate_test_description():
    """Start the caching assembly with fast stations."""
    caching = launch_ros.actions.Node(
        package='perseverance_sim', executable='caching_assembly', name='caching_assembly',
        parameters=[{'duration_scale': 0.01, 'seed': 7}], output='screen')
    return launch.LaunchDescription([caching, launch_testing.actions.ReadyToTest()]), {
        'caching': caching}


class TestCacheSample(unittest.TestCase):
    """Active test: a filled tube is cached and sealed."""

    @classmethod
    def setUpClass(cls):
        """Create the test's node."""
        rclpy.init()
        cls.node = rclpy.create_node('test_cache_sample')

    @classmethod
    def tearDownClass(cls):
        """Destroy the test's node."""
        cls.node.destroy_node()
        rclpy.shutdown()

    def test_cache_sample(self):
        """Goal accepted, feedback received, tube sealed."""
        inventory = TubeInventory(tubes=[TubeState(
            tube_id='tube_01', sample_name='Malay', kind=TubeState.KIND_SAMPLE,
            content=TubeState.CONTENT_ROCK_CORE, volume=9.5e-6, core_length=0.06,
            holder='rover/caching_assembly')])
        acknowledged = []
        self.node.create_subscription(TubeState, '/caching_assembly/tube_state',
                                      acknowledged.append, 10)
        self.node.create_publisher(TubeInventory, '/tube_inventory', LATCHED).publish(inventory)
        client = ActionClient(self.node, CacheSample, '/caching_assembly/cache_sample')
        self.assertTrue(client.wait_for_server(timeout_sec=30.0))
        end = self.node.get_clock().now().nanoseconds + 30e9
        while not acknowledged and self.node.get_clock().now().nanoseconds < end:
            rclpy.spin_once(self.node, timeout_sec=0.1)
        self.assertTrue(acknowledged, 'the caching assembly never acknowledged tube_01')
        feedback = []
        goal_future = client.send_goal_async(CacheSample.Goal(tube_id='tube_01'),
                                             feedback_callback=feedback.append)
        rclpy.spin_until_future_complete(self.node, goal_future, timeout_sec=10.0)
        goal_handle = goal_future.result()
        self.assertTrue(goal_handle.accepted)
        result_future = goal_handle.get_result_async()
        rclpy.spin_until_future_complete(self.node, result_future, timeout_sec=60.0)
        result = result_future.result().result
        self.assertTrue(result.success)
        self.assertTrue(result.sealed)
        self.assertTrue(feedback)


@launch_testing.post_shutdown_test()
class TestShutdown(unittest.TestCase):
    """Post-shutdown: our node exited cleanly."""

    def test_exit_codes(self, proc_info, caching):
        """The caching assembly exits 0 on SIGINT."""
        launch_testing.asserts.assertExitCodes(proc_info, process=caching)
