# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The mission_control node as a real process: fault services, goal validation, the step loop.

The last test serves every step action from the test process with stand-ins (instant, scripted
results) so that mission control's own job is checked on its own: the goal sent for each step,
the Mageik retry, a helicopter lost in flight and its tube taken over, feedback, the report.
"""

import json

from perseverance_interfaces.action import (CacheSample, CollectSample, DepositTube,
                                            HandOverTube, LaunchMav, LoadTube, NavigateTo,
                                            RetrieveTube, RunCampaign)
from perseverance_interfaces.msg import Fault, MissionStatus
from perseverance_interfaces.srv import ClearFault, InjectFault
from perseverance_nodes.domain.scenario import default_scenario_path
from rclpy.action import ActionClient, ActionServer, CancelResponse
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
import yaml

FAULT_QOS = QoSProfile(depth=50, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                       reliability=ReliabilityPolicy.RELIABLE)
LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                     reliability=ReliabilityPolicy.RELIABLE)
Inject = InjectFault.Response


def _start(rig, tmp_path, *params):
    ros_args = ['-p', 'report_dir:={}'.format(tmp_path), '-p', 'server_timeout:=1.0']
    for param in params:
        ros_args += ['-p', param]
    rig.start_node('mission_control', ros_args=ros_args)
    client = ActionClient(rig.probe.node, RunCampaign, '/mission_control/run_campaign')
    rig.probe.wait_for_action_server(client)
    _handshake(rig.probe, client)
    return client


def _handshake(probe, client, attempts=10):
    """
    Send refused goals until a goal response comes back.

    The probe may discover the server before the server discovers the probe: the server then
    drops its goal response ("failed to send response (timeout)", seen under load when the
    probe serves the stand-ins) and the goal it accepted runs anyway. A refused goal (too many
    helicopters) is harmless to lose.
    """
    for _ in range(attempts):
        try:
            handle = probe.spin_future(client.send_goal_async(RunCampaign.Goal(helicopters=99)),
                                       2.0, 'handshake goal response')
        except TimeoutError:
            continue
        if handle.accepted:
            probe.spin_future(handle.get_result_async(), 10.0, 'handshake result')
            return
    raise TimeoutError(f'no goal response from mission_control in {attempts} attempts')


def _run(rig, client, goal, timeout=60.0, feedback=None):
    probe = rig.probe
    handle = probe.spin_future(client.send_goal_async(goal, feedback_callback=feedback), 10.0,
                               'RunCampaign goal response')
    assert handle.accepted
    return probe.spin_future(handle.get_result_async(), timeout, 'RunCampaign result').result


def _call(rig, client, request):
    return rig.probe.spin_future(client.call_async(request), 10.0, client.srv_name)


def _scenario(tmp_path, name, **changes):
    """Write a variant of the quick scenario and return its path."""
    data = yaml.safe_load(open(default_scenario_path().parent / 'quick.yaml'))
    data.update(changes)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_inject_and_clear_fault_are_validated_with_reasons(ros_rig, tmp_path):
    """Bad kind, target or trigger are refused naming the value; good faults go on /faults."""
    _start(ros_rig, tmp_path)
    probe = ros_rig.probe
    faults = probe.collect(Fault, '/faults', FAULT_QOS)
    inject = probe.node.create_client(InjectFault, '/mission_control/inject_fault')
    clear = probe.node.create_client(ClearFault, '/mission_control/clear_fault')
    probe.wait_for_service(inject)
    probe.wait_for_service(clear)

    refused = [
        ((99, '', 'now'), Inject.ERROR_UNKNOWN_KIND, 'SEAL_STUCK'),
        ((Fault.KIND_SEAL_STUCK, 'olympus', 'sample:mageik'), Inject.ERROR_UNKNOWN_TARGET,
         'olympus'),
        ((Fault.KIND_HELICOPTER_FAILURE, 'helicopter_7', 'flight:2'),
         Inject.ERROR_UNKNOWN_TARGET, 'helicopter_4'),
        ((Fault.KIND_HELICOPTER_FAILURE, '', 'now'), Inject.ERROR_UNKNOWN_TARGET, 'flight'),
        ((Fault.KIND_SEAL_STUCK, '', 'flight:2'), Inject.ERROR_BAD_TRIGGER, 'sample:<rock>'),
        ((Fault.KIND_TUBE_ON_END, '', 'drop:zero'), Inject.ERROR_BAD_TRIGGER, 'zero'),
    ]
    for (kind, target, trigger), code, reason in refused:
        response = _call(ros_rig, inject, InjectFault.Request(kind=kind, target=target,
                                                              trigger=trigger))
        assert not response.success and response.error_code == code, response
        assert reason in response.error_msg, response.error_msg

    seal = _call(ros_rig, inject, InjectFault.Request(kind=Fault.KIND_SEAL_STUCK,
                                                      trigger='sample:mageik'))
    heli = _call(ros_rig, inject, InjectFault.Request(kind=Fault.KIND_HELICOPTER_FAILURE,
                                                      target='helicopter_2', trigger='now'))
    assert seal.success and heli.success and seal.fault_id != heli.fault_id
    probe.spin_until(lambda: len(faults) >= 3, 10.0, 'ARMED, ARMED, ACTIVE on /faults')
    states = [(f.fault_id, f.state, f.target) for f in faults]
    assert states == [(seal.fault_id, Fault.STATE_ARMED, 'mageik'),
                      (heli.fault_id, Fault.STATE_ARMED, 'helicopter_2'),
                      (heli.fault_id, Fault.STATE_ACTIVE, 'helicopter_2')]

    assert _call(ros_rig, clear, ClearFault.Request(fault_id=seal.fault_id)).success
    probe.spin_until(lambda: len(faults) >= 4, 10.0, 'CLEARED on /faults')
    assert (faults[-1].fault_id, faults[-1].state) == (seal.fault_id, Fault.STATE_CLEARED)
    again = _call(ros_rig, clear, ClearFault.Request(fault_id=seal.fault_id))
    assert again.error_code == ClearFault.Response.ERROR_ALREADY_CLEARED
    unknown = _call(ros_rig, clear, ClearFault.Request(fault_id='fault_9999'))
    assert unknown.error_code == ClearFault.Response.ERROR_UNKNOWN_FAULT
    assert 'fault_9999' in unknown.error_msg
    ros_rig.assert_running()


def test_bad_goals_are_refused_naming_the_field_and_the_node_keeps_running(ros_rig, tmp_path):
    """Unreadable or invalid scenarios are refused; missing nodes fail the campaign by name."""
    client = _start(ros_rig, tmp_path)
    bad_rock = _scenario(tmp_path, 'bad_rock.yaml',
                         rocks=[{'name': 'olympus_mons', 'x': 0.0, 'y': 0.0}])
    cases = [(RunCampaign.Goal(scenario=str(tmp_path / 'missing.yaml')), 'missing.yaml'),
             (RunCampaign.Goal(scenario=bad_rock), 'rocks[0].name'),
             (RunCampaign.Goal(helicopters=12), 'helicopters')]
    for goal, field in cases:
        result = _run(ros_rig, client, goal)
        assert not result.success
        assert result.error_code == RunCampaign.Result.ERROR_BAD_SCENARIO
        assert field in result.error_msg, result.error_msg
    ros_rig.assert_running()

    # A valid goal with none of the other nodes running fails at once, naming what is missing,
    # and still leaves a report.
    result = _run(ros_rig, client, RunCampaign.Goal(scenario=_scenario(tmp_path, 'q.yaml')))
    assert result.error_code == RunCampaign.Result.ERROR_CAMPAIGN_FAILED
    assert '/rover/navigate_to' in result.error_msg and '/lander/load_tube' in result.error_msg
    report = json.loads(open(result.report_path).read())
    assert report['success'] is False and '/rover/navigate_to' in report['failure']
    ros_rig.assert_running()


class StandIns:
    """Every step action served from the test process, answering at once with scripted results."""

    def __init__(self, node, helicopters=2):
        self.goals = []           # (action name, goal)
        self.rocks = {}
        self.next_tube = 1
        self.seal_attempts = {}
        self.flights = {}
        self.loaded = []
        self._servers = []
        table = [(NavigateTo, '/rover/navigate_to'), (CollectSample, '/rover/collect_sample'),
                 (CacheSample, '/caching_assembly/cache_sample'),
                 (DepositTube, '/rover/deposit_tube'), (HandOverTube, '/rover/hand_over_tube'),
                 (LoadTube, '/lander/load_tube'), (LaunchMav, '/lander/launch_mav')]
        table += [(RetrieveTube, '/helicopter_{}/retrieve_tube'.format(n))
                  for n in range(1, helicopters + 1)]
        for action_type, name in table:
            self._servers.append(ActionServer(node, action_type, name,
                                              self._callback(action_type, name)))

    def _callback(self, action_type, name):
        def execute(goal_handle):
            self.goals.append((name, goal_handle.request))
            result = action_type.Result(success=True)
            self._answer(name, goal_handle.request, result)
            if result.success:
                goal_handle.succeed()
            else:
                goal_handle.abort()
            return result
        return execute

    def _answer(self, name, goal, result):
        if name.endswith('collect_sample'):
            result.tube_ids = ['tube_{:02d}'.format(self.next_tube + i) for i in range(2)]
            self.next_tube += 2
            self.rocks.update(dict.fromkeys(result.tube_ids, goal.rock))
        elif name.endswith('cache_sample'):
            attempt = self.seal_attempts[goal.tube_id] = self.seal_attempts.get(
                goal.tube_id, 0) + 1
            first_mageik = self.rocks.get(goal.tube_id) == 'mageik' and \
                goal.tube_id == min(t for t, r in self.rocks.items() if r == 'mageik')
            result.sealed = not (first_mageik and attempt == 1)
        elif name.endswith('retrieve_tube'):
            flight = self.flights[name] = self.flights.get(name, 0) + 1
            if name.startswith('/helicopter_1') and flight == 1:
                result.success = False
                result.error_code = RetrieveTube.Result.ERROR_HELICOPTER_FAILED
                result.error_msg = 'helicopter_1 lost a rotor blade'
        elif name.endswith('load_tube'):
            self.loaded.append(goal.tube_id)
            result.tubes_in_container = len(self.loaded)
        elif name.endswith('launch_mav'):
            result.tube_ids = list(self.loaded)


def test_campaign_steps_with_stand_in_nodes(ros_rig, tmp_path):
    """Each step calls the right action; Mageik is retried; helicopter_2 takes over."""
    probe = ros_rig.probe
    stand_ins = StandIns(probe.node)
    faults = probe.collect(Fault, '/faults', FAULT_QOS)
    statuses = probe.collect(MissionStatus, '/mission_status', LATCHED)
    client = _start(ros_rig, tmp_path)
    scenario = _scenario(tmp_path, 'two_helis.yaml', helicopters={'count': 2},
                         faults=['SEAL_STUCK@sample:mageik', 'HELICOPTER_FAILURE@flight:1'])
    feedback = []
    result = _run(ros_rig, client, RunCampaign.Goal(scenario=scenario, seed=3),
                  feedback=lambda msg: feedback.append(msg.feedback))

    assert result.success, result.error_msg
    assert result.report_path == str(tmp_path / 'report.json')
    names = [name for name, _ in stand_ins.goals]
    assert names[0] == '/rover/navigate_to' and names[-1] == '/lander/launch_mav'
    collects = [goal.rock for name, goal in stand_ins.goals if name == '/rover/collect_sample']
    assert collects == ['montdenier', 'mageik']
    caches = [goal.tube_id for name, goal in stand_ins.goals if name.endswith('cache_sample')]
    assert caches == ['tube_01', 'tube_02', 'tube_03', 'tube_03', 'tube_04']  # Mageik retried
    flights = [(name, goal.tube_id) for name, goal in stand_ins.goals if 'helicopter' in name]
    # Both fly at once (their goals may arrive in either order); helicopter_1 fails its flight.
    lost = [tube for name, tube in flights if name == '/helicopter_1/retrieve_tube']
    second = [tube for name, tube in flights if name == '/helicopter_2/retrieve_tube']
    assert len(lost) == 1 and len(second) == 2 and len(flights) == 3
    assert second[-1] == lost[0]  # the lost helicopter's tube is flown again
    assert sorted(stand_ins.loaded) == ['tube_01', 'tube_02', 'tube_03', 'tube_04']

    probe.spin_until(lambda: len(faults) >= 6, 10.0, 'six fault state changes')
    by_fault = {}
    for fault in faults:
        by_fault.setdefault((fault.kind, fault.trigger), []).append(fault.state)
    expected = [Fault.STATE_ARMED, Fault.STATE_ACTIVE, Fault.STATE_RECOVERED]
    assert by_fault == {(Fault.KIND_SEAL_STUCK, 'sample:mageik'): expected,
                        (Fault.KIND_HELICOPTER_FAILURE, 'flight:1'): expected}
    active = [f for f in faults if f.state == Fault.STATE_ACTIVE]
    assert {f.target for f in active} == {'tube_03', 'helicopter_1'}

    phases = [f.stage for f in feedback]
    assert phases[0] == MissionStatus.PHASE_SAMPLING and phases[-1] == MissionStatus.PHASE_LAUNCH
    assert any('(100%)' not in f.step and f.step.startswith('1: ') for f in feedback)
    probe.spin_until(lambda: statuses and statuses[-1].phase == MissionStatus.PHASE_SUCCEEDED,
                     10.0, 'status SUCCEEDED')

    report = json.loads((tmp_path / 'report.json').read_text())
    assert report['success'] and report['complete'] and report['seed'] == 3
    assert report['counts']['helicopters_lost'] == 1
    assert report['counts']['faults_recovered'] == 2
    assert len(report['steps']) == len(stand_ins.goals)
    assert all('wall_duration' in step for step in report['steps'])
    ros_rig.assert_running()


class _Yield:
    """Awaitable that gives the executor back once (a stand-in step that takes its time)."""

    def __await__(self):
        yield


def test_cancelled_campaign_cancels_its_step_and_keeps_the_report(ros_rig, tmp_path):
    """Cancelling RunCampaign cancels the running step; the report is written; next goal runs."""
    probe = ros_rig.probe
    cancelled = []

    async def drive_forever(goal_handle):
        while not goal_handle.is_cancel_requested:
            await _Yield()
        cancelled.append(goal_handle.request.target)
        goal_handle.canceled()
        return NavigateTo.Result(error_code=NavigateTo.Result.ERROR_CANCELED,
                                 error_msg='cancelled')

    stand_ins = StandIns(probe.node)  # every other action; NavigateTo is replaced below
    stand_ins._servers[0].destroy()
    ActionServer(probe.node, NavigateTo, '/rover/navigate_to', drive_forever,
                 cancel_callback=lambda _request: CancelResponse.ACCEPT)
    client = _start(ros_rig, tmp_path)
    feedback = []
    handle = probe.spin_future(client.send_goal_async(
        RunCampaign.Goal(scenario=_scenario(tmp_path, 'q.yaml')),
        feedback_callback=lambda msg: feedback.append(msg.feedback)), 10.0, 'goal response')
    probe.spin_until(lambda: feedback, 20.0, 'first feedback')
    probe.spin_future(handle.cancel_goal_async(), 10.0, 'cancel response')
    response = probe.spin_future(handle.get_result_async(), 30.0, 'cancelled result')

    assert response.status == 5  # GoalStatus.STATUS_CANCELED
    assert response.result.error_code == RunCampaign.Result.ERROR_CANCELED
    assert len(cancelled) == 1  # the drive to the first rock was cancelled too
    report = json.loads((tmp_path / 'report.json').read_text())
    assert report['complete'] and not report['success'] and report['failure'] == 'cancelled'
    again = probe.spin_future(client.send_goal_async(RunCampaign.Goal(helicopters=12)), 10.0,
                              'second goal response')
    assert again.accepted  # not busy any more
    probe.spin_future(again.get_result_async(), 10.0, 'second result')
    ros_rig.assert_running()
