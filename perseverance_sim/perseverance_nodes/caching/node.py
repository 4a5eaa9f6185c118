# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The caching_assembly node: the CacheSample action over caching.logic.CachingAssembly.

Interfaces:
  action  ~/cache_sample  (perseverance_interfaces/CacheSample)  one tube through the stations
  sub     /tube_inventory (TubeInventory, transient local)        what each tube holds (ledger)
  sub     /faults         (Fault, transient local)                SEAL_STUCK faults to apply
  pub     ~/tube_state    (TubeState)                              a tube's state when it changes
  client  /tube_ledger/record (RecordCustody)                      the seal (or its failure) of
                                                                   each tube, when a ledger runs
"""

from perseverance_interfaces.action import CacheSample
from perseverance_interfaces.msg import CustodyEvent, Fault, TubeInventory, TubeState
from perseverance_interfaces.srv import RecordCustody
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.callback_groups import ReentrantCallbackGroup

from .logic import CachingAssembly
from ..domain.facts import load_mission_facts
from ..domain.tubes import Content, FaultKind, TubeKind
from ..domain.validation import Refusal
from ..ros.action_server import finish, play_timeline, SingleGoalActionServer
from ..ros.contract import FAULT_QOS, LATCHED
from ..ros.lean_node import LeanNode
from ..ros.node_main import spin_node
from ..ros.service_call import call_service, GRAPH_GRACE, ServiceCallError
from ..ros.tube_msgs import tube_state_msg


ERROR_CODES = {
    'INVALID_GOAL': CacheSample.Result.ERROR_INVALID_GOAL,
    'UNKNOWN_TUBE': CacheSample.Result.ERROR_UNKNOWN_TUBE,
    'TUBE_NOT_IN_CACHE': CacheSample.Result.ERROR_TUBE_NOT_IN_CACHE,
    'NO_SEALS_LEFT': CacheSample.Result.ERROR_NO_SEALS_LEFT,
}
LEDGER_TIMEOUT = 5.0  # s of wall time for the ledger to answer a custody record


class CachingAssemblyNode(LeanNode):
    """ROS wiring of the Adaptive Caching Assembly."""

    def __init__(self):
        """Declare parameters, load the mission facts and start serving CacheSample."""
        super().__init__('caching_assembly')
        seed = self.declare_parameter(
            'seed', 1, ParameterDescriptor(
                description='seed of the seal-force draws; the same seed, the same outcome',
                integer_range=[IntegerRange(from_value=0, to_value=2**31 - 1, step=1)])).value
        self.duration_scale = self.declare_parameter(
            'duration_scale', 1.0, ParameterDescriptor(
                description='factor on the nominal station durations of mission_facts.yaml '
                            '(1.0 = nominal; smaller runs the stations faster)',
                floating_point_range=[FloatingPointRange(from_value=0.0, to_value=10.0)])).value
        facts_file = self.declare_parameter(
            'facts_file', '', ParameterDescriptor(
                description='mission facts YAML; empty = the packaged config/mission_facts.yaml',
                read_only=True)).value
        self.assembly = CachingAssembly(load_mission_facts(facts_file or None), seed)
        self._stuck_targets = {}  # fault_id -> target (tube id or sample name) with SEAL_STUCK

        self.state_pub = self.create_publisher(TubeState, '~/tube_state', 10)
        self.create_subscription(TubeInventory, '/tube_inventory', self._on_inventory, LATCHED)
        self.create_subscription(Fault, '/faults', self._on_fault, FAULT_QOS)
        self.record_client = self.create_client(RecordCustody, '/tube_ledger/record',
                                                callback_group=ReentrantCallbackGroup())
        self.server = SingleGoalActionServer(self, CacheSample, '~/cache_sample', self._execute)
        self.get_logger().info('caching assembly ready: {} tubes, {} seals'.format(
            len(self.assembly.inventory.tubes()), self.assembly.dispensers.total))

    def _on_inventory(self, msg):
        """Learn from the ledger which tubes were filled at coring or left the rover."""
        inventory = self.assembly.inventory
        for tube in msg.tubes:
            try:
                record = inventory.get(tube.tube_id)
            except Refusal:
                self.get_logger().warning('inventory names unknown tube {!r}'.format(tube.tube_id))
                continue
            if (not record.filled and record.kind == TubeKind.SAMPLE
                    and tube.content != TubeState.CONTENT_EMPTY):
                record = inventory.fill(tube.tube_id, Content(tube.content), tube.volume,
                                        tube.core_length, tube.designation, tube.sample_name)
                self.state_pub.publish(self._tube_state(record))  # acknowledge what it holds
            if record.on_board and tube.holder and not tube.holder.startswith('rover/'):
                inventory.release(tube.tube_id)

    def _on_fault(self, msg):
        """Track SEAL_STUCK faults (armed or active until cleared or recovered)."""
        if msg.kind != Fault.KIND_SEAL_STUCK:
            return
        if msg.state in (Fault.STATE_ARMED, Fault.STATE_ACTIVE):
            self._stuck_targets[msg.fault_id] = msg.target
        else:
            self._stuck_targets.pop(msg.fault_id, None)

    def _faults_for(self, tube_id):
        record = self.assembly.inventory.get(tube_id)
        targets = {tube_id, record.sample_name.lower()} - {''}
        stuck = any(target.lower() in targets for target in self._stuck_targets.values())
        return (FaultKind.SEAL_STUCK,) if stuck else ()

    def _execute(self, goal_handle):
        tube_id = goal_handle.request.tube_id
        result = CacheSample.Result()
        try:
            plan = self.assembly.plan_cache(tube_id, self._faults_for(tube_id))
        except Refusal as refusal:
            self.get_logger().warning('CacheSample {!r} refused: {}'.format(tube_id, refusal))
            return finish(goal_handle, result, ERROR_CODES.get(
                refusal.code, CacheSample.Result.ERROR_INVALID_GOAL), refusal.message)

        def feedback(step, progress):
            msg = CacheSample.Feedback()
            msg.stage = int(step.stage)
            msg.progress = float(progress)
            msg.dispenser = max(plan.dispenser, 0)
            msg.insertion_force = float(step.details.get('insertion_force', 0.0))
            return msg

        if not play_timeline(self, goal_handle, plan.timeline, feedback, self.duration_scale):
            # Nothing committed: the tube stays as it was before the goal.
            return finish(goal_handle, result, CacheSample.Result.ERROR_CANCELED,
                          'cancelled; {} left as it was'.format(tube_id))
        record = self.assembly.commit(plan)
        result.sealed = plan.sealed
        result.dispenser = plan.dispenser
        result.volume = plan.volume
        result.bore_sweep_passes = plan.bore_sweep_passes
        self.state_pub.publish(self._tube_state(record))
        self._record_custody(record, plan.sealed)
        if plan.seal_stuck:
            self.get_logger().warning(
                '{}: seal did not leave dispenser {} ({:.0f} N); stored unsealed for a retry'
                .format(tube_id, plan.dispenser, plan.insertion_force))
        return finish(goal_handle, result)

    def _record_custody(self, record, sealed):
        """Report the seal (or its failure) to the tube ledger, if one is running."""
        # An execute thread may wait: one look at the graph can miss a running ledger.
        if not self.record_client.wait_for_service(timeout_sec=GRAPH_GRACE):
            self.get_logger().warning('no tube ledger: the seal of {} is not recorded'.format(
                record.tube_id), throttle_duration_sec=60.0)
            return
        request = RecordCustody.Request()
        request.event = CustodyEvent(
            tube_id=record.tube_id, from_holder='rover/caching_assembly',
            to_holder='rover/caching_assembly', action='seal' if sealed else 'seal_failed',
            actor=self.get_fully_qualified_name())
        request.event.header.stamp = self.get_clock().now().to_msg()
        request.state = self._tube_state(record)
        request.fields = ['seal', 'content']
        try:
            response = call_service(self.record_client, request, LEDGER_TIMEOUT,
                                    'seal of ' + record.tube_id)
        except ServiceCallError as error:
            self.get_logger().error('{}: not recorded'.format(error))
            return
        if not response.success:
            self.get_logger().error('tube ledger refused the seal of {}: {}'.format(
                record.tube_id, response.error_msg))

    @staticmethod
    def _tube_state(record):
        return tube_state_msg(record, 'rover/caching_assembly')


def main(args=None):
    """Run the caching_assembly node."""
    return spin_node(CachingAssemblyNode, args)
