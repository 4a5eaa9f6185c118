# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Helicopter dispatch of the backup path: which helicopter flies which flight, lane by lane."""


class HelicopterDispatcher:
    """
    Which helicopter flies which flight.

    Helicopters are split into ``lanes`` (one per drop point at the lander): helicopter h flies
    in lane (h - 1) % lanes, and a lane's helicopters take its flights in turn. A failed
    helicopter is out of service; a lane with none left flies no more.
    """

    def __init__(self, count, lanes=1):
        """Start with helicopters 1..count healthy, dealt into ``lanes`` lanes."""
        lanes = max(1, min(lanes, count))
        self.healthy = list(range(1, count + 1))
        self.failed = []
        self.flights = 0
        self.lanes = [list(range(first, count + 1, lanes)) for first in range(1, lanes + 1)]
        self._turns = [0] * len(self.lanes)

    def crew(self, lane):
        """Return the healthy helicopters of a lane."""
        return [h for h in self.lanes[lane] if h in self.healthy]

    def assign(self, lane=0):
        """Return (flight number, helicopter) of the lane's next flight, None if none is left."""
        crew = self.crew(lane)
        if not crew:
            return None
        helicopter = crew[self._turns[lane] % len(crew)]
        self._turns[lane] += 1
        self.flights += 1
        return self.flights, helicopter

    def fail(self, helicopter):
        """Take a helicopter out of service; later flights go to the survivors."""
        if helicopter in self.healthy:
            self.healthy.remove(helicopter)
            self.failed.append(helicopter)
