# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The simulation's processes: which nodes, with which parameters, and when each one is ready.

`perseverance-sim campaign` (mission/campaign_runner.py), the benchmarks and the launch-less
tests use this table, so a node added to the system is started and checked in one place;
launch/mission.launch.py starts the same nodes for ROS users. A node is ready when the ROS
interface listed for it is served: an action server or service answers discovery, or a topic
(the world's /clock) has delivered a message.

Nodes land in stages: ``node_table`` lists every node of the system and ``split_available``
separates those whose entry point imports cleanly from those that do not (yet), so the campaign
can name what is missing instead of waiting for it.
"""

from dataclasses import dataclass, field
import importlib
import os
import time

from .processes import ProcessGroup
from ..domain.package_data import share_path


@dataclass(frozen=True)
class NodeSpec:
    """One node process: its executable, identity, parameters and readiness interface."""

    executable: str                  # console script in lib/perseverance_sim
    module: str                      # module of its main(), imported to check it exists
    name: str = ''                   # process (and log file) name; default: the executable
    namespace: str = ''              # ROS namespace, e.g. /helicopter_2
    ready: tuple = ()                # (kind, name, 'pkg.kind.Type'); kind: action|service|topic
    parameters: dict = field(default_factory=dict)
    params_file: str = ''            # config/<file>.yaml loaded before `parameters`

    @property
    def process_name(self):
        """Return the name of the process and of its log file."""
        return self.name or self.executable

    def ros_args(self):
        """Return the --ros-args list: namespace, parameter file, then parameters."""
        args = []
        if self.namespace:
            args += ['-r', '__ns:=' + self.namespace]
        if self.params_file:
            args += ['--params-file', share_path('config', self.params_file)]
        for key, value in self.parameters.items():
            args += ['-p', '{}:={}'.format(key, _param_text(value))]
        return args


def _param_text(value):
    """Return a parameter value as --ros-args text (YAML: booleans lower case, strings quoted)."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, str):
        return "'{}'".format(value.replace("'", "''")) if value else "''"
    return repr(value)


@dataclass(frozen=True)
class RunOptions:
    """What a run needs to configure its nodes."""

    out_dir: str
    scenario_file: str = ''          # '' = the packaged default scenario
    seed: int = 1
    helicopters: int = 2
    fast_rover: bool = False         # rover safety filter at the DiffDrive limits (FAST_ROVER)
    duration_scale: float = 1.0      # factor on the nominal step durations of mission facts
    real_time_factor: float = 0.0    # world pacing: 0 = as fast as possible
    step_timeout: float = 600.0      # s of wall time per campaign step (mission_control)


# World stream rates of a campaign (Hz of sim time; the world's defaults are 50, 50 and 10). Each
# message wakes a Python node, so in an unpaced run these rates are most of the nodes' CPU. /clock
# at 20 Hz still paces the 20 Hz helicopter and 10 Hz rover control loops and made the quick
# campaign 21 % faster; joint states (arm arrival checks) at 10 Hz and tube poses (tubes at rest
# before a grasp or a drop check) at 5 Hz another 8 % (bench/campaign.py).
CAMPAIGN_CLOCK_RATE = 20.0
CAMPAIGN_JOINT_STATE_RATE = 10.0
CAMPAIGN_TUBE_POSE_RATE = 5.0

# The world contract's DiffDrive limits: 1.0 m/s, 0.5 rad/s, 0.5 m/s2, 0.5 rad/s2.
FAST_ROVER = {'max_linear_speed': 1.0, 'max_angular_speed': 0.5, 'max_linear_accel': 0.5,
              'max_angular_accel': 0.5}


def node_table(options):
    """Return every node of the system, in start order, configured for ``options``."""
    sim = {'use_sim_time': True}
    common = dict(sim, seed=options.seed, duration_scale=options.duration_scale)
    scenario = {'scenario_file': options.scenario_file} if options.scenario_file else {}
    specs = [
        NodeSpec('world', 'perseverance_nodes.world.node',
                 ready=('topic', '/clock', 'rosgraph_msgs.msg.Clock'),
                 parameters={'real_time_factor': float(options.real_time_factor),
                             'clock_rate': CAMPAIGN_CLOCK_RATE,
                             'joint_state_rate': CAMPAIGN_JOINT_STATE_RATE,
                             'tube_pose_rate': CAMPAIGN_TUBE_POSE_RATE}),
        NodeSpec('tube_ledger', 'perseverance_nodes.ledger.node',
                 ready=('service', '/tube_ledger/record', 'perseverance_interfaces.srv.'
                        'RecordCustody'), params_file='tube_ledger.yaml',
                 parameters=dict(sim, db_path=os.path.join(options.out_dir, 'tube_ledger.db'),
                                 event_log=os.path.join(options.out_dir,
                                                        'custody_events.jsonl'))),
        NodeSpec('caching_assembly', 'perseverance_nodes.caching.node',
                 ready=('action', '/caching_assembly/cache_sample',
                        'perseverance_interfaces.action.CacheSample'), parameters=dict(common)),
        NodeSpec('rover', 'perseverance_nodes.rover.node',
                 ready=('action', '/rover/navigate_to', 'perseverance_interfaces.action.'
                        'NavigateTo'), params_file='rover.yaml',
                 parameters=dict(common, **(FAST_ROVER if options.fast_rover else {}),
                                 **scenario)),
        NodeSpec('lander', 'perseverance_nodes.lander.node',
                 ready=('action', '/lander/load_tube', 'perseverance_interfaces.action.LoadTube'),
                 params_file='lander.yaml', parameters=dict(common, **scenario)),
    ]
    for number in range(1, options.helicopters + 1):
        namespace = '/helicopter_{}'.format(number)
        specs.append(NodeSpec(
            'helicopter', 'perseverance_nodes.helicopter.node', name='helicopter_{}'.format(
                number), namespace=namespace,
            ready=('action', namespace + '/retrieve_tube',
                   'perseverance_interfaces.action.RetrieveTube'), params_file='helicopter.yaml',
            parameters=dict(common, helicopter='helicopter_{}'.format(number), **scenario)))
    specs.append(NodeSpec(
        'mission_control', 'perseverance_nodes.mission.node',
        ready=('action', '/mission_control/run_campaign',
               'perseverance_interfaces.action.RunCampaign'), params_file='mission_control.yaml',
        parameters=dict(sim, report_dir=options.out_dir, step_timeout=options.step_timeout,
                        max_helicopters=max(options.helicopters, 1), **(
                            {'scenario': options.scenario_file} if options.scenario_file
                            else {}))))
    return specs


def import_problem(module):
    """Return why ``module`` does not import ('' when it does)."""
    try:
        importlib.import_module(module)
    except Exception as error:  # any failure means the node cannot run: report it, never crash
        return '{}: {}'.format(type(error).__name__, error)
    return ''


def split_available(specs):
    """Return (specs whose module imports cleanly, {process name: problem} of the others)."""
    problems = {}
    checked = {}
    for spec in specs:
        if spec.module not in checked:
            checked[spec.module] = import_problem(spec.module)
        if checked[spec.module]:
            problems[spec.process_name] = checked[spec.module]
    return [s for s in specs if s.process_name not in problems], problems


def _import_type(dotted):
    module_name, _, type_name = dotted.rpartition('.')
    return getattr(importlib.import_module(module_name), type_name)


class System:
    """The node processes of one run: start, wait until ready, stop."""

    def __init__(self, specs, log_dir, domain_id):
        """Prepare the processes of ``specs`` (logs in ``log_dir``) on ``domain_id``."""
        self.specs = list(specs)
        self.group = ProcessGroup(log_dir, domain_id=domain_id)

    def start(self, stream=None):
        """Start every process."""
        for spec in self.specs:
            self.group.start_node(spec.executable, spec.process_name, ros_args=spec.ros_args())
            if stream is not None:
                print('  started   {}'.format(spec.process_name), file=stream)

    def wait_ready(self, client, timeout, stream=None):
        """
        Wait until every node serves its interface; raise TimeoutError naming the first that not.

        Raises RuntimeError naming the processes that died meanwhile.
        """
        from rclpy.action import ActionClient
        deadline = time.monotonic() + timeout
        for spec in self.specs:
            kind, name, type_name = spec.ready
            msg_type = _import_type(type_name)
            if kind == 'action':
                probe = ActionClient(client.node, msg_type, name)
                ready = probe.server_is_ready
            elif kind == 'service':
                probe = client.node.create_client(msg_type, name)
                ready = probe.service_is_ready
            else:
                received = []
                probe = client.node.create_subscription(msg_type, name, received.append, 10)

                def ready(received=received):
                    return bool(received)
            try:
                client.spin_until(lambda: ready() or self.group.dead(),
                                  max(deadline - time.monotonic(), 0.1),
                                  '{} to serve {} {}'.format(spec.process_name, kind, name))
            finally:
                if kind == 'action':
                    probe.destroy()
                elif kind == 'service':
                    client.node.destroy_client(probe)
                else:
                    client.node.destroy_subscription(probe)
            if self.group.dead():
                raise RuntimeError('exited during start-up: ' + ', '.join(
                    '{} (exit code {})'.format(p.name, p.returncode) for p in self.group.dead()))
            if stream is not None:
                print('  ready     {:<18} {} {}'.format(spec.process_name, kind, name),
                      file=stream)

    def dead(self):
        """Return the processes that exited while they should still run."""
        return self.group.dead()

    def stop(self):
        """Stop every process with SIGINT (escalating on timeout); return {name: exit code}."""
        return self.group.stop_all()

    def report(self):
        """Return every process's output (for failure messages)."""
        return self.group.report()
