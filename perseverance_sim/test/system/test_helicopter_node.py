# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The helicopter node against the embedded world and the tube ledger, all as real processes.

Setup, the cheapest honest one the contract allows: the probe plays the rover, driving it with
cmd_vel a few metres from rover_start and dropping a tube from its belly with
/world/detach_tube (the depot drop), recording what the rover would record; then it drives on
so the tube lies free. The helicopter flies from helipad_1 to fetch it and leaves it at the
helicopter drop zone by the lander. Outcomes are checked in the world (tube poses, odometry) and
the ledger (custody events). Every wait is on sim time or on state, with a wall-clock timeout.

To keep each test short the helicopter flies with mission facts changed in three figures (cruise
altitude 8 m instead of 20, climb 2 m/s instead of 1, drive 0.5 m/s instead of 0.2): the
vertical legs are most of a sortie's sim time, and these are tunable defaults.
"""

import math

from geometry_msgs.msg import Point, Twist
from nav_msgs.msg import Odometry
from perseverance_interfaces.action import RetrieveTube
from perseverance_interfaces.msg import CustodyEvent, Fault, TubeState
from perseverance_interfaces.srv import DetachTube, RecordCustody
from perseverance_nodes.domain.facts import default_facts_path
from perseverance_nodes.domain.timeline import Step, Timeline
from perseverance_nodes.helicopter.logic import (AIRBORNE_LEGS, choose_failure_point, FlightLeg,
                                                 FlightPlan)
from rclpy.action import ActionClient
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from ros_harness import Latest, WorldLedgerScene
from sensor_msgs.msg import BatteryState
import yaml

FAULT_QOS = QoSProfile(depth=50, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                       reliability=ReliabilityPolicy.RELIABLE)
WALL_TIMEOUT = 180.0        # s of wall time for any single wait
SUCCEEDED, ABORTED = 4, 6   # GoalStatus
RACK, SLOT, GRIPPER = 'rover/caching_assembly', 'depot/slot_01', 'helicopter_1/gripper'
DROPZONE = (67.6, 1.0, 0.0)  # world contract: helicopter_dropzone
HELIPAD_2 = (78.0, -8.0, 0.0)
TUBE = 'tube_05'
FAST_FLIGHT = {'cruise_altitude': 8.0, 'climb_rate': 2.0, 'drive_speed': 0.5}
Result = RetrieveTube.Result


class Scene(WorldLedgerScene):
    """World, tube ledger and helicopter_1 processes, and the probe's view of them."""

    def __init__(self, ros_rig, tmp_path, heli_params=()):
        """Start the nodes; wait for clock, poses, odometry, the ledger and the action server."""
        super().__init__(ros_rig, tmp_path, WALL_TIMEOUT)
        facts = yaml.safe_load(default_facts_path().read_text())
        facts['helicopter'].update(FAST_FLIGHT)
        facts_file = tmp_path / 'mission_facts.yaml'
        facts_file.write_text(yaml.safe_dump(facts))
        self.heli = ros_rig.start_node('helicopter', ros_args=[
            '-r', '__ns:=/helicopter_1', '-p', 'use_sim_time:=true',
            '-p', 'duration_scale:=0.05', '-p', 'facts_file:={}'.format(facts_file)]
            + list(heli_params))
        node = self.probe.node
        self.heli_odom = Latest(self.probe, Odometry, '/model/helicopter_1/odometry')
        self.battery = Latest(self.probe, BatteryState, '/helicopter_1/battery')
        self.faults = []
        node.create_subscription(Fault, '/faults', self.faults.append, FAULT_QOS)
        self.fault_pub = node.create_publisher(Fault, '/faults', FAULT_QOS)
        self.retrieve = ActionClient(node, RetrieveTube, '/helicopter_1/retrieve_tube')
        self.wait_until_ready([self.retrieve], lambda: self.heli_odom.msg and self.battery.msg,
                              ', helicopter odometry and battery')

    def tube(self, tube_id=TUBE):
        """Return where a tube is (the test's tube by default), world (x, y, z)."""
        return super().tube(tube_id)

    def helicopter(self):
        """Return helicopter_1's world (x, y, z)."""
        p = self.heli_odom.msg.pose.pose.position
        return (p.x, p.y, p.z)

    def drive(self, distance, speed=1.0):
        """Drive the rover straight ahead ``distance`` m (cmd_vel + odometry) and stop."""
        start = self.odom.msg.pose.pose.position
        state = {'speed': speed}

        def covered():
            p = self.odom.msg.pose.pose.position
            return math.hypot(p.x - start.x, p.y - start.y)

        def control():
            if covered() >= distance - speed ** 2 / (2 * 0.5):  # the DiffDrive's 0.5 m/s2
                state['speed'] = 0.0
            msg = Twist()
            msg.linear.x = state['speed']
            self.cmd.publish(msg)
            return state['speed'] == 0.0 and abs(self.odom.msg.twist.twist.linear.x) < 0.01
        self.wait_for(control, 3 * distance / speed + 10.0, 'the rover to drive {} m'.format(
            distance))

    def drop_in_depot(self, tube_id=TUBE):
        """Drop a tube from the rover's belly, as a DepositTube would, and record it."""
        released = self.probe.spin_future(self.detach_client.call_async(
            DetachTube.Request(tube=tube_id)), WALL_TIMEOUT, 'detach')
        assert released.success, released.error_msg
        self.wait_at_rest(tube_id)
        request = RecordCustody.Request()
        request.event = CustodyEvent(tube_id=tube_id, from_holder=RACK, to_holder=SLOT,
                                     action='drop', actor='/test')
        request.state = TubeState(tube_id=tube_id)
        response = self.probe.spin_future(self.record_client.call_async(request), WALL_TIMEOUT,
                                          'record the drop')
        assert response.success, response.error_msg

    def place_tube(self):
        """Drive 4 m, drop the tube, drive 5 m on so it lies free; return where it lies."""
        self.drive(4.0)
        self.drop_in_depot()
        self.drive(5.0)
        return self.tube()

    def send(self, goal, on_feedback=None):
        """Send a RetrieveTube goal; return its goal handle."""
        handle = self.probe.spin_future(
            self.retrieve.send_goal_async(goal, feedback_callback=on_feedback), WALL_TIMEOUT,
            'goal response')
        assert handle.accepted
        return handle

    def result(self, handle):
        """Wait for a goal's result; return (status, result)."""
        response = self.probe.spin_future(handle.get_result_async(), WALL_TIMEOUT, 'result')
        return response.status, response.result

    def events_of(self, tube_id=TUBE):
        """Return the custody events seen for a tube (the test's tube by default)."""
        return super().events_of(tube_id)


def _goal(tube_id=TUBE, drop=DROPZONE):
    return RetrieveTube.Goal(tube_id=tube_id, drop_point=Point(x=drop[0], y=drop[1], z=drop[2]))


def _distinct(values):
    return [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v]


def _seed_striking_after_the_grasp(flight):
    """Return a seed whose failure point, for ``flight``, is airborne with the tube held."""
    legs = list(FlightLeg)
    plan = FlightPlan(TUBE, 1, Timeline([
        Step(0, leg.value, 1.0, {'leg': leg, 'airborne': leg in AIRBORNE_LEGS}) for leg in legs]),
        0.0, 0.0, 0.0)
    after = {legs.index(FlightLeg.TAKEOFF_RETURN), legs.index(FlightLeg.CRUISE_RETURN)}
    return next(seed for seed in range(1000)
                if choose_failure_point(plan, seed, flight).step_index in after)


def test_retrieval_refusals_and_failure_in_flight(ros_rig, tmp_path):
    """
    Retrieve a depot tube to the lander; refuse bad goals; fail in flight on the next sortie.

    (One test, one world start: starting the processes is most of a short test's time.)
    1. Flight 1: fly to a tube on the ground, grasp it within tolerance, fly back, drop it by
       the lander; tube pose and custody events checked.
    2. Goals the helicopter must refuse, each with its reason, the node still running.
    3. Flight 2, to take the tube on to helipad_2: mission_control fires a HELICOPTER_FAILURE
       for it; with this seed it strikes after the grasp. The helicopter lands straight down,
       lets the tube go (recorded on the ground), aborts with ERROR_HELICOPTER_FAILED, publishes
       the fault ACTIVE and refuses further sorties.
    """
    seed = _seed_striking_after_the_grasp(2)
    scene = Scene(ros_rig, tmp_path, ['-p', 'seed:={}'.format(seed)])
    where = scene.place_tube()
    pad = scene.helicopter()
    assert math.dist(pad[:2], (78.0, 8.0)) < 0.5  # helipad_1
    feedback = []
    status, result = scene.result(scene.send(_goal(), lambda m: feedback.append(m.feedback)))
    assert status == SUCCEEDED, result.error_msg

    # The tube lies on the ground within a metre of the drop point; the result says the same.
    final = scene.tube()
    assert math.dist(final[:2], DROPZONE[:2]) < 1.0, final
    assert final[2] < 0.05
    assert math.dist((result.tube_pose.position.x, result.tube_pose.position.y), final[:2]) < 0.05
    # It really flew: out and back, at cruise altitude, with the battery drawn down.
    assert result.distance_flown > 2 * math.dist(where[:2], DROPZONE[:2])
    assert max(f.altitude for f in feedback) > FAST_FLIGHT['cruise_altitude'] - 1.0
    assert 0.0 < result.battery_remaining < 1.0
    assert _distinct([f.stage for f in feedback]) == list(range(8))
    assert scene.helicopter()[2] < 0.1  # landed
    scene.wait_for(lambda: scene.battery.msg.percentage < 1.0, 2.0, 'battery state published')

    assert scene.events_of() == [(RACK, SLOT, 'drop'), (SLOT, GRIPPER, 'grasp'),
                                 (GRIPPER, 'ground', 'release')]
    grasp = [e for e in scene.events if e.action == 'grasp'][0]
    assert math.dist((grasp.position.x, grasp.position.y), where[:2]) < 0.1
    scene.wait_for(lambda: scene.inventory.msg.tubes[4].holder == 'ground', 5.0,
                   'the ledger to show the tube on the ground')

    # 2. Refusals: each aborts at once with a reason; nothing moves.
    cases = [
        (_goal(drop=(67.6, -800.0, 0.0)), Result.ERROR_OUT_OF_RANGE, 'exceeds the range'),
        (_goal('tube_99'), Result.ERROR_UNKNOWN_TUBE, 'tube_99'),
        (_goal(drop=(math.nan, 0.0, 0.0)), Result.ERROR_INVALID_GOAL, 'drop_point'),
        (_goal('tube_06'), Result.ERROR_INVALID_GOAL, 'held by rover/caching_assembly'),
    ]
    for goal, code, words in cases:
        status, result = scene.result(scene.send(goal))
        assert status == ABORTED and result.error_code == code, result.error_msg
        assert words in result.error_msg
    assert math.dist(scene.tube(), final) < 0.01
    ros_rig.assert_running()

    # 3. What mission_control publishes when it dispatches flight 2 to helicopter_1.
    fault = Fault(fault_id='fault_0001', kind=Fault.KIND_HELICOPTER_FAILURE,
                  state=Fault.STATE_ACTIVE, target='helicopter_1', trigger='flight:2')
    scene.fault_pub.publish(fault)
    scene.probe.spin_until(lambda: any(f.fault_id == 'fault_0001' for f in scene.faults),
                           WALL_TIMEOUT, 'the fault on /faults')
    feedback = []
    status, result = scene.result(scene.send(_goal(drop=HELIPAD_2),
                                             lambda m: feedback.append(m.feedback)))
    assert status == ABORTED
    assert result.error_code == Result.ERROR_HELICOPTER_FAILED, result.error_msg
    assert 'emergency landing' in result.error_msg
    stages = {f.stage for f in feedback}
    assert RetrieveTube.Feedback.STAGE_GRASP in stages
    assert RetrieveTube.Feedback.STAGE_RELEASE not in stages

    # Down where it failed, rotors off; the tube on the ground beside it, recorded there.
    heli = scene.helicopter()
    assert abs(scene.heli_odom.msg.twist.twist.linear.z) < 0.05
    assert heli[2] < 0.1 and math.dist(heli[:2], HELIPAD_2[:2]) > 5.0
    scene.wait_for(lambda: abs(scene.tube()[2] - heli[2]) < 0.1, 5.0,
                   lambda: 'the tube on the ground by the helicopter: tube {}, helicopter {}'
                   .format(scene.tube(), heli))
    assert math.dist(scene.tube()[:2], heli[:2]) < 1.0
    assert scene.events_of()[3:] == [('ground', GRIPPER, 'grasp'),
                                     (GRIPPER, 'ground', 'emergency_release')]
    echoed = [f for f in scene.faults if f.fault_id == 'fault_0001' and f.description]
    assert echoed and echoed[-1].state == Fault.STATE_ACTIVE
    assert 'helicopter_1 failed in flight' in echoed[-1].description

    status, result = scene.result(scene.send(_goal()))
    assert status == ABORTED and result.error_code == Result.ERROR_HELICOPTER_FAILED
    assert 'out of service' in result.error_msg
    ros_rig.assert_running()
