# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The clients mission_control calls (rclpy wiring): each step's action and the ledger's GetTube.

Each CampaignStep becomes one goal of one action (``ACTION_TYPES``, ``action_name``): the goal
``step_goal`` builds; the result goes back to the Campaign as the StepResult ``step_result``
builds, whose ``error_code`` is the name of the action's ERROR_* constant without the prefix.
After a HELICOPTER_FAILED the ledger says where the tube was left. ``StepClients.run`` is called
from the campaign's step threads; it sends goals and cancels through the executor's thread
(rclpy's ActionClient keeps no lock: LeanNode.run_on_executor).
"""

import threading
import time

from geometry_msgs.msg import Point
from perseverance_interfaces.action import (CacheSample, CollectSample, DepositTube,
                                            HandOverTube, LaunchMav, LoadTube, NavigateTo,
                                            RetrieveTube)
from perseverance_interfaces.srv import GetTube
from rclpy.action import ActionClient
from rclpy.callback_groups import ReentrantCallbackGroup

from .logic import (CACHE, COLLECT, DEPOSIT, HANDOVER, LAUNCH, LOAD, NAVIGATE, RETRIEVE,
                    step_actions_needed, StepResult)
from .report import report_tube_ids
from ..domain.tubes import is_valid_holder, TubeRecord
from ..ros.action_server import constant_names
from ..ros.contract import (CACHE_SAMPLE, COLLECT_SAMPLE, DEPOSIT_TUBE, GET_TUBE,
                            HAND_OVER_TUBE, LAUNCH_MAV, LOAD_TUBE, NAVIGATE_TO,
                            retrieve_tube_action)
from ..ros.service_call import call_service, GRAPH_GRACE, ServiceCallError

ACTION_TYPES = {NAVIGATE: NavigateTo, COLLECT: CollectSample, CACHE: CacheSample,
                DEPOSIT: DepositTube, HANDOVER: HandOverTube, LOAD: LoadTube, LAUNCH: LaunchMav,
                RETRIEVE: RetrieveTube}
# The action each step action calls; a retrieval calls its helicopter's (retrieve_tube_action).
ACTION_NAMES = {NAVIGATE: NAVIGATE_TO, COLLECT: COLLECT_SAMPLE, CACHE: CACHE_SAMPLE,
                DEPOSIT: DEPOSIT_TUBE, HANDOVER: HAND_OVER_TUBE, LOAD: LOAD_TUBE,
                LAUNCH: LAUNCH_MAV}
LEDGER_TIMEOUT = 5.0  # s of wall time for the ledger to answer GetTube
CANCEL_WAIT = 10.0    # s of wall time for a cancelled step's server to end its goal


def action_name(step):
    """Return the name of the action that runs ``step``."""
    if step.action == RETRIEVE:
        return retrieve_tube_action(step.params['helicopter'])
    return ACTION_NAMES[step.action]


def error_name(action_type, code):
    """Return the ERROR_* constant name (without the prefix) of a result code, e.g. 'TIMEOUT'."""
    return constant_names(action_type.Result, 'ERROR_').get(code, f'CODE_{code}')


def _point(xy):
    """Return a geometry_msgs/Point from (x, y[, z])."""
    return Point(x=float(xy[0]), y=float(xy[1]), z=float(xy[2]) if len(xy) > 2 else 0.0)


def step_goal(step):
    """Return the goal message of a CampaignStep (see ACTION_TYPES for the action)."""
    params = step.params
    if step.action == NAVIGATE:
        return NavigateTo.Goal(target=_point(params['target']),
                               tolerance=float(params['tolerance']),
                               max_speed=float(params['max_speed']))
    if step.action == COLLECT:
        return CollectSample.Goal(rock=params['rock'], cores=int(params['cores']),
                                  rock_position=_point(params['position']),
                                  use_rock_position=True)
    if step.action == CACHE:
        return CacheSample.Goal(tube_id=params['tube_id'])
    if step.action == DEPOSIT:
        return DepositTube.Goal(tube_id=params['tube_id'], slot=params['slot'],
                                slot_position=_point(params['position']), use_slot_position=True)
    if step.action == HANDOVER:
        return HandOverTube.Goal(tube_id=params['tube_id'])
    if step.action == LOAD:
        return LoadTube.Goal(tube_id=params['tube_id'])
    if step.action == RETRIEVE:
        return RetrieveTube.Goal(tube_id=params['tube_id'],
                                 drop_point=_point(params['drop_point']))
    if step.action == LAUNCH:
        return LaunchMav.Goal(min_tubes=int(params['min_tubes']))
    raise ValueError(f'step action {step.action!r} is not one of {", ".join(ACTION_TYPES)}')


def step_result(step, result):
    """Return the StepResult of an action result message (the data the Campaign reads)."""
    code = '' if result.success else error_name(ACTION_TYPES[step.action], result.error_code)
    data = {}
    if step.action == COLLECT:
        data['tube_ids'] = list(result.tube_ids)
    elif step.action == CACHE:
        data['sealed'] = bool(result.sealed)
    elif step.action == DEPOSIT:
        data['was_on_end'] = bool(result.was_on_end)
        data['was_in_wheel_path'] = bool(result.was_in_wheel_path)
    elif step.action == RETRIEVE and result.success:
        data['helicopter_position'] = _landed_at_drop(step)
    elif step.action == LAUNCH:
        data['tube_ids'] = list(result.tube_ids)
    return StepResult(bool(result.success), code, result.error_msg, data)


def _landed_at_drop(step):
    """Return where a retrieval leaves the helicopter: by its drop point, on the ground."""
    x, y = step.params['drop_point'][:2]
    return (float(x), float(y), 0.0)


def tube_record(msg):
    """Return a ledger TubeRecord from a TubeState message (for the report)."""
    position = msg.pose.position
    return TubeRecord(msg.tube_id, msg.serial_number, msg.kind, msg.holder, msg.designation,
                      msg.sample_name, msg.content, msg.seal, msg.core_length, msg.volume,
                      (position.x, position.y, position.z),
                      msg.last_change.sec + msg.last_change.nanosec * 1e-9, 0)


class _Goal:
    """A goal sent to a step's action server: its handle, its result or why it has none."""

    def __init__(self):
        self.done = threading.Event()
        self.handle = None
        self.response = None
        self.error = ''


class StepClients:
    """The action client of every step action (a RetrieveTube per helicopter) and GetTube."""

    def __init__(self, node, max_helicopters):
        """Create the clients on ``node`` (a LeanNode) for helicopters 1..max_helicopters."""
        self.node = node
        group = ReentrantCallbackGroup()
        self._actions = {action: ActionClient(node, ACTION_TYPES[action], name,
                                              callback_group=group)
                         for action, name in ACTION_NAMES.items()}
        self._helicopters = {
            n: ActionClient(node, RetrieveTube, retrieve_tube_action(n), callback_group=group)
            for n in range(1, max_helicopters + 1)}
        self._get_tube = node.create_client(GetTube, GET_TUBE, callback_group=group)

    def missing_servers(self, scenario, timeout, keep_waiting):
        """
        Return the action names of a scenario's steps that no server serves.

        Waits up to ``timeout`` (wall s) for them while ``keep_waiting()`` is true.
        """
        actions, helicopters = step_actions_needed(scenario)
        servers = {ACTION_NAMES[action]: self._actions[action] for action in actions}
        servers.update((retrieve_tube_action(n), self._helicopters[n]) for n in helicopters)
        deadline = time.monotonic() + timeout
        missing = list(servers)
        while missing and time.monotonic() < deadline and keep_waiting():
            missing = [name for name in missing if not servers[name].server_is_ready()]
            if missing:
                servers[missing[0]].wait_for_server(timeout_sec=min(
                    0.5, max(deadline - time.monotonic(), 0.0)))
        return [name for name in missing if not servers[name].server_is_ready()]

    def run(self, step, goal_handle, timeout, on_progress):
        """
        Send one step's goal, wait for its result (in a step thread); return a StepResult.

        ``on_progress(fraction)`` gets the goal's feedback. A cancel of the RunCampaign goal
        (``goal_handle``) or ``timeout`` (wall s) without a result cancels the goal.
        """
        if step.action == RETRIEVE:
            client = self._helicopters.get(step.params['helicopter'])
        else:
            client = self._actions[step.action]
        name = action_name(step)
        # A step thread may wait: one look at the graph can miss a running server.
        if client is None or not client.wait_for_server(timeout_sec=GRAPH_GRACE):
            return StepResult(False, 'NODE_MISSING', f'no action server for {name}')
        pending = self._send(client, name, step, on_progress)
        ended = self._wait(pending, name, goal_handle, timeout)
        if ended is not None:
            return ended
        outcome = step_result(step, pending.response.result)
        if outcome.error_code == 'HELICOPTER_FAILED':
            outcome = self._locate_tube(outcome, step.params['tube_id'])
        return outcome

    def _send(self, client, name, step, on_progress):
        """Send a step's goal from the executor's thread; return the _Goal it fills."""
        pending = _Goal()

        def on_feedback(msg):
            on_progress(float(getattr(msg.feedback, 'progress', 0.0)))

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

        def send():
            client.send_goal_async(step_goal(step), feedback_callback=on_feedback) \
                .add_done_callback(on_goal_response)
        self.node.run_on_executor(send)
        return pending

    def _wait(self, pending, name, goal_handle, timeout):
        """Wait for a sent goal; return the StepResult if it ended without a result, else None."""
        deadline = time.monotonic() + timeout
        while not pending.done.wait(0.1):
            if not self.node.context.ok():
                return StepResult(False, 'CANCELED', 'mission_control shut down')
            if goal_handle.is_cancel_requested or time.monotonic() > deadline:
                if pending.handle is not None and pending.handle.accepted:
                    self.node.run_on_executor(pending.handle.cancel_goal_async)
                    pending.done.wait(CANCEL_WAIT)
                why = 'cancelled' if goal_handle.is_cancel_requested else \
                    f'no result from {name} within {timeout:.0f} s (wall)'
                return StepResult(False, 'CANCELED' if goal_handle.is_cancel_requested
                                  else 'TIMEOUT', why)
        if pending.error:
            return StepResult(False, 'REJECTED', pending.error)
        return None

    def _locate_tube(self, outcome, tube):
        """Add where the ledger says a tube is (after an emergency landing) to a StepResult."""
        tube_msg = self.ledger_tube(tube)
        if tube_msg is None or not is_valid_holder(tube_msg.holder):
            return outcome
        position = tube_msg.pose.position
        data = dict(outcome.data, tube_holder=tube_msg.holder,
                    tube_position=(position.x, position.y, position.z))
        return StepResult(outcome.success, outcome.error_code, outcome.message, data)

    def ledger_tube(self, tube, timeout=LEDGER_TIMEOUT):
        """Return a tube's TubeState from the ledger, or None when it does not answer."""
        if not self._get_tube.service_is_ready():
            return None
        try:
            response = call_service(self._get_tube, GetTube.Request(tube_id=tube), timeout, tube)
        except ServiceCallError as error:
            self.node.get_logger().warning(str(error))
            return None
        return response.tube if response.success else None

    def report_tubes(self, inventory, final):
        """
        Return the report's TubeRecords: the ledger's own at the end, else the inventory's.

        ``inventory()`` returns the latest TubeInventory's tubes (TubeState). At the end the
        ledger is asked for each of them (for every tube before any inventory came); unless it
        answers for all, the inventory's are used.
        """
        records = []
        if final and self.node.context.ok() and self._get_tube.service_is_ready():
            for tube in report_tube_ids([t.tube_id for t in inventory()]):
                msg = self.ledger_tube(tube)
                if msg is None:
                    records = []
                    break
                records.append(tube_record(msg))
        return records or [tube_record(t) for t in inventory()]
