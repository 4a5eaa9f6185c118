# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The mission_control node: runs a campaign (mission.logic.Campaign) by calling the other nodes.

Interfaces:
  action /mission_control/run_campaign   (RunCampaign)    scenario file, seed, helicopters
  srv    /mission_control/inject_fault   (InjectFault)    arm a fault now or at a trigger
  srv    /mission_control/clear_fault    (ClearFault)     clear an armed or active fault
  pub    /faults          (Fault, transient local, depth 50)
  pub    /mission_status  (MissionStatus, transient local, depth 1)
  sub    /tube_inventory  (TubeInventory, transient local)   counts for the status
  client /tube_ledger/get_tube (GetTube)   where a tube is after a failure; the final report
  client the step actions: /rover/navigate_to, /rover/collect_sample, /rover/deposit_tube,
         /rover/hand_over_tube, /caching_assembly/cache_sample, /lander/load_tube,
         /lander/launch_mav, /helicopter_<n>/retrieve_tube

Each CampaignStep becomes one goal of one action (``STEP_ACTIONS``); its result goes back to the
Campaign as a StepResult whose ``error_code`` is the name of the action's ERROR_* constant
without the prefix. The Campaign decides what follows: a second seal attempt, a skipped rock,
a helicopter's tube taken over by the next healthy helicopter.

Faults on /faults, all with the id InjectFault returned (or fault_NNNN for a scenario's faults):
ARMED when a campaign starts (scenario faults) or on injection; ACTIVE when the step that
triggers it starts, naming what it strikes (a rock, a tube, ``helicopter_<n>``); RECOVERED when
the campaign saw the system recover; CLEARED on ClearFault. The nodes that model the fault
(caching assembly, rover, helicopters) read it there; they may publish ACTIVE and RECOVERED for
what they detect themselves.

report.json (mission.logic.build_report plus wall timings) is rewritten in ``report_dir`` after
every step, so a failure or a kill leaves the report of everything done so far.
"""

import json
import math
import os
import queue
import threading
import time

from geometry_msgs.msg import Point
from perseverance_interfaces.action import (CacheSample, CollectSample, DepositTube,
                                            HandOverTube, LaunchMav, LoadTube, NavigateTo,
                                            RetrieveTube, RunCampaign)
from perseverance_interfaces.msg import Fault, MissionStatus, TubeInventory, TubeState
from perseverance_interfaces.srv import ClearFault, GetTube, InjectFault
from rclpy.action import ActionClient
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.task import Future

from ..domain.facts import load_mission_facts
from ..domain.scenario import load_scenario, parse_fault
from ..domain.tubes import (Content, FaultKind, is_valid_holder, LANDER_CONTAINER, MAV_LAUNCHED,
                            ROCK_NAMES, SealState, tube_index)
from ..domain.validation import ConfigError
from ..ledger.logic import TubeRecord
from ..mission import logic as mission
from ..ros.action_server import finish, SingleGoalActionServer
from ..ros.contract import FAULT_QOS, LATCHED
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.parameters import declare
from ..ros.service_call import call_service, ServiceCallError

FEEDBACK_PERIOD = 0.2  # s of wall time between forwarded feedback messages of one step

# Step action -> (action type, action name); RETRIEVE's name is per helicopter.
STEP_ACTIONS = {
    mission.NAVIGATE: (NavigateTo, '/rover/navigate_to'),
    mission.COLLECT: (CollectSample, '/rover/collect_sample'),
    mission.CACHE: (CacheSample, '/caching_assembly/cache_sample'),
    mission.DEPOSIT: (DepositTube, '/rover/deposit_tube'),
    mission.HANDOVER: (HandOverTube, '/rover/hand_over_tube'),
    mission.LOAD: (LoadTube, '/lander/load_tube'),
    mission.LAUNCH: (LaunchMav, '/lander/launch_mav'),
    mission.RETRIEVE: (RetrieveTube, '/helicopter_{}/retrieve_tube'),
}


def retrieve_action_name(helicopter):
    """Return the RetrieveTube action name of helicopter ``helicopter`` (1-based)."""
    return STEP_ACTIONS[mission.RETRIEVE][1].format(helicopter)


def error_name(action_type, code):
    """Return the ERROR_* constant name (without the prefix) of a result code, e.g. 'TIMEOUT'."""
    for name in dir(action_type.Result):
        if name.startswith('ERROR_') and getattr(action_type.Result, name) == code:
            return name[len('ERROR_'):]
    return f'CODE_{code}'


def _point(xy):
    """Return a geometry_msgs/Point from (x, y[, z])."""
    return Point(x=float(xy[0]), y=float(xy[1]), z=float(xy[2]) if len(xy) > 2 else 0.0)


def step_goal(step):
    """Return the goal message of a CampaignStep (see STEP_ACTIONS for the action)."""
    params = step.params
    if step.action == mission.NAVIGATE:
        return NavigateTo.Goal(target=_point(params['target']),
                               tolerance=float(params['tolerance']),
                               max_speed=float(params['max_speed']))
    if step.action == mission.COLLECT:
        return CollectSample.Goal(rock=params['rock'], cores=int(params['cores']))
    if step.action == mission.CACHE:
        return CacheSample.Goal(tube_id=params['tube_id'])
    if step.action == mission.DEPOSIT:
        return DepositTube.Goal(tube_id=params['tube_id'], slot=params['slot'])
    if step.action == mission.HANDOVER:
        return HandOverTube.Goal(tube_id=params['tube_id'])
    if step.action == mission.LOAD:
        return LoadTube.Goal(tube_id=params['tube_id'])
    if step.action == mission.RETRIEVE:
        return RetrieveTube.Goal(tube_id=params['tube_id'],
                                 drop_point=_point(params['drop_point']))
    if step.action == mission.LAUNCH:
        return LaunchMav.Goal(min_tubes=int(params['min_tubes']))
    raise ValueError(f'step action {step.action!r} is not one of {", ".join(STEP_ACTIONS)}')


def step_result(step, result):
    """Return the StepResult of an action result message (the data the Campaign reads)."""
    action_type = STEP_ACTIONS[step.action][0]
    code = '' if result.success else error_name(action_type, result.error_code)
    data = {}
    if step.action == mission.COLLECT:
        data['tube_ids'] = list(result.tube_ids)
    elif step.action == mission.CACHE:
        data['sealed'] = bool(result.sealed)
    elif step.action == mission.DEPOSIT:
        data['was_on_end'] = bool(result.was_on_end)
        data['was_in_wheel_path'] = bool(result.was_in_wheel_path)
    elif step.action == mission.RETRIEVE and result.success:
        data['helicopter_position'] = tuple(params_drop(step))
    elif step.action == mission.LAUNCH:
        data['tube_ids'] = list(result.tube_ids)
    return mission.StepResult(bool(result.success), code, result.error_msg, data)


def params_drop(step):
    """Return where a retrieval leaves the helicopter: by its drop point, on the ground."""
    x, y = step.params['drop_point'][:2]
    return (float(x), float(y), 0.0)


def tube_record(msg):
    """Return a ledger TubeRecord from a TubeState message (for build_report)."""
    position = msg.pose.position
    return TubeRecord(msg.tube_id, msg.serial_number, msg.kind, msg.holder, msg.designation,
                      msg.sample_name, msg.content, msg.seal, msg.core_length, msg.volume,
                      (position.x, position.y, position.z),
                      msg.last_change.sec + msg.last_change.nanosec * 1e-9, 0)


def check_fault_request(request, max_helicopters):
    """
    Validate an InjectFault request; return (FaultSpec, target) or raise _FaultRefused.

    Targets: a rock (``mageik``) or a tube id for the sampling faults (empty: the trigger's
    rock), a tube id for the drop faults, ``helicopter_<n>`` for HELICOPTER_FAILURE (empty with
    a flight trigger: whichever helicopter flies that flight). Trigger ``now`` needs a target.
    """
    try:
        kind = FaultKind(request.kind)
    except ValueError:
        raise _FaultRefused(InjectFault.Response.ERROR_UNKNOWN_KIND,
                            f'kind = {request.kind} is invalid; allowed: ' + ', '.join(
                                f'{k.value} ({k.name})' for k in FaultKind))
    try:
        spec = parse_fault(f'{kind.name}@{request.trigger}', 'trigger')
    except ConfigError as error:
        raise _FaultRefused(InjectFault.Response.ERROR_BAD_TRIGGER, str(error))
    target = request.target.strip().lower()
    if kind in (FaultKind.SEAL_STUCK, FaultKind.EMPTY_CORE, FaultKind.CAROUSEL_DEBRIS):
        allowed = 'a rock (' + ', '.join(ROCK_NAMES) + ')'
        allowed += ' or a tube id tube_01..tube_43' if kind == FaultKind.SEAL_STUCK else ''
        target = target or (spec.trigger_value if spec.trigger_type == 'sample' else '')
        if target not in ROCK_NAMES and not (kind == FaultKind.SEAL_STUCK and _is_tube(target)):
            raise _FaultRefused(InjectFault.Response.ERROR_UNKNOWN_TARGET,
                                f'target = {request.target!r} is invalid for {kind.name}; '
                                f'allowed: {allowed}')
    elif kind in (FaultKind.TUBE_ON_END, FaultKind.TUBE_IN_WHEEL_PATH):
        if not (_is_tube(target) or (not target and spec.trigger_type == 'drop')):
            raise _FaultRefused(InjectFault.Response.ERROR_UNKNOWN_TARGET,
                                f'target = {request.target!r} is invalid for {kind.name}; '
                                'allowed: a tube id tube_01..tube_43 (or empty with drop:<n>)')
    else:
        names = [f'helicopter_{n}' for n in range(1, max_helicopters + 1)]
        if not (target in names or (not target and spec.trigger_type == 'flight')):
            raise _FaultRefused(InjectFault.Response.ERROR_UNKNOWN_TARGET,
                                f'target = {request.target!r} is invalid for {kind.name}; '
                                f'allowed: {", ".join(names)} (or empty with flight:<n>)')
    return spec, target


def _is_tube(text):
    try:
        tube_index(text)
    except ValueError:
        return False
    return True


class _FaultRefused(Exception):
    """An InjectFault request refused with an error code and a reason."""

    def __init__(self, code, message):
        """Store the InjectFault ERROR_* code and the reason."""
        super().__init__(message)
        self.code, self.message = code, message


class _Goal:
    """A goal sent to a step's action server, its result and its latest feedback."""

    def __init__(self):
        self.done = threading.Event()
        self.handle = None
        self.response = None
        self.error = ''


class MissionControlNode(LeanNode):
    """ROS wiring of the campaign: action server, fault services, status and step clients."""

    def __init__(self):
        """Declare parameters, create the clients of every step action, publish the status."""
        super().__init__('mission_control')
        self.default_scenario = declare(
            self, 'scenario', '', 'scenario YAML run when a goal names none; empty = the '
            'packaged config/scenarios/default.yaml')
        facts_file = declare(self, 'facts_file', '', 'mission facts YAML; empty = the packaged '
                             'config/mission_facts.yaml', read_only=True)
        self.report_dir = declare(self, 'report_dir', '', 'directory of report.json; empty = '
                                  'the working directory')
        self.max_helicopters = declare(
            self, 'max_helicopters', 4, 'helicopters whose /helicopter_<n>/retrieve_tube may be '
            'called', 1, 9, read_only=True)
        self.server_timeout = declare(
            self, 'server_timeout', 10.0, 'wall time (s) to wait for each step action server at '
            'the start of a campaign before refusing to run it', 0.1, 600.0)
        self.step_timeout = declare(
            self, 'step_timeout', 600.0, 'wall time (s) a single step may take before it is '
            'cancelled and counted as failed (TIMEOUT)', 1.0, 86400.0)
        self.facts = load_mission_facts(facts_file or None)

        self._lock = threading.RLock()      # campaign, fault registry, inventory
        self._campaign = None
        self._faults = []                   # every FaultRecord ever armed, in id order
        self._published = {}                # fault_id -> last state published
        self._pending = []                  # FaultRecords injected while no campaign runs
        self._inventory = None
        self._status = MissionStatus(phase=MissionStatus.PHASE_IDLE, step='idle')
        self._driver = None                 # the thread running the current campaign

        clients = ReentrantCallbackGroup()
        self._step_clients = {
            action: ActionClient(self, action_type, name, callback_group=clients)
            for action, (action_type, name) in STEP_ACTIONS.items()
            if action != mission.RETRIEVE}
        self._helicopters = {
            n: ActionClient(self, RetrieveTube, retrieve_action_name(n), callback_group=clients)
            for n in range(1, self.max_helicopters + 1)}
        self._get_tube = self.create_client(GetTube, '/tube_ledger/get_tube',
                                            callback_group=clients)

        self.fault_pub = self.create_publisher(Fault, '/faults', FAULT_QOS)
        self.status_pub = self.create_publisher(MissionStatus, '/mission_status', LATCHED)
        self.create_subscription(TubeInventory, '/tube_inventory', self._on_inventory, LATCHED)
        services = MutuallyExclusiveCallbackGroup()
        self.create_service(InjectFault, '~/inject_fault', self._inject, callback_group=services)
        self.create_service(ClearFault, '~/clear_fault', self._clear, callback_group=services)
        self.server = SingleGoalActionServer(self, RunCampaign, '~/run_campaign', self._execute)
        self._publish_status()
        self.get_logger().info('mission control ready (default scenario: {})'.format(
            self.default_scenario or 'config/scenarios/default.yaml'))

    # -- time, status, inventory ------------------------------------------------------------

    def _now(self):
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_inventory(self, msg):
        with self._lock:
            self._inventory = msg
        self._publish_status()

    def _publish_status(self, phase=None, progress=None, step=None):
        with self._lock:
            status = self._status
            if phase is not None:
                status.phase = int(phase)
            if progress is not None:
                status.progress = float(progress)
            if step is not None:
                status.step = step
            tubes = self._inventory.tubes if self._inventory is not None else []
            used = [t for t in tubes if t.content != TubeState.CONTENT_EMPTY]
            status.tubes_sealed = sum(1 for t in used if t.seal == TubeState.SEAL_SEALED)
            status.tubes_in_depot = sum(1 for t in tubes if t.holder.startswith('depot/'))
            status.tubes_in_container = sum(1 for t in tubes
                                            if t.holder in (LANDER_CONTAINER, MAV_LAUNCHED))
            status.active_faults = sum(1 for r in self._faults
                                       if r.state == mission.FaultState.ACTIVE)
            status.header.stamp = self.get_clock().now().to_msg()
            self.status_pub.publish(status)

    # -- faults -----------------------------------------------------------------------------

    def _adopt(self, record):
        """Give a fault record a node-wide id and keep it in the registry."""
        record.fault_id = 'fault_{:04d}'.format(len(self._faults) + 1)
        self._faults.append(record)
        return record

    def _publish_fault_changes(self):
        """Publish every fault whose state changed since it was last published."""
        with self._lock:
            changed = [r for r in self._faults if self._published.get(r.fault_id) != r.state]
            for record in changed:
                self._published[record.fault_id] = record.state
                msg = Fault(fault_id=record.fault_id, kind=int(record.kind),
                            state=int(record.state), target=record.target,
                            trigger=record.trigger, description=record.description)
                msg.header.stamp = self.get_clock().now().to_msg()
                self.fault_pub.publish(msg)
                self.get_logger().info('fault {} {} {} (target {!r}, trigger {})'.format(
                    record.fault_id, record.kind.name, record.state.name, record.target,
                    record.trigger))
        if changed:
            self._publish_status()

    def _inject(self, request, response):
        try:
            spec, target = check_fault_request(request, self.max_helicopters)
        except _FaultRefused as refusal:
            response.success, response.error_code = False, refusal.code
            response.error_msg = refusal.message
            self.get_logger().warning('InjectFault refused: {}'.format(refusal.message))
            return response
        with self._lock:
            campaign = self._campaign
            schedule = campaign.faults if campaign is not None else mission.FaultSchedule()
            record = self._adopt(schedule.arm(spec, target))
            record.description = 'injected'
            if campaign is None:
                self._pending.append(record)
        self._publish_fault_changes()  # ARMED
        if spec.trigger_type == 'now':
            with self._lock:
                schedule.fire(record, self._now(), target, 'injected, trigger now')
            self._publish_fault_changes()  # ACTIVE
        response.success, response.error_code = True, InjectFault.Response.ERROR_NONE
        response.fault_id = record.fault_id
        return response

    def _clear(self, request, response):
        with self._lock:
            record = next((r for r in self._faults if r.fault_id == request.fault_id), None)
            if record is None:
                known = ', '.join(r.fault_id for r in self._faults) or 'none yet'
                response.success = False
                response.error_code = ClearFault.Response.ERROR_UNKNOWN_FAULT
                response.error_msg = 'fault_id = {!r} is unknown; known: {}'.format(
                    request.fault_id, known)
                return response
            if record.state == mission.FaultState.CLEARED:
                response.success = False
                response.error_code = ClearFault.Response.ERROR_ALREADY_CLEARED
                response.error_msg = 'fault_id = {!r} was already cleared'.format(
                    request.fault_id)
                return response
            record.state, record.resolved_at = mission.FaultState.CLEARED, self._now()
        self._publish_fault_changes()
        response.success, response.error_code = True, ClearFault.Response.ERROR_NONE
        return response

    # -- the campaign -----------------------------------------------------------------------

    def _load_goal(self, goal):
        """Return the Scenario a RunCampaign goal asks for; raise ConfigError naming the field."""
        scenario = load_scenario(goal.scenario or self.default_scenario or None, self.facts)
        helicopters = goal.helicopters or None
        if helicopters is not None and helicopters > self.max_helicopters:
            raise ConfigError('helicopters', helicopters,
                              f'1..{self.max_helicopters} (parameter max_helicopters)')
        scenario = scenario.with_overrides(seed=goal.seed, helicopters=helicopters)
        if scenario.helicopters > self.max_helicopters:
            raise ConfigError('helicopters.count', scenario.helicopters,
                              f'0..{self.max_helicopters} (parameter max_helicopters)',
                              scenario.source)
        return scenario

    def _required_servers(self, scenario):
        """Return {action name: client} of every action server the scenario will call."""
        needed = [mission.NAVIGATE, mission.COLLECT, mission.CACHE, mission.LOAD,
                  mission.LAUNCH]
        needed += [mission.DEPOSIT] if scenario.depot_tube_count else []
        needed += [mission.HANDOVER] if scenario.primary else []
        servers = {STEP_ACTIONS[a][1]: self._step_clients[a] for a in needed}
        if scenario.depot_retrieval != 'never':
            for n in range(1, scenario.helicopters + 1):
                servers[retrieve_action_name(n)] = self._helicopters[n]
        return servers

    def _missing_servers(self, servers, goal_handle):
        """Wait up to server_timeout for every server; return the names still not served."""
        deadline = time.monotonic() + self.server_timeout
        missing = list(servers)
        while (missing and time.monotonic() < deadline and self.context.ok()
               and not goal_handle.is_cancel_requested):
            missing = [name for name in missing if not servers[name].server_is_ready()]
            if missing:
                servers[missing[0]].wait_for_server(timeout_sec=min(
                    0.5, max(deadline - time.monotonic(), 0.0)))
        return [name for name in missing if not servers[name].server_is_ready()]

    async def _execute(self, goal_handle):
        """
        Validate the goal, then run the campaign in a thread of its own and await its end.

        The executor is single-threaded (its cost per /clock message is a quarter of the
        multi-threaded one's); the campaign thread blocks on step results that the executor
        delivers meanwhile.
        """
        result = RunCampaign.Result()
        try:
            scenario = self._load_goal(goal_handle.request)
        except ConfigError as error:
            self.get_logger().warning('RunCampaign refused: {}'.format(error))
            return finish(goal_handle, result, RunCampaign.Result.ERROR_BAD_SCENARIO, str(error))
        done = Future()

        def drive():
            try:
                outcome = self._drive(goal_handle, scenario, result)
            except BaseException as error:  # the goal must end whatever happens
                outcome = (RunCampaign.Result.ERROR_CAMPAIGN_FAILED, repr(error))
            done.set_result(outcome)
            executor = self.executor
            if executor is not None:
                executor.wake()  # resume this coroutine now, not at the next message

        self._driver = threading.Thread(target=drive, name='campaign', daemon=True)
        self._driver.start()
        code, message = await done
        return finish(goal_handle, result, code, message)

    def _drive(self, goal_handle, scenario, result):
        """Run one campaign (in the campaign thread); fill ``result``, return (code, message)."""
        wall_start = time.monotonic()
        with self._lock:
            campaign = mission.Campaign(scenario, self.facts)
            for record in campaign.faults.records:  # node-wide ids, then the injected ones
                self._adopt(record)
                record.description = 'scenario ' + (scenario.source or scenario.name)
            campaign.faults.records.extend(self._pending)
            self._pending = []
            self._campaign = campaign
        self._publish_fault_changes()  # ARMED: scenario faults
        result.report_path = self._report_path()
        start = self._now()
        timings = {}                        # step number -> wall time (s)
        self.get_logger().info('campaign {!r} (seed {}, {} helicopters) starting'.format(
            scenario.name, scenario.seed, scenario.helicopters))
        try:
            missing = self._missing_servers(self._required_servers(scenario), goal_handle)
            if missing:
                campaign.failure = ('nodes not running: no action server for ' + ', '.join(
                    missing) + ' (start them, or check ROS_DOMAIN_ID)')
                campaign.phase = mission.Phase.FAILED
            code, message = self._run(goal_handle, campaign, start, timings)
        except Exception as error:  # keep the node and the report alive whatever happens
            self.get_logger().error('campaign aborted: {!r}'.format(error))
            campaign.failure = campaign.failure or 'internal error: {!r}'.format(error)
            campaign.phase = mission.Phase.FAILED
            code, message = RunCampaign.Result.ERROR_CAMPAIGN_FAILED, campaign.failure
        finally:
            sim_duration = max(self._now() - start, 0.0)
            report = self._write_report(campaign, sim_duration, timings,
                                        time.monotonic() - wall_start, final=True)
            with self._lock:
                self._campaign = None
        result.sim_duration = sim_duration
        result.tubes_launched = report['counts']['launched'] if report else 0
        self._publish_status(campaign.phase, 1.0, 'campaign {}: {}'.format(
            campaign.phase.name.lower(), campaign.failure or 'MAV launched'))
        self.get_logger().info('campaign {}: {} ({:.0f} s sim)'.format(
            campaign.phase.name, campaign.failure or 'success', sim_duration))
        return code, message

    def _run(self, goal_handle, campaign, start, timings):
        """
        Drive the campaign to its end; return (error code, error message).

        Every step the campaign starts runs in a thread of its own (helicopters fly side by
        side); their outcomes come back here through a queue, in the order they finish.
        """
        finished = queue.Queue()
        running = 0
        while True:
            stop = self._stop_reason(goal_handle)
            if stop:
                campaign.failure = campaign.failure or stop
            with self._lock:
                steps = [] if stop else campaign.start_steps(self._now() - start)
            self._publish_fault_changes()  # ACTIVE: faults these steps trigger
            for step in steps:
                running += 1
                threading.Thread(target=self._step_thread, name=f'step_{step.number}', args=(
                    goal_handle, campaign, step, finished), daemon=True).start()
            if not running:
                break
            step, outcome, wall = finished.get()  # steps watch cancel and shutdown themselves
            running -= 1
            with self._lock:
                campaign.complete(step, outcome, self._now() - start)
            timings[step.number] = round(wall, 3)
            self._publish_fault_changes()  # RECOVERED
            text = '{}: {}'.format(step.number, step.description)
            if outcome.success:
                self.get_logger().info('step {} done'.format(text))
            else:
                self.get_logger().warning('step {} FAILED: {} {}'.format(
                    text, outcome.error_code, outcome.message))
            self._write_report(campaign, self._now() - start, timings, None)
        if campaign.success:
            return RunCampaign.Result.ERROR_NONE, ''
        if goal_handle.is_cancel_requested:
            return RunCampaign.Result.ERROR_CANCELED, 'cancelled by request'
        return RunCampaign.Result.ERROR_CAMPAIGN_FAILED, campaign.failure or 'campaign failed'

    def _stop_reason(self, goal_handle):
        """Return why no further step may start ('' while the campaign may go on)."""
        if goal_handle.is_cancel_requested:
            return 'cancelled'
        if not self.context.ok():
            return 'mission_control shut down during the campaign'
        return ''

    def _step_thread(self, goal_handle, campaign, step, finished):
        """Run one step (in a thread of its own); put (step, StepResult, wall) on ``finished``."""
        text = '{}: {}'.format(step.number, step.description)
        self._feedback(goal_handle, campaign, step, text, force=True)
        wall = time.monotonic()
        try:
            outcome = self._run_step(goal_handle, campaign, step, text)
        except Exception as error:  # the campaign must hear back from every step
            outcome = mission.StepResult(False, 'INTERNAL', repr(error))
        finished.put((step, outcome, time.monotonic() - wall))

    def _feedback(self, goal_handle, campaign, step, text, force=False):
        """Publish RunCampaign feedback and the status, at most every FEEDBACK_PERIOD."""
        now = time.monotonic()
        if not force and now - getattr(self, '_last_feedback', 0.0) < FEEDBACK_PERIOD:
            return
        self._last_feedback = now
        progress = campaign.progress()
        msg = RunCampaign.Feedback(stage=int(step.phase), progress=float(progress), step=text)
        goal_handle.publish_feedback(msg)
        self._publish_status(step.phase, progress, text)

    def _run_step(self, goal_handle, campaign, step, text):
        """Send one step's goal, forward its feedback, wait for its result; a StepResult."""
        if step.action == mission.RETRIEVE:
            client = self._helicopters.get(step.params['helicopter'])
            name = retrieve_action_name(step.params['helicopter'])
        else:
            client, name = self._step_clients[step.action], STEP_ACTIONS[step.action][1]
        if client is None or not client.server_is_ready():
            return mission.StepResult(False, 'NODE_MISSING', f'no action server for {name}')
        pending = _Goal()

        def on_feedback(msg):
            fraction = float(getattr(msg.feedback, 'progress', 0.0))
            self._feedback(goal_handle, campaign, step,
                           '{} ({:.0f}%)'.format(text, 100.0 * fraction))

        def on_result(future):
            pending.response = future.result()
            pending.done.set()

        def on_goal_response(future):
            pending.handle = future.result()
            if pending.handle is None or not pending.handle.accepted:
                pending.error = f'{name} rejected the goal (busy with another one)'
                pending.done.set()
                return
            pending.handle.get_result_async().add_done_callback(on_result)

        def send():  # in the executor's thread: ActionClient is not thread-safe
            client.send_goal_async(step_goal(step), feedback_callback=on_feedback) \
                .add_done_callback(on_goal_response)
        self.run_on_executor(send)
        deadline = time.monotonic() + self.step_timeout
        while not pending.done.wait(0.1):
            if not self.context.ok():
                return mission.StepResult(False, 'CANCELED', 'mission_control shut down')
            if goal_handle.is_cancel_requested or time.monotonic() > deadline:
                if pending.handle is not None and pending.handle.accepted:
                    self.run_on_executor(pending.handle.cancel_goal_async)
                    pending.done.wait(10.0)
                why = 'cancelled' if goal_handle.is_cancel_requested else \
                    f'no result from {name} within {self.step_timeout:.0f} s (wall)'
                return mission.StepResult(False, 'CANCELED' if goal_handle.is_cancel_requested
                                          else 'TIMEOUT', why)
        if pending.error:
            return mission.StepResult(False, 'REJECTED', pending.error)
        outcome = step_result(step, pending.response.result)
        if outcome.error_code == 'HELICOPTER_FAILED':
            outcome = self._locate_tube(outcome, step.params['tube_id'])
        return outcome

    def _locate_tube(self, outcome, tube):
        """Add where the ledger says a tube is (after an emergency landing) to a StepResult."""
        tube_msg = self._ledger_tube(tube)
        if tube_msg is None or not is_valid_holder(tube_msg.holder):
            return outcome
        position = tube_msg.pose.position
        data = dict(outcome.data, tube_holder=tube_msg.holder,
                    tube_position=(position.x, position.y, position.z))
        return mission.StepResult(outcome.success, outcome.error_code, outcome.message, data)

    def _ledger_tube(self, tube, timeout=5.0):
        """Return a tube's TubeState from the ledger, or None when it does not answer."""
        if not self._get_tube.service_is_ready():
            return None
        try:
            response = call_service(self._get_tube, GetTube.Request(tube_id=tube), timeout, tube)
        except ServiceCallError as error:
            self.get_logger().warning(str(error))
            return None
        return response.tube if response.success else None

    # -- report -----------------------------------------------------------------------------

    def _report_path(self):
        return os.path.abspath(os.path.join(self.report_dir or '.', 'report.json'))

    def _tubes_for_report(self, final):
        """Return TubeRecords: from the ledger itself at the end, else the latest inventory."""
        tubes = []
        if final and self.context.ok() and self._get_tube.service_is_ready():
            with self._lock:
                ids = [t.tube_id for t in self._inventory.tubes] if self._inventory else []
            for tube in ids or ['tube_{:02d}'.format(i) for i in range(1, 44)]:
                msg = self._ledger_tube(tube)
                if msg is None:
                    tubes = []
                    break
                tubes.append(tube_record(msg))
        if not tubes:
            with self._lock:
                tubes = [tube_record(t) for t in self._inventory.tubes] if self._inventory \
                    else []
        return tubes

    def _write_report(self, campaign, sim_duration, timings, wall_duration, final=False):
        """Write report.json atomically; return the report dict (None if writing failed)."""
        try:
            tubes = self._tubes_for_report(final)  # outside the lock: it may call the ledger
            with self._lock:
                report = mission.build_report(campaign, tubes, sim_duration)
            for step in report['steps']:
                step['wall_duration'] = timings.get(step['number'])
            report['complete'] = final
            report['ledger_available'] = bool(report['tubes'])
            if wall_duration is not None:
                report['wall_duration'] = round(wall_duration, 3)
                report['real_time_factor'] = (round(sim_duration / wall_duration, 2)
                                              if wall_duration > 0 else None)
            path = self._report_path()
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path + '.tmp', 'w', encoding='utf-8') as stream:
                json.dump(report, stream, indent=1, default=_json_default)
            os.replace(path + '.tmp', path)
            return report
        except (OSError, ValueError, TypeError) as error:
            self.get_logger().error('report not written: {!r}'.format(error))
            return None

    def destroy_node(self):
        """Let a running campaign write its report (it stops at shutdown), then destroy."""
        if self._driver is not None:
            self._driver.join(timeout=10.0)
        super().destroy_node()


def _json_default(value):
    """Serialise enums, tuples and mapping proxies that appear in step data."""
    if isinstance(value, (Content, SealState, FaultKind)):
        return value.name
    if hasattr(value, 'items'):
        return dict(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def main(args=None):
    """Run the mission_control node (single-threaded executor; see ``_execute``)."""
    return spin_node(MissionControlNode, args)
