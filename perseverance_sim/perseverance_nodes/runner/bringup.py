# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The simulation's processes: which nodes, with which parameters, and when each one is ready.

The one node table: `perseverance-sim campaign` (runner/campaign.py), the teleop session, the
benchmarks, the tests and launch/mission.launch.py all start the nodes ``node_table`` lists, with
the parameters it gives them, so a node added to the system is configured in one place and a ROS
user's `ros2 launch` runs what `perseverance-sim campaign` runs. ``campaign_options`` turns a
campaign's choices (scenario, seed, helicopters, pacing) into the table's ``RunOptions`` for both.

Parameters: each node loads its config/<node>.yaml and then the table's values, use_sim_time
among them. (A launch-wide ``SetParameter`` would not do: once a ``/**`` parameter exists, rcl
lets the YAML file's exact node key win over every later parameter.) A node is ready when the
ROS interface listed for it is served: an action server or service answers discovery, a topic
(the world's /clock) has delivered a message, or a page (the viewer's) answers HTTP. The
recorder, when a run records, is stopped last (System.stop), so that its bag holds everything
the other nodes published up to their end, the final /tube_inventory among it.
"""

from dataclasses import dataclass, field
import importlib
import os
import time
import urllib.request

from .processes import ProcessGroup
from ..domain.facts import load_mission_facts
from ..domain.package_data import share_path
from ..domain.scenario import load_scenario
from ..ros import contract


@dataclass(frozen=True)
class NodeSpec:
    """One node process: its executable, identity, parameters and readiness interface."""

    executable: str                  # console script in lib/perseverance_sim
    name: str = ''                   # process (and log file) name; default: the executable
    namespace: str = ''              # ROS namespace, e.g. /helicopter_2
    ready: tuple = ()                # (kind, name, 'pkg.kind.Type'); kind: action|service|topic
    #                                  or page (name: its URL, no type)
    parameters: dict = field(default_factory=dict)
    params_file: str = ''            # config/<file>.yaml loaded before `parameters`
    stop_last: bool = False          # stopped after every other node (the recorder)

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


# Where the viewer serves its page unless told otherwise (loopback only).
VIEWER_HOST = '127.0.0.1'
VIEWER_PORT = 8080


def viewer_url(host, port):
    """Return the address of the viewer's page."""
    return 'http://{}:{}'.format('[{}]'.format(host) if ':' in host else host, port)


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
    viewer: bool = False             # serve the live 3D page (viewer node)
    camera_rate: float = 0.0         # Hz of sim time the world renders its cameras; 0 = off
    viewer_host: str = VIEWER_HOST
    viewer_port: int = VIEWER_PORT
    record: bool = False             # record the run as a bag: <out_dir>/campaign.mcap
    record_images: bool = False      # the bag also holds the mast camera, RECORD_IMAGE_RATE


# The recording of a run (the recorder node): a rosbag2 bag in the run directory. Chunks are
# zstd-compressed, as rosbag2's zstd presets write them (its plain default leaves them
# uncompressed): the quick campaign's 162 MB shrink to 37 MB for about 2 % of the recorder's
# CPU. Images, when recorded, at 1 Hz of sim time; the world then renders the mast camera at
# that rate.
RECORD_FILE = 'campaign.mcap'
RECORD_COMPRESSION = 'zstd'
RECORD_IMAGE_RATE = 1.0


# Mission-facts step durations (coring, sealing, arm moves, recharging) are compressed by this
# factor in a campaign; driving and flying are simulated in full.
CAMPAIGN_DURATION_SCALE = 0.01


def campaign_options(out_dir, scenario_file='', seed=1, helicopters=0,
                     duration_scale=CAMPAIGN_DURATION_SCALE, real_time_factor=0.0, facts=None,
                     scenario=None, viewer=False, viewer_host=VIEWER_HOST,
                     viewer_port=VIEWER_PORT, record=True, record_images=False):
    """
    Return a campaign's RunOptions, as `perseverance-sim campaign` and mission.launch.py run it.

    ``helicopters`` 0 takes the scenario's count. A scenario that drives faster than the real
    rover (rover.speed, the NavigateTo cap) gets a safety filter at the world's DiffDrive limits;
    otherwise the mission facts' limits hold. ``scenario``: the file's Scenario with seed and
    helicopters applied, when the caller has loaded it already. ``viewer``: also serve the live
    page on viewer_host:viewer_port. ``record``: record the campaign (the recorder node; a
    campaign does by default), ``record_images`` with the mast camera. Raises ConfigError for a
    bad scenario.
    """
    facts = facts or load_mission_facts(None)
    if scenario is None:
        scenario = load_scenario(scenario_file or None, facts).with_overrides(
            seed=seed, helicopters=helicopters or None)
    return RunOptions(out_dir=out_dir,
                      scenario_file=os.path.abspath(scenario_file) if scenario_file else '',
                      seed=seed, helicopters=scenario.helicopters,
                      fast_rover=scenario.rover_speed > facts.rover.max_linear_speed,
                      duration_scale=duration_scale, real_time_factor=real_time_factor,
                      viewer=viewer, viewer_host=viewer_host, viewer_port=viewer_port,
                      record=record, record_images=record and record_images)


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
    specs = [
        NodeSpec('world', ready=('topic', contract.CLOCK, 'rosgraph_msgs.msg.Clock'),
                 parameters={'real_time_factor': float(options.real_time_factor),
                             'clock_rate': CAMPAIGN_CLOCK_RATE,
                             'joint_state_rate': CAMPAIGN_JOINT_STATE_RATE,
                             'tube_pose_rate': CAMPAIGN_TUBE_POSE_RATE,
                             **_camera_parameters(_camera_rate(options))}),
        NodeSpec('tube_ledger', ready=('service', contract.RECORD_CUSTODY,
                                       'perseverance_interfaces.srv.RecordCustody'),
                 params_file='tube_ledger.yaml',
                 parameters=dict(sim, db_path=os.path.join(options.out_dir, 'tube_ledger.db'),
                                 event_log=os.path.join(options.out_dir,
                                                        'custody_events.jsonl'))),
        NodeSpec('caching_assembly', ready=('action', contract.CACHE_SAMPLE,
                                            'perseverance_interfaces.action.CacheSample'),
                 parameters=dict(common)),
        NodeSpec('rover', ready=('action', contract.NAVIGATE_TO,
                                 'perseverance_interfaces.action.NavigateTo'),
                 params_file='rover.yaml',
                 parameters=dict(common, **(FAST_ROVER if options.fast_rover else {}))),
        NodeSpec('lander', ready=('action', contract.LOAD_TUBE,
                                  'perseverance_interfaces.action.LoadTube'),
                 params_file='lander.yaml', parameters=dict(common)),
    ]
    for number in range(1, options.helicopters + 1):
        name = 'helicopter_{}'.format(number)
        specs.append(NodeSpec(
            'helicopter', name=name, namespace='/' + name,
            ready=('action', contract.retrieve_tube_action(number),
                   'perseverance_interfaces.action.RetrieveTube'),
            params_file='helicopter.yaml', parameters=dict(common, helicopter=name)))
    specs.append(NodeSpec(
        'mission_control', ready=('action', contract.RUN_CAMPAIGN,
                                  'perseverance_interfaces.action.RunCampaign'),
        params_file='mission_control.yaml',
        parameters=dict(sim, report_dir=options.out_dir, step_timeout=options.step_timeout,
                        max_helicopters=max(options.helicopters, 1),
                        scenario=options.scenario_file)))
    if options.viewer:
        specs.append(viewer_spec(options.viewer_host, options.viewer_port))
    if options.record:
        specs.append(recorder_spec(options.out_dir, options.record_images))
    return specs


def recorder_spec(out_dir, record_images=False):
    """
    Return the recorder node, writing <out_dir>/campaign.mcap (and metadata.yaml beside it).

    Ready when its parameter services answer: it starts them once every subscription exists.
    """
    parameters = {'use_sim_time': True, 'output': os.path.join(out_dir, RECORD_FILE),
                  'compression': RECORD_COMPRESSION, 'record_images': bool(record_images)}
    if record_images:
        parameters['image_rate'] = RECORD_IMAGE_RATE
    return NodeSpec('recorder', ready=('service', '/recorder/get_parameters',
                                       'rcl_interfaces.srv.GetParameters'),
                    parameters=parameters, stop_last=True)


def _camera_rate(options):
    """Return the world's camera rate: the run's, or the recording's when it records images."""
    if options.camera_rate > 0 or not (options.record and options.record_images):
        return options.camera_rate
    return RECORD_IMAGE_RATE


def _camera_parameters(rate):
    """Return the world's camera parameters: rendering costs CPU, so only when asked for."""
    return {'cameras_enabled': True, 'camera_rate': float(rate)} if rate > 0 else {}


def viewer_spec(host=VIEWER_HOST, port=VIEWER_PORT):
    """Return the viewer node (wall-time rendering: no use_sim_time); ready when its page is."""
    return NodeSpec('viewer', ready=('page', viewer_url(host, port), ''),
                    parameters={'use_sim_time': False, 'host': host, 'port': int(port)})


def launch_arguments_of(spec):
    """Return a node's table parameters as launch arguments (text) of its launch file."""
    return {key: _param_text(value) if isinstance(value, bool) else str(value)
            for key, value in spec.parameters.items()}


def page_answers(url, timeout=0.5):
    """Return True if an HTTP GET of ``url`` (a loopback page of ours) answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


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
            if kind == 'page':
                client.spin_until(lambda url=name: page_answers(url) or self.group.dead(),
                                  max(deadline - time.monotonic(), 0.1),
                                  '{} to serve its page {}'.format(spec.process_name, name))
                self._check_alive()
                if stream is not None:
                    print('  ready     {:<18} page {}'.format(spec.process_name, name),
                          file=stream)
                continue
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
            self._check_alive()
            if stream is not None:
                print('  ready     {:<18} {} {}'.format(spec.process_name, kind, name),
                      file=stream)

    def _check_alive(self):
        if self.group.dead():
            raise RuntimeError('exited during start-up: ' + ', '.join(
                '{} (exit code {})'.format(p.name, p.returncode) for p in self.group.dead()))

    def dead(self):
        """Return the processes that exited while they should still run."""
        return self.group.dead()

    def stop(self, timeout=10.0):
        """
        Stop every process with SIGINT (escalating on timeout); return {name: exit code}.

        In reverse start order, the ``stop_last`` ones (the recorder) after all the others.
        """
        last = {spec.process_name for spec in self.specs if spec.stop_last}
        ordered = [p for p in reversed(self.group.processes) if p.name not in last] + \
            [p for p in reversed(self.group.processes) if p.name in last]
        return {process.name: process.stop(timeout=timeout) for process in ordered}

    def report(self):
        """Return every process's output (for failure messages)."""
        return self.group.report()
