# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The lander node against the embedded world and the tube ledger, all as real processes.

The probe plays the rover (it drives the rover with the contract's cmd_vel and drops a tube from
the rack with /world/detach_tube, recording what the rover would) and the mission (LoadTube and
LaunchMav goals). Outcomes are checked in the world (tube poses) and in the ledger (custody
events). Every wait is on sim time or on state, with a wall-clock timeout.
"""

import math

from geometry_msgs.msg import Twist
from perseverance_interfaces.action import LaunchMav, LoadTube
from perseverance_interfaces.msg import CustodyEvent, TubeState
from perseverance_interfaces.srv import DetachTube, RecordCustody
from perseverance_nodes.domain.geometry import quaternion_to_yaw, wrap_angle
from perseverance_nodes.rover.logic import corner_steering, CORNER_WHEELS
from rclpy.action import ActionClient
from ros_harness import WorldLedgerScene
from std_msgs.msg import Float64

WALL_TIMEOUT = 120.0        # s of wall time for any single wait
SUCCEEDED, ABORTED = 4, 6   # GoalStatus
RACK, ARM, CONTAINER, LAUNCHED = ('rover/caching_assembly', 'lander/transfer_arm',
                                  'lander/container', 'mav/launched')
CONTAINER_PORT = (70.415, 0.0, 3.0)  # world contract: lander at (70, 0), yaw 0
ROVER_HANDOVER = (66.7, 0.0)         # world contract: the rover parks here facing +x
LANDER_PARAMS = ['-p', 'use_sim_time:=true', '-p', 'duration_scale:=0.02']


class Scene(WorldLedgerScene):
    """World, tube ledger and lander processes, and the probe's view of them."""

    def __init__(self, ros_rig, tmp_path):
        """Start the three nodes; wait for the clock, tube poses, the ledger and the actions."""
        super().__init__(ros_rig, tmp_path, WALL_TIMEOUT)
        ros_rig.start_node('lander', ros_args=LANDER_PARAMS)
        node = self.probe.node
        self.steer = {corner: node.create_publisher(
            Float64, '/model/perseverance/steer_{}/cmd_pos'.format(corner), 10)
            for corner in CORNER_WHEELS}
        self.load = ActionClient(node, LoadTube, '/lander/load_tube')
        self.launch = ActionClient(node, LaunchMav, '/lander/launch_mav')
        self.wait_until_ready([self.load, self.launch])

    def record(self, tube_id, from_holder, to_holder, action, fields=(), **state):
        """Record a custody event as another node would (stamp 0: the ledger's sim time)."""
        request = RecordCustody.Request()
        request.event = CustodyEvent(tube_id=tube_id, from_holder=from_holder,
                                     to_holder=to_holder, action=action, actor='/test')
        request.state = TubeState(tube_id=tube_id, **state)
        request.fields = list(fields)
        response = self.probe.spin_future(self.record_client.call_async(request), WALL_TIMEOUT,
                                          'record {}'.format(action))
        assert response.success, response.error_msg
        return response.sequence

    def drive_through(self, *waypoints):
        """
        Drive the rover through ``waypoints`` and stop at the last one, over cmd_vel.

        Always rolling, corner wheels steered along the arc as the rover node does. Arrive at the
        last point along the line from the one before, facing that way.
        """
        def pose():
            p = self.odom.msg.pose.pose
            q = p.orientation
            return p.position.x, p.position.y, quaternion_to_yaw((q.x, q.y, q.z, q.w))

        def command(linear, angular):
            for corner, angle in corner_steering(linear, angular).items():
                self.steer[corner].publish(Float64(data=angle))
            msg = Twist()
            msg.linear.x, msg.angular.z = float(linear), float(angular)
            self.cmd.publish(msg)

        def reach(x, y):
            def reached():
                px, py, heading = pose()
                if math.hypot(x - px, y - py) < 1.0:
                    return True
                error = wrap_angle(math.atan2(y - py, x - px) - heading)
                command(max(0.3, math.cos(error)), max(-0.5, min(0.5, 2.0 * error)))
                return False
            return reached

        def follow(ax, ay, bx, by):
            line, length = math.atan2(by - ay, bx - ax), math.hypot(bx - ax, by - ay)

            def arrived():
                px, py, heading = pose()
                along = (px - ax) * math.cos(line) + (py - ay) * math.sin(line)
                across = -(px - ax) * math.sin(line) + (py - ay) * math.cos(line)
                if along >= length - 0.02:
                    command(0.0, 0.0)
                    return abs(self.odom.msg.twist.twist.linear.x) < 0.01
                # Stop in time for the DiffDrive's 0.5 m/s2; steer back onto the line.
                steer = wrap_angle(line - heading) - 0.5 * across
                command(max(0.05, min(1.0, math.sqrt(length - along))),
                        max(-0.5, min(0.5, 2.0 * steer)))
                return False
            return arrived

        here = pose()
        for x, y in waypoints[:-1]:
            self.wait_for(reach(x, y), 3.0 * math.hypot(x - here[0], y - here[1]) + 60.0,
                          'the rover to pass ({}, {})'.format(x, y))
            here = (x, y)
        x, y = waypoints[-1]
        self.wait_for(follow(here[0], here[1], x, y), 3.0 * math.hypot(x - here[0], y - here[1])
                      + 30.0, 'the rover to reach ({}, {})'.format(x, y))

    def send(self, client, goal, timeout=WALL_TIMEOUT):
        """Send a goal, wait for the result; return (status, result, feedback list)."""
        feedback = []
        handle = self.probe.spin_future(
            client.send_goal_async(goal, feedback_callback=lambda m: feedback.append(m.feedback)),
            WALL_TIMEOUT, 'goal response')
        assert handle.accepted
        response = self.probe.spin_future(handle.get_result_async(), timeout, 'result')
        return response.status, response.result, feedback


def _sealed(scene, *tube_ids):
    for tube_id in tube_ids:
        scene.record(tube_id, RACK, RACK, 'seal', ['seal'], seal=TubeState.SEAL_SEALED)


def _refusals_before_the_rover_comes(scene):
    """Check refusals: a rack tube at rover_start (out of reach), an unknown tube, no tubes."""
    status, result, _ = scene.send(scene.load, LoadTube.Goal(tube_id='tube_01'))
    assert status == ABORTED and not result.success
    assert result.error_code == LoadTube.Result.ERROR_OUT_OF_REACH
    assert 'tube_01' in result.error_msg and 'm from the transfer arm shoulder' in result.error_msg

    status, result, _ = scene.send(scene.load, LoadTube.Goal(tube_id='tube_77'))
    assert status == ABORTED and result.error_code == LoadTube.Result.ERROR_UNKNOWN_TUBE
    assert 'tube_77' in result.error_msg

    status, result, _ = scene.send(scene.launch, LaunchMav.Goal(min_tubes=0))
    assert status == ABORTED
    assert result.error_code == LaunchMav.Result.ERROR_TOO_FEW_TUBES
    assert '0 tubes loaded' in result.error_msg
    scene.rig.assert_running()
    assert scene.events_of('tube_01') == [(RACK, RACK, 'seal')]  # nothing moved


def test_refuses_far_tubes_loads_from_rack_and_ground_then_launches_once(ros_rig, tmp_path):
    """
    Refuse bad goals; load a rack tube and a dropped tube, refuse an unsealed one; launch once.

    (One test, one world start: starting the processes is most of a short test's time.) First,
    with the rover still at rover_start, an out-of-reach tube, an unknown tube and a launch with
    an empty container are refused, each with its reason. Then the rover parks at
    rover_handover; the transfer arm takes tube_01 from its rack and, the rover half a metre
    closer, tube_02 from the ground under it, each attached to the gripper only within
    tolerance and then to the container at its port.
    """
    scene = Scene(ros_rig, tmp_path)
    _sealed(scene, 'tube_01', 'tube_02')
    _refusals_before_the_rover_comes(scene)
    scene.drive_through((56.0, 0.0), ROVER_HANDOVER)

    status, result, feedback = scene.send(scene.load, LoadTube.Goal(tube_id='tube_01'))
    assert status == SUCCEEDED, result.error_msg
    assert (result.container_slot, result.tubes_in_container) == (0, 1)
    stages = [f.stage for f in feedback]
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == [
        LoadTube.Feedback.STAGE_REACH, LoadTube.Feedback.STAGE_GRASP,
        LoadTube.Feedback.STAGE_TRANSFER, LoadTube.Feedback.STAGE_INSERT,
        LoadTube.Feedback.STAGE_STOW]
    assert feedback[-1].progress == 1.0
    scene.wait_for(lambda: math.dist(scene.tube('tube_01'), CONTAINER_PORT) < 0.15, 2.0,
                   'tube_01 at the container port')
    assert scene.events_of('tube_01')[1:] == [(RACK, ARM, 'grasp'), (ARM, CONTAINER, 'load')]

    # Half a metre closer, a tube dropped from the rack lies on the ground within the arm's
    # reach (at rover_handover the ground under the rack is 2 m out, too far down for the arm).
    scene.drive_through((ROVER_HANDOVER[0] + 0.5, ROVER_HANDOVER[1]))
    released = scene.probe.spin_future(scene.detach_client.call_async(
        DetachTube.Request(tube='tube_02')), WALL_TIMEOUT, 'detach tube_02')
    assert released.success, released.error_msg
    scene.wait_at_rest('tube_02')
    scene.record('tube_02', RACK, 'ground', 'drop')
    scene.wait_for(lambda: scene.inventory.msg.tubes[1].holder == 'ground', 5.0,
                   'the ledger to publish tube_02 on the ground')
    status, result, _ = scene.send(scene.load, LoadTube.Goal(tube_id='tube_02'))
    assert status == SUCCEEDED, result.error_msg
    assert (result.container_slot, result.tubes_in_container) == (1, 2)
    scene.wait_for(lambda: math.dist(scene.tube('tube_02'), CONTAINER_PORT) < 0.15, 2.0,
                   'tube_02 at the container port')
    assert scene.events_of('tube_02')[1:] == [
        (RACK, 'ground', 'drop'), ('ground', ARM, 'grasp'), (ARM, CONTAINER, 'load')]

    # tube_03 was never sealed: the container policy refuses it, and it stays in the rack.
    status, result, _ = scene.send(scene.load, LoadTube.Goal(tube_id='tube_03'))
    assert result.error_code == LoadTube.Result.ERROR_TUBE_UNSEALED
    assert 'tube_03' in result.error_msg and 'sealed' in result.error_msg

    status, result, feedback = scene.send(scene.launch, LaunchMav.Goal(min_tubes=2))
    assert status == SUCCEEDED, result.error_msg
    assert list(result.tube_ids) == ['tube_01', 'tube_02']
    assert result.launch_time.sec > 0
    assert [f.stage for f in feedback][-1] == LaunchMav.Feedback.STAGE_LIFTOFF
    scene.wait_for(lambda: {t.holder for t in scene.inventory.msg.tubes[:2]} == {LAUNCHED}, 5.0,
                   'the ledger to show both tubes launched')
    for tube_id in ('tube_01', 'tube_02'):
        assert scene.events_of(tube_id)[-1] == (CONTAINER, LAUNCHED, 'launch')

    status, result, _ = scene.send(scene.launch, LaunchMav.Goal(min_tubes=1))
    assert status == ABORTED and result.error_code == LaunchMav.Result.ERROR_ALREADY_LAUNCHED
    status, result, _ = scene.send(scene.load, LoadTube.Goal(tube_id='tube_04'))
    assert result.error_code == LoadTube.Result.ERROR_CONTAINER_CLOSED
    ros_rig.assert_running()
