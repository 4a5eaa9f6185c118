# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Declaring node parameters with a description and, for numbers, their allowed range."""

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor


def declare(node, name, default, description, low=None, high=None, read_only=False):
    """
    Declare parameter ``name`` on ``node``; return its value.

    ``low`` .. ``high`` (both or neither) become the descriptor's range, integer when
    ``default`` is an int, so that ``ros2 param describe`` shows it and rclpy refuses values
    outside it with a reason.
    """
    descriptor = ParameterDescriptor(description=description, read_only=read_only)
    if low is not None:
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            raise TypeError(f'parameter {name}: a range needs a number default, not {default!r}')
        if isinstance(default, int):
            descriptor.integer_range = [IntegerRange(from_value=int(low), to_value=int(high),
                                                     step=1)]
        else:
            descriptor.floating_point_range = [FloatingPointRange(from_value=float(low),
                                                                  to_value=float(high))]
    return node.declare_parameter(name, default, descriptor).value
