# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Timelines: ordered steps with nominal durations, for action feedback.

Every multi-stage action (collect, cache, retrieve, load, launch) is planned up front as a
``Timeline``: a list of ``Step`` objects, each naming the feedback stage constant of its action,
a nominal duration in sim seconds and details the node needs (a joint pose, a target, a force). A
node either plays the timeline against the clock (``at(elapsed)``) or walks it step by step as the
world confirms each one, reporting ``progress(index, fraction)``.
"""

from dataclasses import dataclass, field
import math
from types import MappingProxyType


@dataclass(frozen=True)
class Step:
    """One stage of an action: feedback stage code, label, nominal duration (s) and details."""

    stage: int
    name: str
    duration: float
    details: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self):
        """Reject negative or non-finite durations and freeze the details."""
        if not math.isfinite(self.duration) or self.duration < 0.0:
            raise ValueError(f'step {self.name!r}: duration {self.duration!r} must be >= 0 s')
        object.__setattr__(self, 'details', MappingProxyType(dict(self.details)))


@dataclass(frozen=True)
class TimelinePoint:
    """Where a timeline is at some elapsed time."""

    index: int
    step: Step
    step_fraction: float
    progress: float
    done: bool


class Timeline:
    """An immutable sequence of steps with cumulative start times."""

    def __init__(self, steps):
        """Store the steps; a timeline needs at least one."""
        self.steps = tuple(steps)
        if not self.steps:
            raise ValueError('a timeline needs at least one step')
        starts, total = [], 0.0
        for step in self.steps:
            starts.append(total)
            total += step.duration
        self.starts = tuple(starts)
        self.total_duration = total

    def __len__(self):
        """Return the number of steps."""
        return len(self.steps)

    def __iter__(self):
        """Iterate over the steps in order."""
        return iter(self.steps)

    def progress(self, index, step_fraction=0.0):
        """Return the fraction (0..1) of the timeline done at a fraction of step ``index``."""
        if not 0 <= index < len(self.steps):
            raise IndexError(f'step index {index} outside 0..{len(self.steps) - 1}')
        fraction = min(max(step_fraction, 0.0), 1.0)
        if self.total_duration <= 0.0:
            return (index + fraction) / len(self.steps)
        elapsed = self.starts[index] + fraction * self.steps[index].duration
        return elapsed / self.total_duration

    def at(self, elapsed):
        """Return the ``TimelinePoint`` reached ``elapsed`` seconds after the start."""
        if elapsed >= self.total_duration:
            return TimelinePoint(len(self.steps) - 1, self.steps[-1], 1.0, 1.0, True)
        elapsed = max(elapsed, 0.0)
        index = 0
        while index + 1 < len(self.steps) and self.starts[index + 1] <= elapsed:
            index += 1
        step = self.steps[index]
        fraction = (elapsed - self.starts[index]) / step.duration if step.duration else 1.0
        return TimelinePoint(index, step, fraction, self.progress(index, fraction), False)

    def names(self):
        """Return the step names in order (handy in tests and logs)."""
        return [step.name for step in self.steps]
