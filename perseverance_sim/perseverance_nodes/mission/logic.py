# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Mission control logic: the campaign script, the steps it yields and the results it reads.

``Campaign`` turns a ``Scenario`` into steps. The mission node asks ``start_steps(now)`` for the
steps to start, runs each as an action goal on the right node, and hands every outcome back with
``complete(step, result, now)``. Later steps depend on earlier results (which tubes were filled,
which seal stuck, which helicopter failed), so the script is a set of generators that read like
the campaign:

  for each rock: drive there, core two tubes, cache both (retry a stuck seal with the Bore Sweep
  Tool); drive along the depot and drop one twin per slot (plus the witness tube); drive to the
  lander and hand over the on-board set, each tube loaded by the transfer arm (primary path);
  helicopters fetch the depot set one tube per flight, each loaded in turn (backup path: always,
  or only when the hand-over failed); close the container and launch.

Most of it is one sequence. The backup path runs in lanes side by side, one per drop point at the
lander (``LanderSite.drop_points``): each lane flies its helicopters in turn, one flight at a
time, and loads what they bring; the transfer arm serves one lane at a time. A step runs only
when the node that executes it (``step_resource``) is free.

Given the same scenario and the same results in the same order, the steps are the same.
The campaign's faults are in faults.py, its helicopter dispatch in helicopter_dispatch.py, its
report in report.py.
"""

from collections import deque
from dataclasses import dataclass, field, replace
import enum
import math
from types import MappingProxyType

from .faults import FaultSchedule, FaultState
from .helicopter_dispatch import HelicopterDispatcher
from ..domain.geometry import approach_pose, Pose2D
from ..domain.scenario import load_scenario
from ..domain.site_layout import HANDOVER_PARKING_TOLERANCE, LanderSite
from ..domain.tubes import (DEPOT_SAMPLES_BY_KEY, depot_slot, FaultKind, GROUND,
                            ROVER_CACHING_ASSEMBLY, SAMPLE_TUBE_COUNT, tube_id)
from ..domain.validation import ConfigError

# Step actions: each maps onto one action of one node.
NAVIGATE = 'navigate'    # rover NavigateTo
COLLECT = 'collect'      # rover CollectSample
CACHE = 'cache'          # caching_assembly CacheSample
DEPOSIT = 'deposit'      # rover DepositTube
HANDOVER = 'handover'    # rover HandOverTube
RETRIEVE = 'retrieve'    # helicopter_N RetrieveTube
LOAD = 'load'            # lander LoadTube
LAUNCH = 'launch'        # lander LaunchMav

APPROACH_RUN = 4.0       # m driven straight along the wanted heading before a stop (_navigate)
MAX_SEAL_RETRIES = 3     # CacheSample retries of one unsealed tube before leaving it unsealed
FIRST_WITNESS_TUBE = tube_id(SAMPLE_TUBE_COUNT + 1)


class Phase(enum.IntEnum):
    """Campaign phases (MissionStatus.msg PHASE_*)."""

    IDLE = 0
    SAMPLING = 1
    DEPOT = 2
    PRIMARY_HANDOVER = 3
    BACKUP_RETRIEVAL = 4
    LOADING = 5
    LAUNCH = 6
    SUCCEEDED = 7
    FAILED = 8


@dataclass(frozen=True)
class CampaignStep:
    """One step: which action, with which parameters, in which phase."""

    number: int              # 1-based, in start order (0 until started)
    phase: Phase
    action: str              # NAVIGATE, COLLECT, ...
    params: MappingProxyType
    description: str

    def __post_init__(self):
        """Freeze the parameters."""
        object.__setattr__(self, 'params', MappingProxyType(dict(self.params)))


@dataclass(frozen=True)
class StepResult:
    """
    The outcome of a step, as the action returned it.

    ``error_code`` is the suffix of the action's ERROR_* constant (e.g. 'HELICOPTER_FAILED').
    ``data`` carries result fields the campaign needs: ``tube_ids`` (collect), ``sealed``
    (cache), ``helicopter_position`` (retrieve) and, after a HELICOPTER_FAILED,
    ``tube_holder`` and ``tube_position`` (where the tube was left).
    """

    success: bool
    error_code: str = ''
    message: str = ''
    data: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# The campaign


@dataclass
class _Pair:
    """The two tubes cored from one rock."""

    rock: str
    tubes: list
    sealed: dict = field(default_factory=dict)


def _fault_params(records, target):
    """Return step parameters naming the faults a step triggers and what they strike."""
    return {'faults': tuple(r.fault_id for r in records),
            'fault_kinds': tuple(r.kind for r in records), 'fault_target': target}


class CampaignFailed(Exception):
    """A step failed with no recovery; the campaign stops."""


# The node that executes each step action; it runs one step at a time.
STEP_RESOURCES = {NAVIGATE: 'rover', COLLECT: 'rover', DEPOSIT: 'rover', HANDOVER: 'rover',
                  CACHE: 'caching_assembly', LOAD: 'lander', LAUNCH: 'lander'}


def step_resource(step):
    """Return the node that executes ``step`` (helicopter_<n> for a retrieval)."""
    if step.action == RETRIEVE:
        return f'helicopter_{step.params["helicopter"]}'
    return STEP_RESOURCES[step.action]


def step_label(step):
    """Return how feedback and the log name a started step: '<number>: <description>'."""
    return '{}: {}'.format(step.number, step.description)


def step_actions_needed(scenario):
    """
    Return (step actions, helicopters) that a scenario's campaign may call.

    A depot needs DEPOSIT, the primary path HANDOVER, a backup path the RETRIEVE of each
    helicopter (1-based numbers).
    """
    needed = [NAVIGATE, COLLECT, CACHE, LOAD, LAUNCH]
    needed += [DEPOSIT] if scenario.depot_tube_count else []
    needed += [HANDOVER] if scenario.primary else []
    flying = scenario.depot_retrieval != 'never'
    return needed, list(range(1, scenario.helicopters + 1)) if flying else []


def goal_scenario(path, facts, seed, helicopters, max_helicopters):
    """
    Return the Scenario a RunCampaign goal asks for; raise ConfigError naming the field.

    ``path`` None loads the packaged default; ``helicopters`` None keeps the scenario's count,
    which may not exceed ``max_helicopters`` (mission_control's parameter) either way.
    """
    scenario = load_scenario(path, facts)
    if helicopters is not None and helicopters > max_helicopters:
        raise ConfigError('helicopters', helicopters,
                          f'1..{max_helicopters} (parameter max_helicopters)')
    scenario = scenario.with_overrides(seed=seed, helicopters=helicopters)
    if scenario.helicopters > max_helicopters:
        raise ConfigError('helicopters.count', scenario.helicopters,
                          f'0..{max_helicopters} (parameter max_helicopters)', scenario.source)
    return scenario


@dataclass(frozen=True)
class Parallel:
    """Yielded by a script: run ``scripts`` side by side, resume with their return values."""

    scripts: tuple


class _Task:
    """One script generator of a campaign and what it waits for."""

    def __init__(self, script, parent=None, index=0):
        """Wrap ``script``; a child of a Parallel knows its parent and its place in it."""
        self.script, self.parent, self.index = script, parent, index
        self.send = None         # the value the script resumes with
        self.wants = None        # a CampaignStep it yielded, not started yet
        self.running = None      # its step that runs
        self.results = None      # the children's return values while it awaits a Parallel
        self.waiting = 0         # children still running

    @property
    def ready(self):
        """Return True when the script can be resumed."""
        return self.wants is None and self.running is None and self.waiting == 0


class Campaign:
    """The campaign script for one scenario; see the module docstring for the protocol."""

    def __init__(self, scenario, facts):
        """Prepare the script for ``scenario`` (a validated Scenario) and ``MissionFacts``."""
        self.scenario, self.facts = scenario, facts
        self.site = LanderSite(scenario.lander)
        self.faults = FaultSchedule(scenario.faults)
        self.site_drops = self.site.drop_points(max(1, scenario.helicopters))
        self.dispatcher = HelicopterDispatcher(scenario.helicopters, len(self.site_drops))
        self.phase = Phase.IDLE
        self.log = []                # (CampaignStep, StepResult, start time, end time)
        self.pairs = []              # _Pair per rock cored
        self.on_board, self.depot, self.loaded, self.lost = [], {}, [], {}
        self.paths = {'primary': 'not_run', 'backup': 'not_run'}
        self.launched = False
        self.failure = ''
        self.sample_number = 0
        self.depot_witness = None
        rocks, depot = len(scenario.rocks), scenario.depot_tube_count
        self._expected_steps = rocks * 5 + depot * 2 + rocks * 2 + depot * 2 + 3
        self._now = 0.0
        self._rover = (scenario.rover_start.x, scenario.rover_start.y)
        self._helicopter_at = {i + 1: (*pad, 0.0) for i, pad in enumerate(scenario.helipads)}
        self._tasks = [_Task(self._run())]   # scripts alive, in creation order
        self._running = {}                   # step number -> (task, step, start time)
        self._busy = set()                   # step_resource of every running step
        self._started = 0
        self._stranded = {}                  # tube -> HELICOPTER_FAILURE records it recovers

    # -- protocol ---------------------------------------------------------------------------

    def start_steps(self, now):
        """
        Return the steps to start now, each returned once, numbered in start order.

        Returns [] while only steps already started can move the campaign on, and once it is
        finished. Every started step must be handed back to ``complete``.
        """
        started, moved = [], True
        while moved and not self.finished:
            moved = False
            for task in list(self._tasks):
                if self.finished:
                    break
                if task not in self._tasks:  # ended earlier in this pass
                    continue
                if task.ready:
                    self._resume(task)
                    moved = True
                if task.wants is not None and step_resource(task.wants) not in self._busy:
                    started.append(self._start(task, now))
        return started

    def complete(self, step, result, now):
        """Record the outcome of a started step; its script resumes at the next start_steps."""
        entry = self._running.pop(step.number, None)
        if entry is None:
            raise RuntimeError(f'step {step.number} is not running; start it with start_steps')
        task, step, started_at = entry
        self._busy.discard(step_resource(step))
        self.log.append((step, result, started_at, now))
        self._now = now
        task.running, task.send = None, result

    @property
    def running(self):
        """Return the steps started and not completed yet, in start order."""
        return tuple(step for _, step, _ in self._running.values())

    def abort(self, reason):
        """End the campaign as failed from outside the script (an earlier failure stands)."""
        self.failure = self.failure or reason
        self.phase = Phase.FAILED

    def _resume(self, task):
        """Run a script to its next step, Parallel or end."""
        try:
            value = task.script.send(task.send)
        except StopIteration as stop:
            self._tasks.remove(task)
            self._task_done(task, stop.value)
            return
        except CampaignFailed as error:
            self.failure, self.phase, self._tasks = str(error), Phase.FAILED, []
            return
        task.send = None
        if isinstance(value, Parallel):
            children = [_Task(script, task, i) for i, script in enumerate(value.scripts)]
            task.results, task.waiting = [None] * len(children), len(children)
            place = self._tasks.index(task) + 1
            self._tasks[place:place] = children
            if not children:
                task.send = []
        else:
            task.wants = value

    def _task_done(self, task, value):
        """Hand a finished script's return value to the Parallel that awaits it."""
        parent = task.parent
        if parent is None:
            return
        parent.results[task.index] = value
        parent.waiting -= 1
        if parent.waiting == 0:
            parent.send, parent.results = parent.results, None

    def _start(self, task, now):
        """Start the step a script waits for, numbered in start order."""
        self._started += 1
        step = replace(task.wants, number=self._started)
        task.wants, task.running = None, step
        self._busy.add(step_resource(step))
        self._running[step.number] = (task, step, now)
        self.phase = step.phase
        self._fire_faults(step, now)
        return step

    @property
    def finished(self):
        """Return True once the campaign has succeeded or failed."""
        return self.phase in (Phase.SUCCEEDED, Phase.FAILED)

    @property
    def success(self):
        """Return True when the MAV launched with a complete set (a twin of every rock cored)."""
        return self.phase == Phase.SUCCEEDED

    def progress(self):
        """Return an estimate (0..1) of the campaign done, from steps done and steps expected."""
        if self.finished:
            return 1.0
        return min(len(self.log) / self._expected_steps, 0.99)

    # -- helpers ----------------------------------------------------------------------------

    def _step(self, phase, action, description, **params):
        """Build a CampaignStep (numbered when it starts)."""
        return CampaignStep(0, phase, action, params, description)

    def _fire_faults(self, step, now):
        """Mark the faults this step triggers as active and list them in its parameters."""
        for fault_id in step.params.get('faults', ()):
            self.faults.fire(self.faults.get(fault_id), now,
                             target=step.params.get('fault_target', ''))

    def _navigate(self, phase, x, y, why, tolerance=None, heading=None):
        """
        Yield NavigateTo steps; return the last result (the rover position follows on success).

        ``heading`` (rad) is the yaw wanted on arrival, or None when any yaw will do. NavigateTo
        has no heading field, so a heading is reached by driving: first to a point APPROACH_RUN
        metres short of the target along the heading, then straight on to the target.
        """
        tolerance = tolerance or self.facts.rover.arrival_tolerance
        if heading is not None:
            approach = (x - APPROACH_RUN * math.cos(heading), y - APPROACH_RUN * math.sin(heading))
            if math.dist(self._rover, approach) > APPROACH_RUN:  # not already lined up
                result = yield self._step(
                    phase, NAVIGATE, f'line up for {why}', target=approach,
                    tolerance=self.facts.rover.arrival_tolerance,
                    max_speed=self.scenario.rover_speed, heading=None)
                if not result.success:
                    return result
                self._rover = approach
        result = yield self._step(phase, NAVIGATE, f'drive to {why}', target=(x, y),
                                  tolerance=tolerance, max_speed=self.scenario.rover_speed,
                                  heading=heading)
        if result.success:
            self._rover = (x, y)
        return result

    # -- the script -------------------------------------------------------------------------

    def _run(self):
        """Generate the campaign's steps (see the module docstring)."""
        yield from self._sampling()
        yield from self._depot()
        if self.scenario.primary:
            yield from self._primary()
        retrieval = self.scenario.depot_retrieval
        if retrieval == 'always' or (retrieval == 'on_primary_failure'
                                     and self.paths['primary'] == 'failed'):
            yield from self._backup()
        yield from self._launch()

    def _sampling(self):
        """Drive to each rock, core a pair, cache both; retry stuck seals."""
        standoff = self.facts.rover.coring_standoff
        heading = self.scenario.sampling_heading
        for rock in self.scenario.rocks:
            if heading is None:  # face the rock from wherever the rover comes
                park = approach_pose(rock.x, rock.y, *self._rover, standoff)
            else:
                park = Pose2D(rock.x - standoff * math.cos(heading),
                              rock.y - standoff * math.sin(heading), heading)
            result = yield from self._navigate(Phase.SAMPLING, park.x, park.y, f'rock {rock.name}',
                                               heading=park.yaw)
            if not result.success:
                raise CampaignFailed(f'could not reach rock {rock.name}: {result.message}')
            armed = self.faults.armed(f'sample:{rock.name}')
            # A stuck seal strikes one tube (Mageik's twin sealed normally): it fires at the
            # first cache step, not at coring.
            stuck = [r for r in armed if r.kind == FaultKind.SEAL_STUCK]
            collect_faults = [r for r in armed if r.kind != FaultKind.SEAL_STUCK]
            sample = DEPOT_SAMPLES_BY_KEY[rock.name]
            result = yield self._step(
                Phase.SAMPLING, COLLECT, f'core two tubes from {sample.name}', rock=rock.name,
                position=(rock.x, rock.y), cores=2, sol=sample.sol_cored,
                first_sample_number=self.sample_number + 1,
                **_fault_params(collect_faults, rock.name))
            if not result.success:
                continue  # the rock is skipped; its active faults stay in the report
            for record in collect_faults:
                self.faults.recover(record, self._now, f'{sample.name}: collection completed')
            tubes = list(result.data['tube_ids'])
            self.sample_number += len(tubes)
            pair = _Pair(rock.name, tubes)
            self.pairs.append(pair)
            for index, tube in enumerate(tubes):
                pair.sealed[tube] = yield from self._cache(tube, stuck if index == 0 else [])
        if self.scenario.witness and (yield from self._cache(FIRST_WITNESS_TUBE, [])):
            self.depot_witness = FIRST_WITNESS_TUBE
        for pair in self.pairs:  # a second round for seals that resisted the first retries
            for tube in pair.tubes:
                if not pair.sealed[tube]:
                    pair.sealed[tube] = yield from self._cache(tube, [], retry=True)

    def _cache(self, tube, stuck_faults, retry=False):
        """Cache one tube, retrying the seal up to MAX_SEAL_RETRIES; return whether it sealed."""
        attempts = MAX_SEAL_RETRIES + (0 if retry else 1)
        for attempt in range(attempts):
            again = retry or attempt > 0
            faults = _fault_params([] if again else stuck_faults, tube)
            result = yield self._step(
                Phase.SAMPLING, CACHE, f'{"retry seal of" if again else "cache"} {tube}',
                tube_id=tube, retry=again, **faults)
            if not result.success:
                return False
            if result.data.get('sealed', True):
                for record in stuck_faults:
                    self.faults.recover(record, self._now, f'{tube} sealed after Bore Sweep')
                return True
        return False

    def _depot(self):
        """Drop one sealed twin per rock (and the witness) in the zig-zag depot."""
        drops = []
        for pair in self.pairs:
            sealed = [t for t in pair.tubes if pair.sealed.get(t)]
            if len(pair.tubes) < 2 or not sealed:
                self.on_board += pair.tubes  # nothing to spare for the depot
                continue
            # The rover keeps the first sealed tube; the depot gets the other (sealed if possible).
            keep = sealed[0]
            spare = [t for t in pair.tubes if t != keep][0]
            if not pair.sealed.get(spare):
                self.on_board.append(spare)  # unsealed tubes may not be dropped
                spare = None
            self.on_board.append(keep)
            if spare:
                drops.append(spare)
        if self.depot_witness:
            drops.append(self.depot_witness)
        for number, (tube, slot_xy) in enumerate(zip(drops, self.scenario.depot.slots), 1):
            slot = depot_slot(number)
            # Stop with the belly (where tubes leave the rack) over the slot.
            park = approach_pose(*slot_xy, *self._rover, self.facts.rover.belly_drop_offset)
            result = yield from self._navigate(Phase.DEPOT, park.x, park.y, slot, tolerance=0.3)
            if not result.success:
                raise CampaignFailed(f'could not reach {slot}: {result.message}')
            armed = self.faults.armed(f'drop:{number}')
            result = yield self._step(Phase.DEPOT, DEPOSIT, f'drop {tube} at {slot}',
                                      tube_id=tube, slot=slot, position=slot_xy,
                                      **_fault_params(armed, tube))
            if result.success:
                self.depot[tube] = (slot, (*slot_xy, 0.0))
                for record in armed:
                    self.faults.recover(record, self._now, f'{tube} knocked over or nudged')
            else:
                self.on_board.append(tube)

    def _load(self, tube, position, source=GROUND):
        """Load one tube from ``source`` at ``position`` into the container; return success."""
        result = yield self._step(Phase.LOADING, LOAD, f'load {tube} into the container',
                                  tube_id=tube, position=position, source_holder=source)
        if result.success:
            self.loaded.append(tube)
        else:
            self.lost[tube] = f'load failed: {result.message}'
        return result.success

    def _primary(self):
        """Drive to the lander and hand over the on-board set, loading each tube."""
        park = self.site.rover_handover_pose()
        rack = self.site.rover_rack_point()
        result = yield from self._navigate(Phase.PRIMARY_HANDOVER, park.x, park.y, 'the lander',
                                           tolerance=HANDOVER_PARKING_TOLERANCE,
                                           heading=park.yaw)
        if not result.success:
            self.paths['primary'] = 'failed'
            return
        self.paths['primary'] = 'succeeded'
        for tube in list(self.on_board):
            result = yield self._step(Phase.PRIMARY_HANDOVER, HANDOVER,
                                      f'hand {tube} over to the lander', tube_id=tube,
                                      position=rack)
            if not result.success:
                self.paths['primary'] = 'failed'
                return
            # The transfer arm takes the tube straight from the rover's rack.
            yield from self._load(tube, rack, ROVER_CACHING_ASSEMBLY)
        # Back away from the drop zone so that the helicopters can land there.
        away = self.site.rover_handover_pose(backoff=10.0)
        yield from self._navigate(Phase.PRIMARY_HANDOVER, away.x, away.y, 'clear of the lander')

    def _backup(self):
        """Fetch the depot set one tube per flight, in lanes side by side; failures taken over."""
        if self.scenario.helicopters == 0 or not self.depot:
            return
        self.paths['backup'] = 'succeeded'
        pending = deque(self.depot.items())
        while pending:
            # A lane ends when the queue is empty; a failed flight may refill it afterwards.
            lanes = [lane for lane in range(len(self.dispatcher.lanes))
                     if self.dispatcher.crew(lane)]
            if not lanes:
                for tube, _ in pending:
                    self.lost[tube] = 'no helicopter left to fetch it'
                self.paths['backup'] = 'failed'
                return
            yield Parallel(tuple(self._lane(lane, self.site_drops[lane], pending)
                                 for lane in lanes))

    def _lane(self, lane, drop, pending):
        """Fly tubes from ``pending`` to ``drop`` with the lane's helicopters; load each."""
        while pending:
            assignment = self.dispatcher.assign(lane)
            if assignment is None:
                return
            flight, helicopter = assignment
            tube, (holder, position) = pending.popleft()
            name = f'helicopter_{helicopter}'
            armed = self.faults.armed(f'flight:{flight}')
            result = yield self._step(
                Phase.BACKUP_RETRIEVAL, RETRIEVE, f'flight {flight}: {name} fetches {tube}',
                tube_id=tube, helicopter=helicopter, flight=flight,
                start=self._helicopter_at[helicopter], tube_position=position, drop_point=drop,
                **_fault_params(armed, name))
            if result.error_code == 'HELICOPTER_FAILED':
                self.dispatcher.fail(helicopter)
                self._stranded.setdefault(tube, []).extend(
                    r for r in self.faults.records if r.kind == FaultKind.HELICOPTER_FAILURE
                    and r.state == FaultState.ACTIVE and r.target in ('', name))
                where = tuple(result.data.get('tube_position') or position)
                pending.appendleft((tube, (result.data.get('tube_holder') or holder, where)))
                continue
            if not result.success:
                self.lost[tube] = f'retrieval failed: {result.error_code} {result.message}'
                continue
            self._helicopter_at[helicopter] = tuple(result.data.get('helicopter_position', drop))
            if (yield from self._load(tube, drop)):
                for record in self._stranded.pop(tube, ()):
                    self.faults.recover(record, self._now, f'{tube} delivered by takeover')

    def _launch(self):
        """Launch when enough tubes are loaded; decide success."""
        if len(self.loaded) < self.scenario.min_tubes:
            raise CampaignFailed(f'{len(self.loaded)} tubes loaded, fewer than min_tubes '
                                 f'{self.scenario.min_tubes}')
        result = yield self._step(Phase.LAUNCH, LAUNCH, f'launch the MAV with '
                                  f'{len(self.loaded)} tubes', min_tubes=self.scenario.min_tubes)
        if not result.success:
            raise CampaignFailed(f'launch failed: {result.message}')
        self.launched = True
        missing = [pair.rock for pair in self.pairs
                   if not any(tube in self.loaded for tube in pair.tubes)]
        if missing:
            self.failure = 'no tube returned from: ' + ', '.join(missing)
            self.phase = Phase.FAILED
        else:
            self.phase = Phase.SUCCEEDED
