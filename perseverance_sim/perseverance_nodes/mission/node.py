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

Each CampaignStep becomes one goal of one action (mission.step_clients); its result goes back to
the Campaign as a StepResult whose ``error_code`` is the name of the action's ERROR_* constant
without the prefix. The Campaign decides what follows: a second seal attempt, a skipped rock,
a helicopter's tube taken over by the next healthy helicopter.

Faults on /faults, all with the id InjectFault returned (or fault_NNNN for a scenario's faults):
ARMED when a campaign starts (scenario faults) or on injection; ACTIVE when the step that
triggers it starts, naming what it strikes (a rock, a tube, ``helicopter_<n>``); RECOVERED when
the campaign saw the system recover; CLEARED on ClearFault. The nodes that model the fault
(caching assembly, rover, helicopters) read it there; they may publish ACTIVE and RECOVERED for
what they detect themselves (mission.faults keeps the registry).

report.json (mission.report.run_report) is rewritten in ``report_dir`` after every step, so a
failure or a kill leaves the report of everything done so far.
"""

import threading
import time

from perseverance_interfaces.action import RunCampaign
from perseverance_interfaces.msg import TubeInventory
from perseverance_interfaces.srv import ClearFault, InjectFault
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.task import Future

from .driver import campaign_outcome, CampaignDriver
from .faults import check_fault_request, FaultRegistry
from .logic import Campaign, goal_scenario, step_label
from .publishers import MissionPublishers
from .report import report_path, run_report, write_report
from .step_clients import StepClients
from ..domain.facts import load_mission_facts
from ..domain.validation import ConfigError, Refusal
from ..ros.action_server import finish, SingleGoalActionServer
from ..ros.contract import CLEAR_FAULT, INJECT_FAULT, LATCHED, RUN_CAMPAIGN, TUBE_INVENTORY
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.parameters import declare

FEEDBACK_PERIOD = 0.2  # s of wall time between forwarded feedback messages of one step
CAMPAIGN_JOIN = 10.0   # s of wall time at shutdown for a campaign to write its report


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
        self._faults = FaultRegistry()
        self._inventory = None
        self._last_feedback = 0.0           # wall time of the last feedback forwarded
        self._campaign_thread = None        # the thread running the current campaign

        self.steps = StepClients(self, self.max_helicopters)
        self.out = MissionPublishers(self)
        self.create_subscription(TubeInventory, TUBE_INVENTORY, self._on_inventory, LATCHED)
        services = MutuallyExclusiveCallbackGroup()
        self.create_service(InjectFault, INJECT_FAULT, self._inject, callback_group=services)
        self.create_service(ClearFault, CLEAR_FAULT, self._clear, callback_group=services)
        self.server = SingleGoalActionServer(self, RunCampaign, RUN_CAMPAIGN, self._execute)
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

    def _inventory_tubes(self):
        """Return the latest TubeInventory's tubes (none before the first)."""
        with self._lock:
            return self._inventory.tubes if self._inventory is not None else []

    def _publish_status(self, phase=None, progress=None, step=None):
        with self._lock:
            self.out.publish_status(self._inventory_tubes(), self._faults.active_count, phase,
                                    progress, step)

    # -- faults -----------------------------------------------------------------------------

    def _publish_fault_changes(self):
        """Publish every fault whose state changed since it was last published."""
        with self._lock:
            changed = self._faults.changes()
            for record in changed:
                self.out.publish_fault(record)
        if changed:
            self._publish_status()

    def _inject(self, request, response):
        try:
            spec, target = check_fault_request(request.kind, request.target, request.trigger,
                                               self.max_helicopters)
        except Refusal as refusal:
            self.get_logger().warning('InjectFault refused: {}'.format(refusal.message))
            return _refuse(response, refusal)
        with self._lock:
            schedule, record = self._faults.inject(self._campaign, spec, target)
        self._publish_fault_changes()  # ARMED
        if spec.trigger_type == 'now':
            with self._lock:
                schedule.fire(record, self._now(), target, 'injected, trigger now')
            self._publish_fault_changes()  # ACTIVE
        response.success, response.error_code = True, InjectFault.Response.ERROR_NONE
        response.fault_id = record.fault_id
        return response

    def _clear(self, request, response):
        try:
            with self._lock:
                self._faults.clear(request.fault_id, self._now())
        except Refusal as refusal:
            return _refuse(response, refusal)
        self._publish_fault_changes()
        response.success, response.error_code = True, ClearFault.Response.ERROR_NONE
        return response

    # -- the campaign -----------------------------------------------------------------------

    async def _execute(self, goal_handle):
        """
        Validate the goal, then run the campaign in a thread of its own and await its end.

        The executor is single-threaded (its cost per /clock message is a quarter of the
        multi-threaded one's); the campaign thread blocks on step results that the executor
        delivers meanwhile.
        """
        result = RunCampaign.Result()
        goal = goal_handle.request
        try:
            scenario = goal_scenario(goal.scenario or self.default_scenario or None, self.facts,
                                     goal.seed, goal.helicopters or None, self.max_helicopters)
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

        self._campaign_thread = threading.Thread(target=drive, name='campaign', daemon=True)
        self._campaign_thread.start()
        code, message = await done
        return finish(goal_handle, result, code, message)

    def _drive(self, goal_handle, scenario, result):
        """Run one campaign (in the campaign thread); fill ``result``, return (code, message)."""
        wall_start = time.monotonic()
        with self._lock:
            campaign = Campaign(scenario, self.facts)
            self._faults.start_campaign(campaign, 'scenario ' + (scenario.source or scenario.name))
            self._campaign = campaign
        self._publish_fault_changes()  # ARMED: scenario faults
        result.report_path = report_path(self.report_dir)
        start = self._now()
        driver = CampaignDriver(
            campaign, self._lock, lambda: self._now() - start,
            run_step=lambda step: self._run_step(goal_handle, campaign, step),
            stop_flags=lambda: (goal_handle.is_cancel_requested, not self.context.ok()),
            logger=self.get_logger(),
            on_change=self._publish_fault_changes,  # ACTIVE when steps start, RECOVERED
            on_step_done=lambda _step, _outcome: self._write_report(
                campaign, driver.clock(), driver.timings, None))
        self.get_logger().info('campaign {!r} (seed {}, {} helicopters) starting'.format(
            scenario.name, scenario.seed, scenario.helicopters))
        try:
            missing = self.steps.missing_servers(scenario, self.server_timeout, lambda: (
                self.context.ok() and not goal_handle.is_cancel_requested))
            if missing:
                campaign.abort('nodes not running: no action server for ' + ', '.join(missing)
                               + ' (start them, or check ROS_DOMAIN_ID)')
            driver.run()
            code = campaign_outcome(campaign, goal_handle.is_cancel_requested)
        except Exception as error:  # keep the node and the report alive whatever happens
            self.get_logger().error('campaign aborted: {!r}'.format(error))
            campaign.abort('internal error: {!r}'.format(error))
            code = ('CAMPAIGN_FAILED', campaign.failure)
        finally:
            sim_duration = max(self._now() - start, 0.0)
            report = self._write_report(campaign, sim_duration, driver.timings,
                                        time.monotonic() - wall_start, final=True)
            with self._lock:
                self._campaign = None
        result.sim_duration = sim_duration
        result.tubes_launched = report['counts']['launched'] if report else 0
        self._publish_status(campaign.phase, 1.0, 'campaign {}: {}'.format(
            campaign.phase.name.lower(), campaign.failure or 'MAV launched'))
        self.get_logger().info('campaign {}: {} ({:.0f} s sim)'.format(
            campaign.phase.name, campaign.failure or 'success', sim_duration))
        return getattr(RunCampaign.Result, 'ERROR_' + code[0]), code[1]

    # -- the campaign thread and the step threads (CampaignDriver) ----------------------------

    def _run_step(self, goal_handle, campaign, step):
        """Run one step (in its thread): feedback, its goal, its result; a StepResult."""
        text = step_label(step)
        self._feedback(goal_handle, campaign, step, text, force=True)
        return self.steps.run(step, goal_handle, self.step_timeout, lambda fraction: (
            self._feedback(goal_handle, campaign, step,
                           '{} ({:.0f}%)'.format(text, 100.0 * fraction))))

    def _feedback(self, goal_handle, campaign, step, text, force=False):
        """Publish RunCampaign feedback and the status, at most every FEEDBACK_PERIOD."""
        now = time.monotonic()
        if not force and now - self._last_feedback < FEEDBACK_PERIOD:
            return
        self._last_feedback = now
        progress = campaign.progress()
        msg = RunCampaign.Feedback(stage=int(step.phase), progress=float(progress), step=text)
        goal_handle.publish_feedback(msg)
        self._publish_status(step.phase, progress, text)

    # -- report -----------------------------------------------------------------------------

    def _write_report(self, campaign, sim_duration, timings, wall_duration, final=False):
        """Write report.json atomically; return the report dict (None if writing failed)."""
        try:
            # Outside the lock: it may call the ledger.
            tubes = self.steps.report_tubes(self._inventory_tubes, final)
            with self._lock:
                report = run_report(campaign, tubes, sim_duration, timings, wall_duration, final)
            write_report(report_path(self.report_dir), report)
            return report
        except (OSError, ValueError, TypeError) as error:
            self.get_logger().error('report not written: {!r}'.format(error))
            return None

    def destroy_node(self):
        """Let a running campaign write its report (it stops at shutdown), then destroy."""
        if self._campaign_thread is not None:
            self._campaign_thread.join(timeout=CAMPAIGN_JOIN)
        super().destroy_node()


def _refuse(response, refusal):
    """Return a service response refused: the ERROR_* constant a Refusal names, its reason."""
    response.success = False
    response.error_code = getattr(type(response), 'ERROR_' + refusal.code)
    response.error_msg = refusal.message
    return response


def main(args=None):
    """Run the mission_control node (single-threaded executor; see ``_execute``)."""
    return spin_node(MissionControlNode, args)
