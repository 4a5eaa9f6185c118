# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""LeanNode.log_message: the executors' one log method may change severity between calls."""

from perseverance_nodes.ros.lean_node import LeanNode
from perseverance_nodes.runner.domain_lease import DomainLease
import rclpy
from rclpy.context import Context


def test_one_log_method_logs_at_every_severity_in_any_order(capfd):
    """Info, error, warning, info through one method: no ValueError from rclpy, all printed."""
    lease = DomainLease()
    context = Context()
    rclpy.init(context=context, domain_id=lease.domain_id)
    try:
        node = LeanNode('lean_node_log_test', context=context)

        def port_log(message, warning=False, error=False):  # what every port's log does
            node.log_message(message, warning, error)
        for message, warning, error in (('first', False, False), ('second', False, True),
                                        ('third', True, False), ('fourth', False, False)):
            port_log(message, warning, error)
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)
        lease.release()
    printed = capfd.readouterr().err
    for severity, message in (('INFO', 'first'), ('ERROR', 'second'), ('WARN', 'third'),
                              ('INFO', 'fourth')):
        assert '[{}]'.format(severity) in printed and message in printed
