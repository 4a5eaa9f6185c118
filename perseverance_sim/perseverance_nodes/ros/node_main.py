# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""The one `main()` every node shares: init, spin, and a clean exit code on SIGINT."""

import sys
import time

from perseverance_nodes.ros.environment import apply_localhost_default

GOAL_THREADS_JOIN = 3.0  # s at shutdown for running action goals to notice it and end
SHUTDOWN_GRACE = 1.0     # s for a SIGINT's shutdown to show in rclpy.ok() after a spin error


def spin_node(node_factory, args=None, threads=1):
    """
    Create a node with `node_factory()` and spin it until shutdown; return the exit code.

    Single-threaded by default: the callbacks of our nodes never block (action goals that wait
    run in threads of their own, see SingleGoalActionServer), and a MultiThreadedExecutor's
    dispatch contends for the GIL on every message (about 54 against 15 ms of CPU per second of
    sim time for an idle node on /clock). `threads` > 1 gives a MultiThreadedExecutor. SIGINT
    and an external shutdown end the spin normally, so a clean stop exits 0.
    """
    apply_localhost_default()  # before rclpy creates its context, which reads the environment
    import rclpy
    from perseverance_nodes.ros.action_server import join_goal_threads
    from rclpy.executors import (ExternalShutdownException, MultiThreadedExecutor,
                                 SingleThreadedExecutor)

    rclpy.init(args=sys.argv if args is None else args)
    node = None
    try:
        node = node_factory()
        if threads == 1:
            executor = SingleThreadedExecutor()
        else:
            executor = MultiThreadedExecutor(num_threads=threads)
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        # SIGINT shuts the context down asynchronously; an executor that is building its wait
        # set or taking a message at that moment raises RCLError ("context is not valid") or a
        # pybind11 RuntimeError instead of ExternalShutdownException, possibly a moment before
        # rclpy.ok() turns False. That is still a clean stop; anything else is an error.
        deadline = time.monotonic() + SHUTDOWN_GRACE
        while rclpy.ok() and time.monotonic() < deadline:
            time.sleep(0.02)
        if rclpy.ok():
            raise
    finally:
        # The context is shut down by now, so waiting goals see it and end.
        join_goal_threads(GOAL_THREADS_JOIN)
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
