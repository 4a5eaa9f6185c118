# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""TubeState messages from the tube records of the caching assembly and the ledger."""

from perseverance_interfaces.msg import TubeState


def tube_state_msg(record, holder):
    """
    Return a TubeState with the state fields both kinds of record carry, and `holder`.

    `record` has tube_id, designation, sample_name, kind, content, seal, core_length and volume
    (caching.logic.CachedTube, ledger.logic tube records).
    """
    return TubeState(
        tube_id=record.tube_id, designation=record.designation,
        sample_name=record.sample_name, kind=int(record.kind), content=int(record.content),
        seal=int(record.seal), core_length=float(record.core_length),
        volume=float(record.volume), holder=holder)
