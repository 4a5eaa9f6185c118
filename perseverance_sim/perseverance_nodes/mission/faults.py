# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Faults of a campaign and of mission_control: schedule, node-wide registry, InjectFault checks.

A ``FaultSchedule`` holds one campaign's faults (armed from the scenario or injected) and their
state changes. The ``FaultRegistry`` holds every fault mission_control armed, campaign after
campaign, under node-wide ids, and which state /faults was last told of each.
``check_fault_request`` validates an InjectFault request; a refusal's code names the service's
ERROR_* constant without the prefix.
"""

from dataclasses import dataclass
import enum

from ..domain.scenario import parse_fault
from ..domain.tubes import FaultKind, ROCK_NAMES, TUBE_COUNT, tube_id, tube_index
from ..domain.validation import ConfigError, Refusal

# How the InjectFault refusals name the tube ids a target may be.
TUBE_IDS = f'{tube_id(1)}..{tube_id(TUBE_COUNT)}'
SAMPLING_FAULTS = (FaultKind.SEAL_STUCK, FaultKind.EMPTY_CORE, FaultKind.CAROUSEL_DEBRIS)
DROP_FAULTS = (FaultKind.TUBE_ON_END, FaultKind.TUBE_IN_WHEEL_PATH)


class FaultState(enum.IntEnum):
    """Fault states (Fault.msg STATE_*)."""

    ARMED = 0
    ACTIVE = 1
    RECOVERED = 2
    CLEARED = 3


@dataclass
class FaultRecord:
    """A scheduled or injected fault and what became of it."""

    fault_id: str
    kind: FaultKind
    trigger: str
    target: str = ''
    state: FaultState = FaultState.ARMED
    fired_at: float = None
    resolved_at: float = None
    description: str = ''

    def as_dict(self):
        """Return the record ready for JSON."""
        return {'fault_id': self.fault_id, 'kind': self.kind.name, 'trigger': self.trigger,
                'target': self.target, 'state': self.state.name, 'fired_at': self.fired_at,
                'resolved_at': self.resolved_at, 'description': self.description}


def _fault_id(number):
    """Return the id of the ``number``-th fault (1-based), e.g. fault_0001."""
    return f'fault_{number:04d}'


class FaultSchedule:
    """Faults armed from the scenario (or injected at run time) and their state changes."""

    def __init__(self, specs=()):
        """Arm each ``FaultSpec`` with ids fault_0001, fault_0002, ..."""
        self.records = []
        for spec in specs:
            self.arm(spec)

    def arm(self, spec, target=''):
        """Arm one FaultSpec and return its FaultRecord."""
        if not target and spec.trigger_type == 'sample':
            target = spec.trigger_value
        record = FaultRecord(_fault_id(len(self.records) + 1), spec.kind, spec.trigger, target)
        self.records.append(record)
        return record

    def get(self, fault_id):
        """Return the FaultRecord with this id; KeyError names it."""
        for record in self.records:
            if record.fault_id == fault_id:
                return record
        raise KeyError(f'fault_id {fault_id!r} is unknown')

    def armed(self, trigger):
        """Return armed faults whose trigger is ``trigger`` (e.g. 'sample:mageik')."""
        return [r for r in self.records if r.state == FaultState.ARMED and r.trigger == trigger]

    def fire(self, record, now, target='', description=''):
        """Mark a fault active (it struck)."""
        record.state, record.fired_at = FaultState.ACTIVE, now
        record.target = target or record.target
        record.description = description or record.description

    def recover(self, record, now, description=''):
        """Mark an active fault recovered by the system."""
        if record.state == FaultState.ACTIVE:
            record.state, record.resolved_at = FaultState.RECOVERED, now
            if description:
                record.description = description

    def clear(self, fault_id, now):
        """Clear a fault by operator request; return False if it was already cleared."""
        record = self.get(fault_id)
        if record.state == FaultState.CLEARED:
            return False
        record.state, record.resolved_at = FaultState.CLEARED, now
        return True

    @property
    def active_count(self):
        """Return the number of active faults."""
        return sum(1 for r in self.records if r.state == FaultState.ACTIVE)


class FaultRegistry:
    """
    Every fault mission_control armed, under node-wide ids, and what /faults was told.

    A campaign's scenario faults are renumbered when it starts, after the faults armed before;
    faults injected while no campaign runs wait for the next one. Not thread-safe: the node holds
    its lock around every call.
    """

    def __init__(self):
        """Start with no faults."""
        self.all = FaultSchedule()   # every FaultRecord ever armed, in id order
        self._published = {}         # fault_id -> last state published
        self._pending = []           # FaultRecords injected while no campaign runs

    def _adopt(self, record):
        """Give a fault record a node-wide id and keep it."""
        record.fault_id = _fault_id(len(self.all.records) + 1)
        self.all.records.append(record)
        return record

    def start_campaign(self, campaign, description):
        """Adopt a new campaign's scenario faults, then hand it the faults injected before."""
        for record in campaign.faults.records:
            self._adopt(record)
            record.description = description
        campaign.faults.records.extend(self._pending)
        self._pending = []

    def inject(self, campaign, spec, target):
        """
        Arm an injected fault in the running campaign (None: for the next one).

        Return (schedule, record): the schedule fires the record when its trigger is 'now'.
        """
        schedule = campaign.faults if campaign is not None else FaultSchedule()
        record = self._adopt(schedule.arm(spec, target))
        record.description = 'injected'
        if campaign is None:
            self._pending.append(record)
        return schedule, record

    def clear(self, fault_id, now):
        """Clear a fault by operator request; Refusal UNKNOWN_FAULT or ALREADY_CLEARED."""
        try:
            cleared = self.all.clear(fault_id, now)
        except KeyError:
            known = ', '.join(r.fault_id for r in self.all.records) or 'none yet'
            raise Refusal('UNKNOWN_FAULT', f'fault_id = {fault_id!r} is unknown; known: '
                          f'{known}') from None
        if not cleared:
            raise Refusal('ALREADY_CLEARED', f'fault_id = {fault_id!r} was already cleared')

    def changes(self):
        """Return the records whose state changed since they were last returned, in id order."""
        changed = [r for r in self.all.records if self._published.get(r.fault_id) != r.state]
        for record in changed:
            self._published[record.fault_id] = record.state
        return changed

    @property
    def active_count(self):
        """Return the number of active faults."""
        return self.all.active_count


def _is_tube(text):
    """Return True if ``text`` is one of the tube ids."""
    try:
        tube_index(text)
    except ValueError:
        return False
    return True


def _refuse_target(raw_target, kind, allowed):
    """Return the Refusal of a target that does not fit ``kind``."""
    return Refusal('UNKNOWN_TARGET', f'target = {raw_target!r} is invalid for {kind.name}; '
                   f'allowed: {allowed}')


def check_fault_request(kind, target, trigger, max_helicopters):
    """
    Validate an InjectFault request; return (FaultSpec, target) or raise Refusal.

    Targets: a rock (``mageik``) or a tube id for the sampling faults (empty: the trigger's
    rock), a tube id for the drop faults, ``helicopter_<n>`` for HELICOPTER_FAILURE (empty with
    a flight trigger: whichever helicopter flies that flight). Trigger ``now`` needs a target.
    Refusal codes: UNKNOWN_KIND, BAD_TRIGGER, UNKNOWN_TARGET.
    """
    raw_target = target
    try:
        kind = FaultKind(kind)
    except ValueError:
        raise Refusal('UNKNOWN_KIND', f'kind = {kind} is invalid; allowed: ' + ', '.join(
            f'{k.value} ({k.name})' for k in FaultKind)) from None
    try:
        spec = parse_fault(f'{kind.name}@{trigger}', 'trigger')
    except ConfigError as error:
        raise Refusal('BAD_TRIGGER', str(error)) from None
    target = target.strip().lower()
    if kind in SAMPLING_FAULTS:
        allowed = 'a rock (' + ', '.join(ROCK_NAMES) + ')'
        allowed += f' or a tube id {TUBE_IDS}' if kind == FaultKind.SEAL_STUCK else ''
        target = target or (spec.trigger_value if spec.trigger_type == 'sample' else '')
        if target not in ROCK_NAMES and not (kind == FaultKind.SEAL_STUCK and _is_tube(target)):
            raise _refuse_target(raw_target, kind, allowed)
    elif kind in DROP_FAULTS:
        if not (_is_tube(target) or (not target and spec.trigger_type == 'drop')):
            raise _refuse_target(raw_target, kind, f'a tube id {TUBE_IDS} (or empty with '
                                 'drop:<n>)')
    else:
        names = [f'helicopter_{n}' for n in range(1, max_helicopters + 1)]
        if not (target in names or (not target and spec.trigger_type == 'flight')):
            raise _refuse_target(raw_target, kind, f'{", ".join(names)} (or empty with '
                                 'flight:<n>)')
    return spec, target
