# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""The world node's logic without ROS: the stepping thread and the hand-off service rules."""

from perseverance_nodes.domain.validation import Refusal
from perseverance_nodes.world import handoff, handoff_service, stepping
import pytest


class _Engine:
    """Just what Stepper drives: step(), sim_time, timestep, close()."""

    timestep = 0.01

    def __init__(self):
        self.sim_time = 0.0
        self.closed = False

    def step(self, n):
        self.sim_time += n * self.timestep

    def close(self):
        self.closed = True


class _Publisher:
    """A publisher with a fixed subscriber count that keeps what it is sent."""

    def __init__(self, subscribers=0):
        self.subscribers = subscribers
        self.sent = []

    def get_subscription_count(self):
        return self.subscribers

    def publish(self, msg):
        self.sent.append(msg)


def test_steps_reach_the_earliest_due_stream_and_due_times_advance():
    """Step to the next due time; a stream that fell behind skips ahead instead of bursting."""
    fast = stepping.Stream('fast', 0.05, lambda: ['f'], [_Publisher(1)])
    slow = stepping.Stream('slow', 0.5, lambda: ['s'], [_Publisher(1)])
    assert stepping.steps_to_next([fast, slow], 0.0, 0.01) == 0  # both due at t = 0
    assert stepping.take_due([fast, slow], 0.0) == [fast, slow]
    assert (fast.due, slow.due) == (0.05, 0.5)
    assert stepping.steps_to_next([fast, slow], 0.0, 0.01) == 5
    assert stepping.take_due([fast, slow], 0.3) == [fast]
    assert fast.due == pytest.approx(0.35)


def test_pacer_anchors_then_holds_the_real_time_factor():
    """No wait at rtf 0 or on a new factor; then sim/rtf after the anchor; re-anchor if late."""
    pacer = stepping.Pacer()
    assert pacer.deadline(0.0, 10.0, 0.0) is None
    assert pacer.deadline(2.0, 10.0, 1.0) is None          # anchors (10 s wall, 1 s sim)
    assert pacer.deadline(2.0, 10.1, 2.0) == pytest.approx(10.5)
    assert pacer.deadline(2.0, 20.0, 3.0) is None          # 9 s late: re-anchored
    assert pacer.deadline(2.0, 20.0, 4.0) == pytest.approx(20.5)


def test_stepper_builds_only_listened_streams_and_runs_jobs_first():
    """Unlistened streams are not built (unless always); queued jobs run before stepping."""
    engine = _Engine()
    built = []
    heard, unheard = _Publisher(1), _Publisher(0)
    streams = [stepping.Stream('clock', 0.1, lambda: built.append('clock') or ['c'],
                               [unheard], always=True),
               stepping.Stream('odom', 0.1, lambda: built.append('odom') or ['o'], [heard]),
               stepping.Stream('idle', 0.1, lambda: built.append('idle') or ['i'], [unheard])]
    stepper = stepping.Stepper(engine, lambda: streams, on_fatal=None)
    stepper.submit(lambda: built.append('job'))
    out = stepper.advance()
    assert built == ['job', 'clock', 'odom'] and out == [(unheard, 'c'), (heard, 'o')]
    stepper.advance()
    assert engine.sim_time == pytest.approx(0.1) and stepper.steps == 10


def test_stepper_call_returns_results_and_errors_from_its_thread():
    """call() hands back the job's result or exception; stop() closes the engine."""
    engine = _Engine()
    stream = stepping.Stream('clock', 0.1, lambda: ['c'], [_Publisher()], always=True)
    stepper = stepping.Stepper(engine, lambda: [stream], on_fatal=None)
    assert stepper.call(lambda: 'direct', 1.0) == 'direct'  # no thread yet: runs here
    stepper.start()
    try:
        assert stepper.call(lambda: engine.sim_time >= 0.0, 5.0) is True
        with pytest.raises(KeyError):
            stepper.call(lambda: {}['missing'], 5.0)
    finally:
        stepper.stop()
    assert engine.closed


def test_attach_requests_are_checked_before_the_engine_sees_them():
    """Unknown tube, unknown carrier and bad tolerance are refused with the service's codes."""
    tubes, models = ['tube_01'], ['perseverance', 'helicopter_2']
    assert handoff_service.check_attach('tube_01', 'helicopter_2::gripper', 0.0, tubes,
                                        models) == ('helicopter_2::grasp_point',
                                                    handoff.DEFAULT_TOLERANCE)
    for tube, carrier, tolerance, code in (
            ('tube_02', 'perseverance::turret', 0.1, 'UNKNOWN_TUBE'),
            ('tube_01', 'lander::gripper', 0.1, 'UNKNOWN_CARRIER'),
            ('tube_01', 'perseverance::turret', float('nan'), 'INVALID_TOLERANCE')):
        with pytest.raises(Refusal) as refusal:
            handoff_service.check_attach(tube, carrier, tolerance, tubes, models)
        assert refusal.value.code == code


def test_engine_results_become_service_replies_in_contract_names():
    """Engine frames are reported as carriers; engine codes map onto the service codes."""
    frame = 'helicopter_1::grasp_point'
    assert handoff_service.attach_reply(None, 'tube_01', 'helicopter_1::gripper',
                                        frame).code == 'ALREADY_ATTACHED'
    moved = handoff.HandoffResult(True, distance=0.01, previous_carrier='lander::grasp_point')
    reply = handoff_service.attach_reply(moved, 'tube_01', 'helicopter_1::gripper', frame)
    assert (reply.success, reply.code, reply.handed_over_from) == (True, 'NONE', 'lander::gripper')
    far = handoff.HandoffResult(False, handoff.OUT_OF_TOLERANCE, 'tube_01 is 1 m from ' + frame)
    reply = handoff_service.attach_reply(far, 'tube_01', 'helicopter_1::gripper', frame)
    assert reply.code == 'OUT_OF_TOLERANCE' and reply.message.endswith('helicopter_1::gripper')
    same = handoff.HandoffResult(False, handoff.SAME_BODY, 'same body')
    assert handoff_service.attach_reply(same, 't', 'c', frame).code == 'UNKNOWN_CARRIER'
    freed = handoff.HandoffResult(True, previous_carrier='perseverance::drill_tip')
    assert handoff_service.detach_reply(freed).released_from == 'perseverance::turret'
    loose = handoff.HandoffResult(False, handoff.NOT_ATTACHED, 'not attached')
    assert handoff_service.detach_reply(loose).code == 'NOT_ATTACHED'
    assert handoff_service.tube_order(['tube_10', 'x', 'tube_2']) == ['tube_2', 'tube_10', 'x']
