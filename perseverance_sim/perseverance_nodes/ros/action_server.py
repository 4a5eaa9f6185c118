# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
What every action server of the project shares.

Goal policy: each server runs one goal at a time (the hardware it models is one arm, one
caching assembly, one helicopter); a goal that arrives while another executes is rejected.
Invalid goals are accepted and then aborted at once with `success=False`, an `error_code` and an
`error_msg` naming the field and value, because a plain rejection carries no reason.
"""

import inspect
import threading
import time

from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.duration import Duration
from rclpy.task import Future

# Longest single wait on the node clock: bounds how late a cancel request is noticed.
_WAIT_SLICE = 0.05  # s of node-clock time

# Goal threads still running; joined at shutdown (join_goal_threads) so that none is inside
# rclpy while the interpreter exits.
_goal_threads = set()
_goal_threads_lock = threading.Lock()


def join_goal_threads(timeout):
    """Wait up to ``timeout`` s in all for the running goal threads to end."""
    deadline = time.monotonic() + timeout
    with _goal_threads_lock:
        threads = list(_goal_threads)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


class SingleGoalActionServer:
    """An ActionServer that runs one goal at a time and accepts cancel requests."""

    def __init__(self, node, action_type, name, execute):
        """
        Serve `action_type` on `name`; `execute(goal_handle)` returns the result message.

        A plain `execute` runs in a thread of its own, so it may block (wait on the sim clock,
        call services, wait for world state) while the node's executor, single-threaded or
        not, keeps delivering the clock, subscriptions, service responses and cancel requests.
        A coroutine function (``async def``) runs as a task of the executor instead.
        """
        self._node = node
        self._name = name
        self._busy = threading.Lock()
        self._execute = execute
        run = self._run_async if inspect.iscoroutinefunction(execute) else self._run_in_thread
        self.server = ActionServer(
            node, action_type, name, execute_callback=run,
            goal_callback=self._on_goal, cancel_callback=lambda _request: CancelResponse.ACCEPT,
            callback_group=ReentrantCallbackGroup())

    def _on_goal(self, _goal_request):
        if self._busy.locked():
            self._node.get_logger().warning(
                'goal rejected: {} is busy with another goal'.format(self._name))
            return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    async def _run_in_thread(self, goal_handle):
        with self._busy:
            done = Future()

            def work():
                try:
                    done.set_result(self._execute(goal_handle))
                except BaseException as error:  # noqa: B902 - re-raised in the awaiting task
                    done.set_exception(error)
                finally:
                    with _goal_threads_lock:
                        _goal_threads.discard(threading.current_thread())
            thread = threading.Thread(target=work, daemon=True, name='execute ' + self._name)
            with _goal_threads_lock:
                _goal_threads.add(thread)
            thread.start()
            return await done

    async def _run_async(self, goal_handle):
        with self._busy:
            return await self._execute(goal_handle)

    def destroy(self):
        """Destroy the underlying server."""
        self.server.destroy()


def finish(goal_handle, result, error_code=0, error_msg=''):
    """
    End a goal: succeed when error_code is 0, cancel if a cancel was requested, else abort.

    Fills `success`, `error_code` and `error_msg` of `result` and returns it.
    """
    result.success = error_code == 0
    result.error_code = error_code
    result.error_msg = error_msg
    if result.success:
        goal_handle.succeed()
    elif goal_handle.is_cancel_requested:
        goal_handle.canceled()
    else:
        goal_handle.abort()
    return result


def wait_on_clock(node, seconds, goal_handle=None):
    """
    Wait `seconds` of the node's clock (sim time under use_sim_time); False if cancelled.

    Waits in slices so that a cancel request on `goal_handle` ends the wait promptly, and
    returns False too if the context shuts down.
    """
    clock = node.get_clock()
    deadline = clock.now() + Duration(seconds=max(seconds, 0.0))
    while clock.now() < deadline:
        if goal_handle is not None and goal_handle.is_cancel_requested:
            return False
        remaining = (deadline - clock.now()).nanoseconds * 1e-9
        if not clock.sleep_for(Duration(seconds=min(_WAIT_SLICE, max(remaining, 0.0)))):
            return False
    return not (goal_handle is not None and goal_handle.is_cancel_requested)


def play_timeline(node, goal_handle, timeline, make_feedback, duration_scale=1.0):
    """
    Walk a Timeline against the node clock, publishing feedback as each step starts and at the end.

    `make_feedback(step, progress)` returns the action's Feedback message. Returns True when
    the whole timeline played, False when a cancel request (or shutdown) stopped it.
    """
    for index, step in enumerate(timeline):
        goal_handle.publish_feedback(make_feedback(step, timeline.progress(index, 0.0)))
        if not wait_on_clock(node, step.duration * duration_scale, goal_handle):
            return False
    last = timeline.steps[-1]
    goal_handle.publish_feedback(make_feedback(last, 1.0))
    return True


def constant_names(msg_type, prefix):
    """Return {value: NAME} of a message type's constants ``<prefix>NAME`` (STAGE_, ERROR_)."""
    return {getattr(msg_type, name): name[len(prefix):]
            for name in dir(msg_type) if name.startswith(prefix)}
