# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures: the ROS process rig (see ros_harness.py) and report hooks."""

from perseverance_nodes.ros.environment import apply_localhost_default
import pytest

# The test process itself talks ROS: keep its discovery on loopback before rclpy is imported.
apply_localhost_default()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, 'report_' + report.when, report)


@pytest.fixture
def ros_rig(request, tmp_path):
    """
    Give a test a RosTestRig; at the end stop its processes and require exit code 0 from each.

    The processes' output is printed (and so shown by pytest) when the test or a stop fails.
    """
    from ros_harness import RosTestRig
    rig = RosTestRig(str(tmp_path / 'logs'))
    yield rig
    codes = rig.shutdown()
    failed = getattr(request.node, 'report_call', None)
    bad_exits = {name: code for name, code in codes.items() if code != 0}
    if bad_exits or (failed is not None and failed.failed):
        print(rig.processes.report())
    assert not bad_exits, 'processes did not exit cleanly: {}'.format(bad_exits)
