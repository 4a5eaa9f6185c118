# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The tube_ledger node: the chain of custody (ledger.logic.TubeLedger) served over ROS.

Interfaces:
  srv  /tube_ledger/record    (RecordCustody)  record one custody event; refused, with the reason,
                                               when it would break the invariant (nothing written)
  srv  /tube_ledger/get_tube  (GetTube)        one tube's state and its history, oldest first
  pub  /custody_events        (CustodyEvent, reliable, depth 100)  each recorded event
  pub  /tube_inventory        (TubeInventory, transient local, depth 1)  all 43 tubes, at start
                                               and after every event

Every event is committed to the SQLite database (WAL) first, then appended to the event log (one
JSON object per line, flushed at once), then published. A restart reopens the same database and
continues the sequence. Parameters: see config/tube_ledger.yaml.
"""

import json
import math
import os
import threading

from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point, Pose
from perseverance_interfaces.msg import CustodyEvent as CustodyEventMsg
from perseverance_interfaces.msg import TubeInventory
from perseverance_interfaces.srv import GetTube, RecordCustody
from rcl_interfaces.msg import ParameterDescriptor

from .logic import CustodyError, CustodyEvent, TubeLedger
from ..ros.contract import EVENTS_QOS, LATCHED
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.tube_msgs import tube_state_msg


# TubeState fields a RecordCustody request may set, and how each is read from the message.
STATE_FIELDS = {
    'content': lambda state: int(state.content),
    'seal': lambda state: int(state.seal),
    'designation': lambda state: state.designation,
    'sample_name': lambda state: state.sample_name,
    'core_length': lambda state: float(state.core_length),
    'volume': lambda state: float(state.volume),
}

# CustodyError codes (ledger.logic) -> RecordCustody.Response ERROR_* constants.
ERROR_CODES = {
    'UNKNOWN_TUBE': RecordCustody.Response.ERROR_UNKNOWN_TUBE,
    'WRONG_HOLDER': RecordCustody.Response.ERROR_WRONG_HOLDER,
    'HOLDER_OCCUPIED': RecordCustody.Response.ERROR_HOLDER_OCCUPIED,
    'INVALID_EVENT': RecordCustody.Response.ERROR_INVALID_EVENT,
    'TIME_REVERSED': RecordCustody.Response.ERROR_INVALID_EVENT,
}


def to_time(seconds):
    """Return a builtin_interfaces/Time for ``seconds`` (float, s)."""
    sec = int(math.floor(seconds))
    return Time(sec=sec, nanosec=min(int(round((seconds - sec) * 1e9)), 999999999))


def from_time(stamp):
    """Return a builtin_interfaces/Time as float seconds."""
    return stamp.sec + stamp.nanosec * 1e-9


def event_to_msg(recorded):
    """Return the CustodyEvent message of a ledger RecordedEvent."""
    event = recorded.event
    msg = CustodyEventMsg()
    msg.header.stamp = to_time(event.sim_time)
    msg.header.frame_id = 'world'
    msg.sequence = recorded.sequence
    msg.tube_id = event.tube_id
    msg.from_holder = event.from_holder
    msg.to_holder = event.to_holder
    msg.action = event.action
    msg.actor = event.actor
    msg.position = Point(x=float(event.position[0]), y=float(event.position[1]),
                         z=float(event.position[2]))
    return msg


def event_to_json(recorded):
    """Return the event-log line (without newline) of a ledger RecordedEvent."""
    event = recorded.event
    return json.dumps({
        'sequence': recorded.sequence, 'sim_time': event.sim_time, 'tube_id': event.tube_id,
        'from_holder': event.from_holder, 'to_holder': event.to_holder, 'action': event.action,
        'actor': event.actor, 'position': list(event.position), 'changes': dict(event.changes),
    }, sort_keys=True)


def tube_to_msg(record):
    """Return the TubeState message of a ledger TubeRecord."""
    msg = tube_state_msg(record, record.holder)
    msg.serial_number = record.serial_number
    msg.pose = Pose()
    msg.pose.position = Point(x=float(record.position[0]), y=float(record.position[1]),
                              z=float(record.position[2]))
    msg.pose.orientation.w = 1.0
    msg.last_change = to_time(record.last_change)
    return msg


def request_to_event(request, now):
    """
    Return the ledger CustodyEvent of a RecordCustody request; raise CustodyError if malformed.

    A zero header stamp means "now" (the ledger's clock, sim time under use_sim_time).
    """
    msg = request.event
    sim_time = from_time(msg.header.stamp) if (msg.header.stamp.sec or
                                               msg.header.stamp.nanosec) else now
    changes = {}
    for name in request.fields:
        if name not in STATE_FIELDS:
            raise CustodyError('INVALID_EVENT', f'fields: {name!r} is not one of '
                               f'{", ".join(STATE_FIELDS)}')
        changes[name] = STATE_FIELDS[name](request.state)
    if request.state.tube_id and request.state.tube_id != msg.tube_id:
        raise CustodyError('INVALID_EVENT', f'state.tube_id {request.state.tube_id!r} differs '
                           f'from event.tube_id {msg.tube_id!r}')
    return CustodyEvent(sim_time, msg.tube_id, msg.from_holder, msg.to_holder, msg.action,
                        msg.actor, (msg.position.x, msg.position.y, msg.position.z), changes)


class TubeLedgerNode(LeanNode):
    """ROS wiring of the tube ledger."""

    def __init__(self):
        """Declare parameters, open the database and the event log, publish the inventory."""
        super().__init__('tube_ledger')
        db_path = self.declare_parameter(
            'db_path', 'tube_ledger.db', ParameterDescriptor(
                description='SQLite database of the chain of custody (relative paths are from '
                            'the working directory); an existing database is reopened and its '
                            'sequence continued', read_only=True)).value
        event_log = self.declare_parameter(
            'event_log', '', ParameterDescriptor(
                description='JSON-lines event log, appended and flushed per event; empty = '
                            'custody_events.jsonl next to db_path', read_only=True)).value
        db_path = os.path.abspath(db_path)
        event_log = os.path.abspath(event_log or os.path.join(os.path.dirname(db_path),
                                                              'custody_events.jsonl'))
        for path in (db_path, event_log):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        self._lock = threading.Lock()
        self.ledger = TubeLedger(db_path)
        self._log = open(event_log, 'a', encoding='utf-8')
        problems = self.ledger.verify_invariant()
        if problems:  # refuse to serve a broken chain of custody rather than extend it
            raise RuntimeError(f'{db_path}: custody invariant broken: {"; ".join(problems)}')

        self.events_pub = self.create_publisher(CustodyEventMsg, '/custody_events', EVENTS_QOS)
        self.inventory_pub = self.create_publisher(TubeInventory, '/tube_inventory', LATCHED)
        self.create_service(RecordCustody, '~/record', self._record)
        self.create_service(GetTube, '~/get_tube', self._get_tube)
        self._publish_inventory()
        self.get_logger().info('tube ledger ready: {} tubes, {} events so far, db {}, log {}'
                               .format(len(self.ledger.inventory()), self.ledger.last_sequence,
                                       db_path, event_log))

    def _now(self):
        return self.get_clock().now().nanoseconds * 1e-9

    def _publish_inventory(self):
        msg = TubeInventory()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = 'world'
        msg.last_event_sequence = self.ledger.last_sequence
        msg.tubes = [tube_to_msg(record) for record in self.ledger.inventory()]
        self.inventory_pub.publish(msg)

    def _record(self, request, response):
        try:
            event = request_to_event(request, self._now())
            with self._lock:
                recorded = self.ledger.record(event, verify=True)
        except CustodyError as error:
            response.success = False
            response.error_code = ERROR_CODES.get(error.code,
                                                  RecordCustody.Response.ERROR_INVALID_EVENT)
            response.error_msg = error.message
            self.get_logger().warning('custody event refused: {}'.format(error.message))
            return response
        except (TypeError, ValueError) as error:  # a value the database cannot store
            response.success = False
            response.error_code = RecordCustody.Response.ERROR_INVALID_EVENT
            response.error_msg = str(error)
            return response
        try:
            self._log.write(event_to_json(recorded) + '\n')
            self._log.flush()
        except OSError as error:  # the database already holds the event: keep serving
            self.get_logger().error('event log write failed: {}'.format(error))
        self.events_pub.publish(event_to_msg(recorded))
        self._publish_inventory()
        response.success = True
        response.error_code = RecordCustody.Response.ERROR_NONE
        response.sequence = recorded.sequence
        self.get_logger().info('#{} {} {} -> {} ({}, {})'.format(
            recorded.sequence, event.tube_id, event.from_holder, event.to_holder, event.action,
            event.actor))
        return response

    def _get_tube(self, request, response):
        try:
            with self._lock:
                record = self.ledger.tube(request.tube_id)
                history = self.ledger.history(request.tube_id)
        except CustodyError as error:
            response.success = False
            response.error_code = GetTube.Response.ERROR_UNKNOWN_TUBE
            response.error_msg = error.message
            return response
        response.success = True
        response.tube = tube_to_msg(record)
        response.history = [event_to_msg(recorded) for recorded in history]
        return response

    def destroy_node(self):
        """Close the event log and the database, then destroy the node."""
        with self._lock:
            self._log.close()
            self.ledger.close()
        super().destroy_node()


def main(args=None):
    """Run the tube_ledger node."""
    return spin_node(TubeLedgerNode, args)
