# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Cross-process action test of CacheSample.

The caching_assembly node serves CacheSample in its own process and this test, in another, plays
the ledger (publishing the tube inventory) and the mission (sending goals).
"""

from perseverance_interfaces.action import CacheSample
from perseverance_interfaces.msg import Fault, TubeInventory, TubeState
from perseverance_nodes.caching.logic import Station
from rclpy.action import ActionClient
from rclpy.duration import Duration
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                     reliability=ReliabilityPolicy.RELIABLE)
FAULT_QOS = QoSProfile(depth=50, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                       reliability=ReliabilityPolicy.RELIABLE)
# The nominal stations take about 510 s; at this scale a tube takes about 5 s of wall time.
DURATION_SCALE = 0.01
FILLED = {'tube_01': 'Malay', 'tube_02': 'Crosswind Lake', 'tube_03': 'Mageik'}


def _inventory():
    msg = TubeInventory()
    for tube_id, name in FILLED.items():
        tube = TubeState(tube_id=tube_id, sample_name=name, kind=TubeState.KIND_SAMPLE,
                         content=TubeState.CONTENT_ROCK_CORE, volume=9.5e-6, core_length=0.06,
                         holder='rover/caching_assembly')
        msg.tubes.append(tube)
    return msg


def _start(rig, faults=()):
    """Start the node, feed it the inventory (and faults), wait until it acknowledged them."""
    rig.start_node('caching_assembly', ros_args=[
        '-p', 'duration_scale:={}'.format(DURATION_SCALE), '-p', 'seed:=7'])
    probe = rig.probe
    states = probe.collect(TubeState, '/caching_assembly/tube_state')
    fault_pub = probe.node.create_publisher(Fault, '/faults', FAULT_QOS)
    for fault in faults:
        fault_pub.publish(fault)
    if faults:  # faults reach the node before the inventory that makes goals possible
        probe.spin_until(lambda: fault_pub.get_subscription_count() > 0, 30.0, '/faults match')
        # Matched is not delivered: the latched history goes out after the match.
        assert fault_pub.wait_for_all_acked(Duration(seconds=30.0)), 'faults not acknowledged'
    probe.node.create_publisher(TubeInventory, '/tube_inventory', LATCHED).publish(_inventory())
    client = ActionClient(probe.node, CacheSample, '/caching_assembly/cache_sample')
    probe.wait_for_action_server(client)
    probe.spin_until(lambda: {s.tube_id for s in states} >= set(FILLED), 30.0,
                     'the caching assembly to acknowledge the filled tubes')
    return client, states


def _send(rig, client, tube_id, on_feedback=None):
    probe = rig.probe
    goal_handle = probe.spin_future(
        client.send_goal_async(CacheSample.Goal(tube_id=tube_id), feedback_callback=on_feedback),
        10.0, 'goal response for {}'.format(tube_id))
    assert goal_handle.accepted, 'goal for {} was rejected'.format(tube_id)
    return goal_handle


def test_cache_sample_goal_feedback_and_result(ros_rig):
    """A filled tube goes through every station in order and comes back sealed."""
    client, states = _start(ros_rig)
    feedback = []
    goal_handle = _send(ros_rig, client, 'tube_01', lambda msg: feedback.append(msg.feedback))
    response = ros_rig.probe.spin_future(goal_handle.get_result_async(), 60.0, 'result')
    result = response.result

    assert response.status == 4  # GoalStatus.STATUS_SUCCEEDED
    assert result.success and result.error_code == CacheSample.Result.ERROR_NONE
    assert result.sealed
    assert 0 <= result.dispenser <= 6
    assert result.volume == 9.5e-6
    assert result.bore_sweep_passes == 0
    stages = [f.stage for f in feedback]
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == [
        Station.VOLUME_PROBE, Station.IMAGING, Station.SEAL_DISPENSE, Station.SEAL_ACTIVATION,
        Station.STORAGE]
    progress = [f.progress for f in feedback]
    assert progress == sorted(progress) and progress[-1] == 1.0
    ros_rig.probe.spin_until(
        lambda: any(s.tube_id == 'tube_01' and s.seal == TubeState.SEAL_SEALED for s in states),
        10.0, 'tube_01 reported sealed')


def test_cancel_is_honoured_and_leaves_the_tube_unsealed(ros_rig):
    """A cancelled goal ends CANCELED, commits nothing, and the tube can be cached afterwards."""
    client, states = _start(ros_rig)
    feedback = []
    goal_handle = _send(ros_rig, client, 'tube_02', lambda msg: feedback.append(msg.feedback))
    ros_rig.probe.spin_until(lambda: feedback, 10.0, 'first feedback')
    ros_rig.probe.spin_future(goal_handle.cancel_goal_async(), 10.0, 'cancel response')
    response = ros_rig.probe.spin_future(goal_handle.get_result_async(), 30.0, 'result')

    assert response.status == 5  # GoalStatus.STATUS_CANCELED
    assert not response.result.success
    assert response.result.error_code == CacheSample.Result.ERROR_CANCELED
    assert not any(s.tube_id == 'tube_02' and s.seal == TubeState.SEAL_SEALED for s in states)
    # Nothing was committed: the same tube goes through every station again, from the start.
    feedback.clear()
    goal_handle = _send(ros_rig, client, 'tube_02', lambda msg: feedback.append(msg.feedback))
    response = ros_rig.probe.spin_future(goal_handle.get_result_async(), 60.0, 'result')
    assert response.result.success and response.result.sealed
    assert feedback[0].stage == Station.VOLUME_PROBE


def test_invalid_goals_are_refused_with_a_reason_and_the_node_keeps_running(ros_rig):
    """An unknown tube and an empty tube are refused with their error codes; nothing crashes."""
    client, _states = _start(ros_rig)
    cases = [('tube_99', CacheSample.Result.ERROR_UNKNOWN_TUBE, 'tube_99'),
             ('tube_04', CacheSample.Result.ERROR_INVALID_GOAL, 'holds no sample')]
    for tube_id, code, reason in cases:
        goal_handle = _send(ros_rig, client, tube_id)
        response = ros_rig.probe.spin_future(goal_handle.get_result_async(), 10.0, 'result')
        assert response.status == 6  # GoalStatus.STATUS_ABORTED
        assert not response.result.success
        assert response.result.error_code == code
        assert reason in response.result.error_msg
    ros_rig.assert_running()


def test_mageik_seal_fault_stores_unsealed_then_bore_sweep_seals(ros_rig):
    """SEAL_STUCK on Mageik: stored unsealed first; the retry sweeps the bore and seals it."""
    fault = Fault(fault_id='fault_0001', kind=Fault.KIND_SEAL_STUCK, state=Fault.STATE_ARMED,
                  target='mageik', trigger='sample:mageik')
    client, states = _start(ros_rig, faults=[fault])
    first = ros_rig.probe.spin_future(
        _send(ros_rig, client, 'tube_03').get_result_async(), 60.0, 'first result')
    assert first.result.success and not first.result.sealed  # stored safely, unsealed
    assert first.result.bore_sweep_passes == 0

    feedback = []
    retry = ros_rig.probe.spin_future(
        _send(ros_rig, client, 'tube_03', lambda m: feedback.append(m.feedback))
        .get_result_async(), 60.0, 'retry result')
    assert retry.result.success and retry.result.sealed
    assert retry.result.bore_sweep_passes >= 1
    assert retry.result.dispenser == first.result.dispenser  # its seal never left the dispenser
    forces = [f.insertion_force for f in feedback if f.stage == Station.BORE_SWEEP]
    assert len(forces) == retry.result.bore_sweep_passes
    assert forces == sorted(forces, reverse=True)  # each pass lowers the insertion force
