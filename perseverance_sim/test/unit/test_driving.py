# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Unit tests of domain.driving: what every UI that drives the rover shares (no ROS)."""

from collections import namedtuple
import math

from perseverance_nodes.domain import driving
from perseverance_nodes.domain.driving import Command, DriveGate, DriveState
from perseverance_nodes.domain.facts import load_mission_facts
from perseverance_nodes.ros.action_server import constant_names
import pytest

Tube = namedtuple('Tube', 'tube_id kind seal holder')
ROVER_FACTS = load_mission_facts(None).rover


def test_every_arm_pose_is_a_pose_of_the_arm_logic():
    """A UI sends only names the rover node accepts."""
    from perseverance_nodes.rover.arm import ARM_POSES
    assert set(driving.ARM_POSES) <= set(ARM_POSES)


def test_drive_state_steps_and_clamps_to_the_rover_limits():
    """Five presses reach the limit; more presses stay there; stop zeroes both speeds."""
    state = DriveState(0.5, 0.1)
    for _ in range(8):
        state = state.apply(Command(driving.LINEAR, 1))
    assert state.linear == pytest.approx(0.5)
    state = state.apply(Command(driving.LINEAR, -1))
    assert state.linear == pytest.approx(0.4)
    for _ in range(20):
        state = state.apply(Command(driving.ANGULAR, -1))
    assert state.angular == pytest.approx(-0.1)
    assert state.apply(Command(driving.ARM, 'ready')) == state
    stopped = state.apply(Command(driving.STOP))
    assert (stopped.linear, stopped.angular) == (0.0, 0.0)


def test_new_limits_clamp_the_speeds():
    """Lower top speeds (the rover's, once it answered) clamp what is being sent."""
    state = DriveState(0.5, 0.5)
    for _ in range(5):
        state = state.apply(Command(driving.LINEAR, 1)).apply(Command(driving.ANGULAR, -1))
    state = state.with_limits(0.042, 0.1)
    assert (state.linear, state.angular) == (0.042, -0.1)
    assert state.apply(Command(driving.LINEAR, -1)).linear == pytest.approx(0.042 * 4 / 5)


def test_drive_state_has_no_rounding_drift_around_zero():
    """Up then down returns exactly to zero (no 1e-17 crawl that keeps publishing)."""
    state = DriveState(0.042, 0.1, steps=3)
    for key in (1, 1, -1, -1):
        state = state.apply(Command(driving.LINEAR, key))
    assert state.linear == 0.0


@pytest.mark.parametrize('limit', [0.0, -1.0, math.nan, math.inf])
def test_drive_state_rejects_bad_limits(limit):
    """Limits must be finite and positive."""
    with pytest.raises(ValueError, match='max_linear'):
        DriveState(limit, 0.1)


@pytest.mark.parametrize('command, message', [
    (Command('help'), "command kind 'help' is not one of linear, angular"),
    (Command(driving.LINEAR, 2), 'linear command value 2 must be'),
    (Command(driving.ANGULAR), 'angular command value None must be'),
    (Command(driving.ARM, 'wave'), "arm pose 'wave' is not one of stow, ready"),
])
def test_commands_a_driver_cannot_act_on_are_named(command, message):
    """An unknown kind, a step other than +-1 or an unknown arm pose is refused with the value."""
    with pytest.raises(ValueError, match=message):
        driving.check_command(command)


def test_good_commands_pass_the_check():
    """Every kind with a good value passes unchanged."""
    for command in (Command(driving.LINEAR, -1), Command(driving.STOP), Command(driving.CANCEL),
                    *(Command(driving.ARM, pose) for pose in driving.ARM_POSES)):
        assert driving.check_command(command) is command


def test_a_disabled_gate_refuses_what_moves_the_rover_with_the_reason():
    """Drive, stop, arm, collect and deposit are refused; cancel still frees the rover."""
    gate = DriveGate()
    assert gate.enabled and gate.refusal(Command(driving.LINEAR, 1)) is None
    assert gate.set_enabled(False, 'mission_control runs a campaign') is True
    assert not gate.enabled
    for kind, value in ((driving.LINEAR, 1), (driving.ANGULAR, -1), (driving.STOP, None),
                        (driving.ARM, 'ready'), (driving.COLLECT, None),
                        (driving.DEPOSIT, None)):
        assert gate.refusal(Command(kind, value)) == \
            'driving is disabled: mission_control runs a campaign'
    assert gate.refusal(Command(driving.CANCEL)) is None


def test_the_gate_asks_for_one_stop_per_disable():
    """Only the call that disables an enabled gate asks for the stop; a new reason replaces it."""
    gate = DriveGate()
    assert gate.set_enabled(False, 'a campaign') is True
    assert gate.set_enabled(False, 'another campaign') is False
    assert gate.refusal(Command(driving.STOP)) == 'driving is disabled: another campaign'
    assert gate.set_enabled(True) is False
    assert gate.enabled and gate.refusal(Command(driving.COLLECT)) is None
    assert gate.set_enabled(False, 'again') is True


@pytest.mark.parametrize('reason', ['', '   ', None])
def test_disabling_needs_a_reason(reason):
    """The reason is what the user is shown: without one the gate refuses and stays enabled."""
    gate = DriveGate()
    with pytest.raises(ValueError, match='needs a reason'):
        gate.set_enabled(False, reason)
    assert gate.enabled


def test_nearest_rock_and_slot():
    """Nearest point by planar distance; slots are named 1-based like the ledger's."""
    rocks = {'roubion': (20.0, 12.0), 'montdenier': (10.0, 22.0)}
    name, distance = driving.nearest(rocks, 23.0, 12.0)
    assert name == 'roubion' and distance == pytest.approx(3.0)
    assert driving.nearest({}, 0.0, 0.0) == (None, math.inf)
    slots = ((-72.0, -36.0), (-78.0, -28.0))
    assert driving.nearest_slot(slots, -77.0, -28.0) == ('depot/slot_02', pytest.approx(1.0))
    assert driving.belly_point((1.0, 2.0, math.pi / 2), 0.35) == pytest.approx((1.0, 2.35))


def test_next_sealed_tube_takes_the_lowest_sealed_sample_tube_on_board():
    """Unsealed, dropped and witness tubes are skipped; tube_09 sorts before tube_10."""
    tubes = [Tube('tube_10', 0, 1, 'rover/caching_assembly'),
             Tube('tube_09', 0, 1, 'rover/caching_assembly'),
             Tube('tube_01', 0, 0, 'rover/caching_assembly'),
             Tube('tube_02', 0, 1, 'depot/slot_01'),
             Tube('tube_39', 1, 1, 'rover/caching_assembly')]
    assert driving.next_sealed_tube(tubes) == 'tube_09'
    assert driving.next_sealed_tube(tubes[2:]) is None


def test_rover_limits_take_the_mission_facts_for_zero():
    """As in the rover node: a 0 (or an unset parameter) means the mission facts' limit."""
    limits = driving.limits_from_parameters({'max_linear_speed': 1.0, 'max_angular_speed': 0.0,
                                             'max_linear_accel': None}, ROVER_FACTS, 'test')
    assert (limits.linear, limits.angular) == (1.0, ROVER_FACTS.max_angular_speed)
    assert limits.linear_accel == ROVER_FACTS.max_linear_accel
    assert limits.angular_accel == ROVER_FACTS.max_angular_accel


def test_top_speeds_never_exceed_the_rover_limits():
    """The UI's caps only lower the rover's limits; 0 means no cap."""
    limits = driving.RoverLimits(0.042, 0.1, 0.05, 0.1, 'test')
    assert driving.top_speeds(0.0, 0.0, limits) == (0.042, 0.1)
    assert driving.top_speeds(0.5, 0.05, limits) == (0.042, 0.05)


def test_arm_watch_reports_what_the_arm_did_with_a_pose():
    """Sent, moving while the joints change, then still; no motion at all is said too."""
    arm = driving.ArmWatch()
    assert arm.describe(0.0) == 'no pose sent yet'
    arm.update((0.0, -0.8), 0.0)
    arm.request('ready', 1.0)
    assert arm.describe(1.1) == 'ready requested: sent'
    arm.update((0.1, -0.7), 1.2)
    assert arm.describe(1.3) == 'ready requested: moving'
    arm.update((0.1, -0.7), 1.4)
    assert arm.describe(2.0) == 'ready requested: moved, now still'
    arm.request('stow', 3.0)
    assert 'did not move' in arm.describe(3.0 + driving.ARM_START + 0.1)


class _Result:
    ERROR_NONE, ERROR_ROCK_OUT_OF_REACH = 0, 11

    def __init__(self, success, error_code=0, error_msg=''):
        self.success, self.error_code, self.error_msg = success, error_code, error_msg


def test_action_outcomes_name_the_error():
    """A failure shows the ERROR_* name and message; success the summary; progress the stage."""
    errors = constant_names(_Result, 'ERROR_')
    assert errors == {0: 'NONE', 11: 'ROCK_OUT_OF_REACH'}
    assert driving.result_text('collect', _Result(False, 11, 'too far'), str, errors) == \
        'collect: FAILED (ROCK_OUT_OF_REACH): too far'
    assert driving.result_text('collect', _Result(True), lambda r: 'tubes', errors) == \
        'collect: OK, tubes'
    assert driving.feedback_text('collect', {2: 'CORING'}, 2, 0.4) == 'collect: coring 40%'


def test_action_summaries_say_what_came_of_the_goal():
    """A core's tubes with designation and length; a drop's rest pose and its recoveries."""
    collected = namedtuple('R', 'tube_ids designations core_lengths')(
        ['tube_01', 'tube_02'], ['A', 'B'], [0.061, 0.058])
    assert driving.collect_summary(collected) == 'tubes tube_01 A 61 mm, tube_02 B 58 mm'
    position = namedtuple('P', 'x y z')(-77.0, -28.25, 0.0125)
    dropped = namedtuple('R', 'tube_pose roll_distance was_on_end was_in_wheel_path')(
        namedtuple('Pose', 'position')(position), 0.3, True, False)
    assert driving.deposit_summary(dropped) == \
        'tube at (-77.00, -28.25, 0.013), rolled 0.30 m, was on end'


def test_next_cored_tube_is_the_lowest_cored_tube_not_yet_sealed():
    """Empty, sealed, witness and dropped tubes are skipped; a failed seal is taken again."""
    cored = namedtuple('Cored', 'tube_id kind seal holder core_length')
    rack = 'rover/caching_assembly'
    tubes = [cored('tube_05', 0, 0, rack, 0.06), cored('tube_03', 0, 2, rack, 0.05),
             cored('tube_01', 0, 1, rack, 0.06), cored('tube_02', 0, 0, rack, 0.0),
             cored('tube_04', 0, 0, 'depot/slot_01', 0.06), cored('tube_39', 1, 0, rack, 0.0)]
    assert driving.next_cored_tube(tubes) == 'tube_03'
    assert driving.next_cored_tube(tubes[2:]) is None


def test_a_seal_summary_tells_sealed_from_stored_unsealed():
    """A sealed tube names its dispenser and volume; a failed seal says it can be retried."""
    result = namedtuple('R', 'sealed dispenser volume')
    assert driving.seal_summary(result(True, 3, 8.5e-6)) == 'sealed (dispenser 3), 8.5 ml'
    assert 'UNSEALED' in driving.seal_summary(result(False, 0, 8.5e-6))


def test_every_command_kind_has_one_shared_key():
    """Both UIs take their keys from KEYS: one key per command, found back by key_of."""
    assert len(set(driving.KEYS.values())) == len(driving.KEYS)
    for key, command in driving.KEYS.items():
        assert driving.key_of(command) == key
        assert driving.check_command(command) is command
    assert {c.kind for c in driving.KEYS.values()} == set(driving.KINDS)
