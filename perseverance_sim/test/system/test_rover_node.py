# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The rover node against the embedded world, both as real processes.

Each test starts the world (real_time_factor 0) and the rover (use_sim_time, duration_scale 0.01,
a fast drive limit to keep the drives short) and talks to them over ROS 2 only. The probe plays
the tube ledger (a RecordCustody server that records what it receives, and a /tube_inventory
publisher) and the mission (action goals). Every wait is on sim time or on state, with a
wall-clock timeout.
"""

import math

from geometry_msgs.msg import Point, PoseArray, Twist
from nav_msgs.msg import Odometry
from perseverance_interfaces.action import (CollectSample, DepositTube, HandOverTube,
                                            NavigateTo)
from perseverance_interfaces.msg import Fault, TubeInventory, TubeState
from perseverance_interfaces.srv import RecordCustody
import pytest
from rclpy.action import ActionClient
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock

LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                     reliability=ReliabilityPolicy.RELIABLE)
FAULT_QOS = QoSProfile(depth=50, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                       reliability=ReliabilityPolicy.RELIABLE)
WALL_TIMEOUT = 60.0  # s of wall time for any single wait
ROVER_START = (32.0, 18.0)
TUBE_RADIUS = 0.0085
RACK = 'rover/caching_assembly'
SUCCEEDED, ABORTED = 4, 6  # GoalStatus
FAST = ['-p', 'duration_scale:=0.01', '-p', 'max_linear_speed:=0.5',
        '-p', 'max_angular_speed:=0.3', '-p', 'max_linear_accel:=0.25',
        '-p', 'max_angular_accel:=0.3']


class Latest:
    """Keep the last message of a topic."""

    def __init__(self, probe, msg_type, topic):
        """Subscribe (reliable, depth 10)."""
        self.msg = None
        probe.node.create_subscription(msg_type, topic, self._on_msg, 10)

    def _on_msg(self, msg):
        self.msg = msg


class LedgerStub:
    """A test-side /tube_ledger/record: accepts every event and keeps it."""

    def __init__(self, probe):
        """Serve RecordCustody on the probe."""
        self.events = []
        probe.node.create_service(RecordCustody, '/tube_ledger/record', self._record)

    def _record(self, request, response):
        self.events.append(request)
        response.success = True
        response.sequence = len(self.events)
        return response


class Rig:
    """World + rover processes, the probe's ledger stub, odometry, clock and action clients."""

    def __init__(self, ros_rig, real_time_factor=0.0):
        """Start both nodes and wait until the rover serves its actions and odometry flows."""
        self.ros_rig = ros_rig
        params = list(FAST)
        ros_rig.start_node('world', ros_args=['-p', 'real_time_factor:={}'.format(
            float(real_time_factor))])
        self.rover = ros_rig.start_node('rover', ros_args=['-p', 'use_sim_time:=true'] + params)
        self.probe = ros_rig.probe
        self.ledger = LedgerStub(self.probe)
        self.clock = Latest(self.probe, Clock, '/clock')
        self.odom = Latest(self.probe, Odometry, '/model/perseverance/odometry')
        self.tubes = Latest(self.probe, PoseArray, '/world/tube_poses')
        node = self.probe.node
        self.clients = {name: ActionClient(node, action, '/rover/' + name) for name, action in (
            ('navigate_to', NavigateTo), ('collect_sample', CollectSample),
            ('deposit_tube', DepositTube), ('hand_over_tube', HandOverTube))}
        for client in self.clients.values():
            self.probe.wait_for_action_server(client, WALL_TIMEOUT)
        self.probe.spin_until(lambda: self.odom.msg and self.tubes.msg and self.clock.msg,
                              WALL_TIMEOUT, 'odometry, tube poses and clock')
        ros_rig.assert_running()

    @property
    def now(self):
        """Latest sim time seen on /clock (s)."""
        return self.clock.msg.clock.sec + self.clock.msg.clock.nanosec * 1e-9

    def position(self):
        """Return where the odometry puts the rover, as (x, y)."""
        p = self.odom.msg.pose.pose.position
        return (p.x, p.y)

    def run_for(self, seconds):
        """Let ``seconds`` of sim time pass."""
        end = self.now + seconds
        self.probe.spin_until(lambda: self.now >= end, WALL_TIMEOUT,
                              '{} s of sim time'.format(seconds))

    def send(self, name, goal, timeout=WALL_TIMEOUT):
        """Send a goal, collect feedback, return (status, result, feedback list)."""
        feedback = []
        handle = self.probe.spin_future(
            self.clients[name].send_goal_async(goal, feedback_callback=lambda m: feedback.append(
                m.feedback)), WALL_TIMEOUT, 'goal response of ' + name)
        assert handle.accepted, name + ' goal rejected'
        response = self.probe.spin_future(handle.get_result_async(), timeout, name + ' result')
        return response.status, response.result, feedback

    def wait_log(self, text):
        """Wait until the rover's output contains ``text``."""
        self.probe.spin_until(lambda: text in self.rover.output(), WALL_TIMEOUT,
                              'rover log line {!r}'.format(text))


def _distance(a, b):
    return math.hypot(a[0] - b[0], a[1] - b[1])


def test_navigate_to_reaches_the_target_and_refuses_unreachable_ones(ros_rig):
    """A NavigateTo goal ends within tolerance (checked on the odometry), with feedback."""
    rig = Rig(ros_rig)
    target = (27.0, 16.5)
    goal = NavigateTo.Goal(target=Point(x=target[0], y=target[1]), tolerance=0.3)
    status, result, feedback = rig.send('navigate_to', goal)
    assert status == SUCCEEDED, result.error_msg
    assert result.success and result.error_code == NavigateTo.Result.ERROR_NONE
    final = (result.final_pose.position.x, result.final_pose.position.y)
    assert _distance(final, target) <= 0.3
    assert _distance(rig.position(), final) < 0.05  # the odometry agrees with the result
    assert result.distance_travelled == pytest.approx(_distance(ROVER_START, target), rel=0.15)
    assert result.duration > 0.0
    stages = {f.stage for f in feedback}
    assert NavigateTo.Feedback.STAGE_DRIVING in stages
    progress = [f.progress for f in feedback]
    assert progress[-1] > 0.9 and max(progress) <= 1.0

    status, result, _ = rig.send('navigate_to', NavigateTo.Goal(target=Point(x=500.0, y=0.0)))
    assert status == ABORTED
    assert result.error_code == NavigateTo.Result.ERROR_UNREACHABLE
    assert 'outside the mapped terrain' in result.error_msg
    ros_rig.assert_running()


def test_nan_cmd_vel_is_rejected_and_the_watchdog_stops_the_rover(ros_rig):
    """A NaN twist is refused (logged, rover stays put); a silent teleop is stopped."""
    # Paced at real time: the 0.5 s (sim) watchdog must not fire between two commands of a test
    # process that a busy machine may delay; at 3x real time 0.5 s of sim is only 0.17 s of wall
    # time, and the rover missed commands (or the watchdog's stop) in CI runs.
    rig = Rig(ros_rig, real_time_factor=1.0)
    pub = rig.probe.node.create_publisher(Twist, '/rover/cmd_vel', 10)
    rig.probe.spin_until(lambda: pub.get_subscription_count() > 0, WALL_TIMEOUT, 'cmd_vel match')
    start = rig.position()
    bad = Twist()
    bad.linear.x = float('nan')
    for _ in range(5):
        pub.publish(bad)
        rig.run_for(0.2)
    rig.run_for(1.0)
    assert _distance(rig.position(), start) < 0.01
    rig.wait_log('not finite')

    # Teleop drives until the rover has moved 0.1 m (about 2 s; a loaded machine may delay a
    # command past the watchdog, which then stops the rover in between), then falls silent:
    # the watchdog stops the rover.
    good = Twist()
    good.linear.x = 0.3
    end = rig.now + 20.0
    while rig.now < end and _distance(rig.position(), start) <= 0.1:
        pub.publish(good)
        rig.run_for(0.1)
    assert _distance(rig.position(), start) > 0.1
    rig.wait_log('watchdog')
    rig.run_for(3.0)
    assert abs(rig.odom.msg.twist.twist.linear.x) < 0.01
    ros_rig.assert_running()


def test_collect_sample_fills_two_tubes_and_refuses_unknown_rocks(ros_rig):
    """Drive to Roubion's sampling pose, core two tubes; unknown / far rocks are refused."""
    rig = Rig(ros_rig)
    status, result, _ = rig.send('collect_sample', CollectSample.Goal(rock='vesuvius'))
    assert status == ABORTED
    assert result.error_code == CollectSample.Result.ERROR_UNKNOWN_ROCK
    assert 'vesuvius' in result.error_msg
    status, result, _ = rig.send('collect_sample', CollectSample.Goal(rock='roubion'))
    assert result.error_code == CollectSample.Result.ERROR_ROCK_OUT_OF_REACH
    assert 'm from the rock centre' in result.error_msg

    goal = NavigateTo.Goal(target=Point(x=23.0, y=12.0), tolerance=0.5)
    status, result, _ = rig.send('navigate_to', goal)
    assert status == SUCCEEDED, result.error_msg
    status, result, feedback = rig.send('collect_sample', CollectSample.Goal(rock='roubion'))
    assert status == SUCCEEDED, result.error_msg
    assert list(result.tube_ids) == ['tube_01', 'tube_02']  # the lowest empty sample tubes
    assert list(result.designations) == ['M2020-00164-01', 'M2020-00164-02']
    assert all(0.04 <= length <= 0.076 for length in result.core_lengths)
    stages = [f.stage for f in feedback]
    assert stages[0] == CollectSample.Feedback.STAGE_ARM_DEPLOY
    assert CollectSample.Feedback.STAGE_CORING in stages
    assert stages[-1] == CollectSample.Feedback.STAGE_ARM_STOW

    events = [r for r in rig.ledger.events if r.event.action == 'core']
    assert [e.event.tube_id for e in events] == ['tube_01', 'tube_02']
    for request, length in zip(events, result.core_lengths):
        assert request.event.from_holder == request.event.to_holder == RACK
        assert request.event.actor == '/rover'
        assert set(request.fields) == {'content', 'designation', 'sample_name', 'core_length',
                                       'volume'}
        assert request.state.content == TubeState.CONTENT_ROCK_CORE
        assert request.state.sample_name == 'Roubion'
        assert request.state.core_length == pytest.approx(length)

    # The next collection takes the next empty tubes (no ledger inventory in between).
    status, result, _ = rig.send('collect_sample', CollectSample.Goal(rock='rock_roubion'))
    assert status == SUCCEEDED, result.error_msg
    assert list(result.tube_ids) == ['tube_03', 'tube_04']
    assert list(result.designations) == ['M2020-00164-03', 'M2020-00164-04']

    # Far from the lander: the hand-over is refused with the distance.
    status, result, _ = rig.send('hand_over_tube', HandOverTube.Goal(tube_id='tube_01'))
    assert result.error_code == HandOverTube.Result.ERROR_TOO_FAR_FROM_LANDER
    assert 'rover_handover' in result.error_msg
    ros_rig.assert_running()


def _inventory(sealed=(), unsealed=()):
    msg = TubeInventory()
    for tube_id in sealed + unsealed:
        msg.tubes.append(TubeState(
            tube_id=tube_id, kind=TubeState.KIND_SAMPLE, content=TubeState.CONTENT_ROCK_CORE,
            seal=TubeState.SEAL_SEALED if tube_id in sealed else TubeState.SEAL_UNSEALED,
            holder=RACK, designation='M2020-00190-03', sample_name='Montdenier'))
    return msg


def test_deposit_tube_really_drops_it_on_the_ground_at_the_slot(ros_rig):
    """A sealed tube falls from the belly and rests on the ground at the slot; refusals."""
    rig = Rig(ros_rig)
    # The goal lays slot 1 under the belly of the rover at rover_start (as a scenario that
    # moves the depot would); slot 2 keeps its named place, far away.
    slot = (31.65, 18.0)

    def goal(tube, name, position=None):
        return DepositTube.Goal(tube_id=tube, slot=name, use_slot_position=position is not None,
                                slot_position=Point(x=position[0], y=position[1])
                                if position else Point())
    rig.probe.node.create_publisher(TubeInventory, '/tube_inventory', LATCHED).publish(
        _inventory(sealed=('tube_05', 'tube_07'), unsealed=('tube_06',)))
    rig.wait_log('tube inventory')
    faults = rig.probe.node.create_publisher(Fault, '/faults', FAULT_QOS)

    cases = [(goal('tube_99', 'depot/slot_01', slot), DepositTube.Result.ERROR_UNKNOWN_TUBE,
              'tube_99'),
             (goal('tube_06', 'depot/slot_01', slot), DepositTube.Result.ERROR_TUBE_UNSEALED,
              'sealed'),
             (goal('tube_05', 'depot/slot_02'), DepositTube.Result.ERROR_NOT_AT_SLOT, 'm from'),
             (goal('tube_05', 'depot/slot_42', slot), DepositTube.Result.ERROR_INVALID_GOAL,
              'slot_42'),
             (goal('tube_05', 'depot/slot_01', (float('nan'), 0.0)),
              DepositTube.Result.ERROR_INVALID_GOAL, 'finite')]
    for request, code, reason in cases:
        status, result, _ = rig.send('deposit_tube', request)
        assert status == ABORTED and result.error_code == code, (request, result)
        assert reason in result.error_msg

    status, result, feedback = rig.send('deposit_tube', goal('tube_05', 'depot/slot_01', slot))
    assert status == SUCCEEDED, result.error_msg
    rest = result.tube_pose.position
    assert rest.z == pytest.approx(TUBE_RADIUS, abs=0.01)
    assert _distance((rest.x, rest.y), slot) < 2.0
    assert result.roll_distance < 2.0
    assert not result.was_on_end and not result.was_in_wheel_path
    world = rig.tubes.msg.poses[4].position  # tube_05, as the world has it now
    assert _distance((world.x, world.y), (rest.x, rest.y)) < 0.01 and world.z < 0.02
    stages = [f.stage for f in feedback]
    assert stages[:4] == [DepositTube.Feedback.STAGE_ALIGN, DepositTube.Feedback.STAGE_RELEASE,
                          DepositTube.Feedback.STAGE_FALLING, DepositTube.Feedback.STAGE_INSPECT]
    drop = [r.event for r in rig.ledger.events if r.event.action == 'drop']
    assert len(drop) == 1 and drop[0].tube_id == 'tube_05'
    assert (drop[0].from_holder, drop[0].to_holder) == (RACK, 'depot/slot_01')
    assert drop[0].position.z == pytest.approx(rest.z, abs=1e-6)

    # The same tube again: it is no longer on board.
    status, result, _ = rig.send('deposit_tube', goal('tube_05', 'depot/slot_01', slot))
    assert result.error_code == DepositTube.Result.ERROR_TUBE_NOT_ON_BOARD

    # A TUBE_ON_END fault on the next drop: it is knocked over, and the ledger hears of it.
    faults.publish(Fault(fault_id='fault_0001', kind=Fault.KIND_TUBE_ON_END,
                         state=Fault.STATE_ACTIVE, target='tube_07', trigger='drop:1'))
    rig.probe.spin_until(lambda: faults.get_subscription_count() > 0, WALL_TIMEOUT,
                         '/faults match')
    rig.run_for(0.5)
    status, result, feedback = rig.send('deposit_tube', goal('tube_07', 'slot_01', slot))
    assert status == SUCCEEDED, result.error_msg
    assert result.was_on_end
    assert DepositTube.Feedback.STAGE_RECOVER in [f.stage for f in feedback]
    assert result.tube_pose.position.z == pytest.approx(TUBE_RADIUS, abs=0.01)
    actions = [(r.event.tube_id, r.event.action) for r in rig.ledger.events]
    assert actions[-2:] == [('tube_07', 'drop'), ('tube_07', 'knock_over')]
    ros_rig.assert_running()
