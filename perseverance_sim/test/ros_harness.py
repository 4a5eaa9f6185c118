# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
A pytest harness that plays launch_testing's role where launch_testing is not installed.

Node executables run as real processes in a ProcessGroup with a ROS_DOMAIN_ID of their own and
loopback-only discovery. The test talks to them through `rig.probe`, a RosClient: an rclpy node
in the test process, on the same domain, with helpers that wait (with timeouts, never fixed
sleeps) for topics, services and action servers. At the end every process is stopped with SIGINT
and must exit 0; their output is attached to the test report when anything fails.
"""

import math

from geometry_msgs.msg import PoseArray, Twist
from nav_msgs.msg import Odometry
from perseverance_interfaces.msg import CustodyEvent, TubeInventory
from perseverance_interfaces.srv import DetachTube, RecordCustody
from perseverance_nodes.ros.client import RosClient
from perseverance_nodes.runner.domain_lease import DomainLease
from perseverance_nodes.runner.processes import ProcessGroup
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock


class RosTestRig:
    """What a test gets: a domain, a process group for nodes, and a probe to talk to them."""

    def __init__(self, log_dir):
        """Lease a domain id and prepare the process group; the probe starts on first use."""
        self.lease = DomainLease()
        self.domain_id = self.lease.domain_id
        self.processes = ProcessGroup(log_dir, domain_id=self.domain_id)
        self._probe = None

    @property
    def probe(self):
        """Return the test's rclpy node (created lazily)."""
        if self._probe is None:
            self._probe = RosClient(self.domain_id, name='test_probe')
        return self._probe

    def start_node(self, executable_name, node_name=None, ros_args=(), args=()):
        """Start a node executable as a process in this rig's domain."""
        return self.processes.start_node(executable_name, node_name, ros_args, args)

    def assert_running(self):
        """Fail with the output of any process that died early."""
        dead = self.processes.dead()
        assert not dead, 'process(es) exited early:\n' + self.processes.report()

    def shutdown(self):
        """Stop everything; return {process name: exit code}."""
        try:
            if self._probe is not None:
                self._probe.close()
            return self.processes.stop_all()
        finally:
            self.lease.release()


class Latest:
    """Keep the last message of a topic."""

    def __init__(self, probe, msg_type, topic, qos=10):
        """Subscribe."""
        self.msg = None
        probe.node.create_subscription(msg_type, topic, self._on_msg, qos)

    def _on_msg(self, msg):
        self.msg = msg


class WorldLedgerScene:
    """
    The world and tube ledger as processes, and the probe's view of them.

    What the node tests that play the rover share: clock, tube poses, rover odometry, the latched
    inventory and custody events; the rover's cmd_vel; the ledger's record and the world's
    detach services. A subclass starts its own node(s), then calls ``wait_until_ready``.
    """

    def __init__(self, ros_rig, tmp_path, wall_timeout):
        """Start the world (unpaced) and the ledger; subscribe; create the clients."""
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                             reliability=ReliabilityPolicy.RELIABLE)
        self.rig, self.probe, self.wall_timeout = ros_rig, ros_rig.probe, wall_timeout
        ros_rig.start_node('world', ros_args=['-p', 'real_time_factor:=0.0'])
        ros_rig.start_node('tube_ledger', ros_args=[
            '-p', 'use_sim_time:=true', '-p', 'db_path:={}'.format(tmp_path / 'ledger.db')])
        node = self.probe.node
        self.clock = Latest(self.probe, Clock, '/clock')
        self.tubes = Latest(self.probe, PoseArray, '/world/tube_poses')
        self.odom = Latest(self.probe, Odometry, '/model/perseverance/odometry')
        self.inventory = Latest(self.probe, TubeInventory, '/tube_inventory', latched)
        self.events = []
        node.create_subscription(CustodyEvent, '/custody_events', self.events.append,
                                 QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE))
        self.cmd = node.create_publisher(Twist, '/model/perseverance/cmd_vel', 10)
        self.record_client = node.create_client(RecordCustody, '/tube_ledger/record')
        self.detach_client = node.create_client(DetachTube, '/world/detach_tube')

    def wait_until_ready(self, action_clients, more=lambda: True, what=''):
        """Wait for the services, ``action_clients``, every stream and ``more()``."""
        for client in (self.record_client, self.detach_client):
            self.probe.wait_for_service(client, self.wall_timeout)
        for client in action_clients:
            self.probe.wait_for_action_server(client, self.wall_timeout)
        self.probe.spin_until(
            lambda: self.clock.msg and self.tubes.msg and self.odom.msg and self.inventory.msg
            and self.cmd.get_subscription_count() > 0 and more(), self.wall_timeout,
            'clock, tube poses, odometry, inventory, the rover cmd_vel subscription' + what)
        self.rig.assert_running()

    @property
    def now(self):
        """Latest sim time seen on /clock (s)."""
        return self.clock.msg.clock.sec + self.clock.msg.clock.nanosec * 1e-9

    def tube(self, tube_id):
        """Return the world (x, y, z) of a tube."""
        pose = self.tubes.msg.poses[int(tube_id[-2:]) - 1]
        return (pose.position.x, pose.position.y, pose.position.z)

    def wait_for(self, predicate, sim_timeout, describe):
        """Spin until ``predicate()``; fail after ``sim_timeout`` s of sim time."""
        deadline = self.now + sim_timeout
        text = describe if isinstance(describe, str) else 'a condition'
        self.probe.spin_until(lambda: predicate() or self.now > deadline, self.wall_timeout,
                              text)
        assert predicate(), 'not within {} s of sim time: {}'.format(
            sim_timeout, describe if isinstance(describe, str) else describe())

    def wait_at_rest(self, tube_id, sim_timeout=30.0):
        """Wait until a free tube lies on the ground and has not moved 1 mm in 1 s."""
        history = []

        def at_rest():
            history.append((self.now, self.tube(tube_id)))
            old = [p for t, p in history if t <= self.now - 1.0]
            return bool(old) and history[-1][1][2] < 0.05 and \
                math.dist(old[-1], history[-1][1]) < 1e-3
        self.wait_for(at_rest, sim_timeout, '{} at rest on the ground'.format(tube_id))

    def events_of(self, tube_id):
        """Return the custody events seen for a tube as (from, to, action) tuples."""
        return [(e.from_holder, e.to_holder, e.action) for e in self.events
                if e.tube_id == tube_id]
