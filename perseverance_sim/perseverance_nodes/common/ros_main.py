# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""The one `main()` every node shares: init, spin, and a clean exit code on SIGINT."""

import sys

from perseverance_nodes.common.ros_env import apply_localhost_default


def spin_node(node_factory, args=None, threads=4):
    """
    Create a node with `node_factory()` and spin it until shutdown; return the exit code.

    A MultiThreadedExecutor lets action execute callbacks wait on sim time and world state while
    other callbacks (clock, cancel requests, subscriptions) keep running. `threads=1` gives a
    SingleThreadedExecutor instead, for nodes whose callbacks never wait on other callbacks and
    that run Python threads of their own (the world's stepping thread): the multi-threaded
    executor's dispatch contends for the GIL on every message. SIGINT and an external shutdown
    end the spin normally, so a clean stop exits 0.
    """
    apply_localhost_default()  # before rclpy creates its context, which reads the environment
    import rclpy
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
        # set at that moment raises RCLError ("context is not valid") instead of
        # ExternalShutdownException. That is still a clean stop; anything else is an error.
        if rclpy.ok():
            raise
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
