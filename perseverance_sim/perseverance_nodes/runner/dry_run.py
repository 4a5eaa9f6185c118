# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Run a whole campaign on the logic modules alone: no ROS, no physics, sim time by addition.

``DryRun`` plays the part of every node: it answers each ``CampaignStep`` with the same logic
the nodes wrap (rover sampling, caching assembly, helicopter flights, transfer arm, container)
and records every custody change in a real ``TubeLedger``. It serves three purposes: preview a
scenario's steps and timings for a seed; test the campaign script and the ledger invariant end to
end in a second; and show, step by step, how a node turns plans into ledger events.
"""

import heapq
import itertools
import math

from ..caching.logic import CachingAssembly
from ..domain.geometry import Pose2D
from ..domain.site_layout import LanderSite
from ..domain.tubes import (FaultKind, LANDER_CONTAINER, MAV_LAUNCHED, ROVER_CACHING_ASSEMBLY,
                            SealState)
from ..domain.validation import Refusal
from ..helicopter.logic import (abort_outcome, Battery, choose_failure_point, plan_retrieval,
                                ready_time)
from ..lander.logic import CONTAINER_PORT, MarsAscentVehicle, plan_load
from ..lander.logic import SampleContainer
from ..ledger.logic import CustodyEvent, TubeLedger
from ..mission import logic as mission
from ..mission.report import build_report
from ..rover.sampling import classify_drop, forced_drop_pose, plan_collection, plan_deposit
from ..rover.sampling import recovery_steps


class DryRun:
    """Execute a Campaign step by step with the logic modules; see the module docstring."""

    def __init__(self, scenario, facts, ledger_path=':memory:', forced_failures=None):
        """
        Prepare every subsystem for ``scenario``.

        ``forced_failures`` maps (action, occurrence) to an error code, e.g.
        ``{('handover', 1): 'TOO_FAR_FROM_LANDER'}``, to test recovery paths.
        """
        self.scenario, self.facts = scenario, facts
        self.campaign = mission.Campaign(scenario, facts)
        self.ledger = TubeLedger(ledger_path)
        self.caching = CachingAssembly(facts, scenario.seed)
        self.container = SampleContainer(facts.lander.container_capacity,
                                         scenario.allow_unsealed)
        self.mav = MarsAscentVehicle(self.container)
        self.site = LanderSite(scenario.lander)
        self.rover = scenario.rover_start
        heli = facts.helicopter
        self.batteries = {i + 1: Battery(heli.battery_capacity)
                          for i in range(scenario.helicopters)}
        self.landed_at = dict.fromkeys(self.batteries, 0.0)
        self.forced = dict(forced_failures or {})
        self._events = []        # heap of (time, order, CustodyEvent) not in the ledger yet
        self._order = itertools.count()  # ties in time keep the order events were made in
        self.counts = {}
        self.now = 0.0

    # -- driver -----------------------------------------------------------------------------

    def run(self, max_steps=2000):
        """
        Run to the end and return the report dict (with the ledger check added).

        Steps that run side by side are executed one after another, each from its own start
        time; their ends are then delivered in time order, as the nodes would deliver them.
        """
        ends, clock = [], 0.0    # heap of (end time, step number, step, result)
        for _ in range(max_steps):
            self._flush(clock)
            for step in self.campaign.start_steps(clock):
                self.now = clock
                result = self.execute(step)  # advances self.now to the step's end
                heapq.heappush(ends, (self.now, step.number, step, result))
            if not ends:
                break
            clock, _, step, result = heapq.heappop(ends)
            self.campaign.complete(step, result, clock)
        self.now = clock
        self._flush(math.inf)
        report = build_report(self.campaign, self.ledger.inventory(), self.now)
        report['ledger_problems'] = self.ledger.verify_invariant()
        return report

    def execute(self, step):
        """Answer one step with a StepResult, advancing sim time."""
        occurrence = self.counts[step.action] = self.counts.get(step.action, 0) + 1
        code = self.forced.get((step.action, occurrence))
        if code:
            return mission.StepResult(False, code, f'forced failure of {step.action} '
                                      f'#{occurrence}')
        try:
            return getattr(self, '_' + step.action)(step.params)
        except Refusal as refusal:
            return mission.StepResult(False, refusal.code, refusal.message)

    def _advance(self, timeline):
        """Move sim time over a whole timeline."""
        self.now += timeline.total_duration

    def _record(self, tube, from_holder, to_holder, action, actor, position, **changes):
        """Append one custody event at the current sim time."""
        self._queue(CustodyEvent(self.now, tube, from_holder, to_holder, action, actor,
                                 tuple(position), changes))

    def _queue(self, event):
        """
        Hold an event until the run's clock reaches it.

        A step is executed all at once when it starts, but the ledger takes events in time
        order only; steps side by side interleave theirs, as the nodes would.
        """
        heapq.heappush(self._events, (event.sim_time, next(self._order), event))

    def _flush(self, until):
        """Record the held events up to sim time ``until``, in time order."""
        while self._events and self._events[0][0] <= until:
            self.ledger.record(heapq.heappop(self._events)[2])

    def _rover_xyz(self):
        """Return the rover position on the ground."""
        return (self.rover.x, self.rover.y, 0.0)

    # -- one method per step action ---------------------------------------------------------

    def _navigate(self, params):
        """Drive straight to the target at the speed cap."""
        x, y = params['target']
        distance = self.rover.distance_to(x, y)
        yaw = math.atan2(y - self.rover.y, x - self.rover.x) if distance > 1e-9 else self.rover.yaw
        self.now += distance / params['max_speed']
        self.rover = Pose2D(x, y, yaw)
        return mission.StepResult(True)

    def _collect(self, params):
        """Core two tubes; ledger events follow the plan's transfers."""
        inventory = self.caching.inventory
        plan = plan_collection(params['rock'], inventory.empty_sample_tubes(),
                               params['first_sample_number'], params['sol'], self.facts,
                               self.scenario.seed, params['fault_kinds'], params['cores'])
        outcomes = {core.tube_id: core for core in plan.cores}
        for plan_step in plan.timeline:
            self.now += plan_step.duration
            transfer = plan_step.details.get('transfer')
            if not transfer:
                continue
            tube = plan_step.details['tube_id']
            core = outcomes.get(tube)
            changes = {}
            if transfer[1] == ROVER_CACHING_ASSEMBLY and core:
                changes = {'content': int(core.content), 'core_length': core.core_length,
                           'volume': core.volume, 'designation': core.designation,
                           'sample_name': core.sample_name}
                inventory.fill(tube, core.content, core.volume, core.core_length,
                               core.designation, core.sample_name)
            self._record(tube, *transfer, '/rover', self._rover_xyz(), **changes)
        if not plan.success:
            return mission.StepResult(False, plan.error.code, plan.error.message)
        return mission.StepResult(True, data={'tube_ids': [c.tube_id for c in plan.cores]})

    def _cache(self, params):
        """Run the caching stations; record the seal (or its failure) in the ledger."""
        plan = self.caching.cache(params['tube_id'], params['fault_kinds'])
        self._advance(plan.timeline)
        record = self.caching.inventory.get(plan.tube_id)
        self._record(plan.tube_id, ROVER_CACHING_ASSEMBLY, ROVER_CACHING_ASSEMBLY,
                     'seal' if plan.sealed else 'seal_failed', '/caching_assembly',
                     self._rover_xyz(), seal=int(record.seal), content=int(record.content))
        return mission.StepResult(True, data={'sealed': plan.sealed})

    def _deposit(self, params):
        """Drop a tube at its slot, check how it lies, knock it over or nudge it."""
        tube, slot = params['tube_id'], params['slot']
        if self.caching.inventory.get(tube).seal != SealState.SEALED:
            raise Refusal('TUBE_UNSEALED', f'{tube} is not sealed')
        timeline = plan_deposit(tube, slot, self.facts)
        self._advance(timeline)
        position, quaternion = (self.rover.x, self.rover.y, 0.01), (0.7071, 0.0, 0.0, 0.7071)
        for kind in params['fault_kinds']:
            if kind in (FaultKind.TUBE_ON_END, FaultKind.TUBE_IN_WHEEL_PATH):
                position, quaternion = forced_drop_pose(kind, self.rover, self.facts)
        self._record(tube, ROVER_CACHING_ASSEMBLY, slot, 'drop', '/rover', position)
        self.caching.inventory.release(tube)
        check = classify_drop(position, quaternion, self.rover, self.facts)
        for step in recovery_steps(check, tube, self.facts):
            self.now += step.duration
            target = step.details['target'] or position[:2]
            self._record(tube, slot, slot, step.name, '/rover', (*target, 0.01))
        return mission.StepResult(True, data={'was_on_end': check.on_end,
                                              'was_in_wheel_path': check.in_wheel_path})

    def _handover(self, params):
        """Present an on-board tube in the rack to the transfer arm (it stays in the rack)."""
        tube = params['tube_id']
        if not self.caching.inventory.get(tube).on_board:
            raise Refusal('TUBE_NOT_ON_BOARD', f'{tube} is not on the rover')
        self.now += self.facts.rover.arm_move_duration
        return mission.StepResult(True)

    def _load(self, params):
        """Pick a tube from the ground and insert it in the container."""
        tube = params['tube_id']
        sealed = self.ledger.tube(tube).seal == SealState.SEALED
        source = params['source_holder']
        position = params['position'] if source == ROVER_CACHING_ASSEMBLY else \
            self.ledger.tube(tube).position
        timeline = plan_load(tube, position, 0.0, self.site, self.container, sealed, self.facts,
                             source)
        for plan_step in timeline:
            self.now += plan_step.duration
            transfer = plan_step.details.get('transfer')
            if transfer:
                self._record(tube, *transfer, '/lander', self.site.to_world(*CONTAINER_PORT))
        slot = self.container.load(tube, sealed)
        if source == ROVER_CACHING_ASSEMBLY:
            self.caching.inventory.release(tube)
        return mission.StepResult(True, data={'container_slot': slot})

    def _retrieve(self, params):
        """Fly a sortie, or fail mid-flight when a HELICOPTER_FAILURE is armed for it."""
        tube, helicopter = params['tube_id'], params['helicopter']
        battery = self.batteries[helicopter]
        battery.recharge(self.facts.helicopter.solar_power, self.now - self.landed_at[helicopter])
        tube_position = self.ledger.tube(tube).position
        plan = plan_retrieval(tube, helicopter, params['start'], tube_position,
                              params['drop_point'], self.facts)
        wait_until = ready_time(plan, battery, self.facts, self.now)
        battery.recharge(self.facts.helicopter.solar_power, wait_until - self.now)
        self.now = wait_until
        failure = None
        if FaultKind.HELICOPTER_FAILURE in params['fault_kinds']:
            failure = choose_failure_point(plan, self.scenario.seed, params['flight'])
        holder = self.ledger.current_holder(tube)
        position = params['start']
        for index, plan_step in enumerate(plan.timeline):
            target = plan_step.details['target']
            if failure and index == failure.step_index:
                self.now += plan_step.duration * failure.fraction
                battery.drain(plan_step.details['power'], plan_step.duration * failure.fraction)
                here = tuple(a + failure.fraction * (b - a) for a, b in zip(position, target))
                outcome = abort_outcome(plan, index, here, 0.0)  # flat ground in a dry run
                if outcome.transfer:  # set down where it landed
                    holder, tube_position = outcome.tube_holder, outcome.tube_position
                    self._record(tube, *outcome.transfer, f'/helicopter_{helicopter}',
                                 outcome.tube_position)
                return mission.StepResult(False, 'HELICOPTER_FAILED', f'helicopter_{helicopter} '
                                          'failed in flight and made an emergency landing',
                                          {'tube_holder': holder,
                                           'tube_position': tuple(tube_position)})
            self.now += plan_step.duration
            battery.drain(plan_step.details['power'], plan_step.duration)
            transfer = plan_step.details.get('transfer')
            if transfer:
                from_holder = transfer[0] or holder
                self._record(tube, from_holder, transfer[1], transfer[2],
                             f'/helicopter_{helicopter}', target)
                holder = transfer[1]
            position = target
        self.landed_at[helicopter] = self.now
        return mission.StepResult(True, data={'helicopter_position': position})

    def _launch(self, params):
        """Close the lid, count down, lift off; every tube in the container leaves Mars."""
        self.mav.check_ready(params['min_tubes'])
        self._advance(self.mav.plan(self.facts))
        self.container.close_lid()
        tubes = self.mav.liftoff(self.now)
        where = self.site.to_world(*CONTAINER_PORT)
        for tube in tubes:
            self._queue(CustodyEvent(self.now, tube, LANDER_CONTAINER, MAV_LAUNCHED, 'launch',
                                     '/lander', where))
        return mission.StepResult(True, data={'tube_ids': list(tubes)})
