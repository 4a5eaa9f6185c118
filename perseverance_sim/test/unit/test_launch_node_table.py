# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
mission.launch.py gives every node what `perseverance-sim campaign` gives it.

`launch` and `launch_ros` are not installable here, so the launch file runs against small
stand-ins that record what it asks for (arguments, included files, Node actions); what it asks for
is then compared with the node table `perseverance-sim campaign` starts for the same choices.
"""

import importlib.util
import os
import sys
import types

from perseverance_nodes.domain.package_data import share_path
from perseverance_nodes.runner.bringup import FAST_ROVER, node_table
from perseverance_nodes.runner.campaign import run_options
from perseverance_nodes.runner.cli import build_parser, campaign_args
import pytest

LAUNCH_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'launch')
QUICK = share_path('config', 'scenarios', 'quick.yaml')


class _Recorded:
    """A launch entity that keeps its constructor's arguments."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class _Configuration(_Recorded):
    """LaunchConfiguration: its value in the context."""

    def perform(self, context):
        return context[self.args[0]]


class _Join(_Recorded):
    """PathJoinSubstitution: the parts joined with '/'."""

    def __str__(self):
        return '/'.join(str(part) for part in self.args[0])


class _Share(_Recorded):
    """FindPackageShare: a placeholder for the package's share directory."""

    def __str__(self):
        return '<share {}>'.format(self.args[0])


def _stand_ins():
    """Return the modules launch files import, as recording stand-ins."""
    names = {
        'launch': {'LaunchDescription': _Recorded},
        'launch.actions': {name: _Recorded for name in (
            'AppendEnvironmentVariable', 'DeclareLaunchArgument', 'ExecuteProcess',
            'GroupAction', 'IncludeLaunchDescription', 'OpaqueFunction', 'SetEnvironmentVariable',
            'Shutdown')},
        'launch.conditions': {'IfCondition': _Recorded},
        'launch.launch_description_sources': {'PythonLaunchDescriptionSource': _Recorded},
        'launch.substitutions': {'EqualsSubstitution': _Recorded,
                                 'LaunchConfiguration': _Configuration,
                                 'PathJoinSubstitution': _Join,
                                 'PythonExpression': _Recorded, 'TextSubstitution': _Recorded},
        'launch_ros.actions': {'Node': _Recorded},
        'launch_ros.substitutions': {'FindPackageShare': _Share},
    }
    modules = {'launch_ros': types.ModuleType('launch_ros')}
    for name, attributes in names.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        modules[name] = module
    return modules


def _entities(monkeypatch, file_name):
    """Return the entities of a launch file's description, built with the stand-ins."""
    for name, module in _stand_ins().items():
        monkeypatch.setitem(sys.modules, name, module)
    spec = importlib.util.spec_from_file_location(
        file_name.replace('.', '_'), os.path.join(LAUNCH_DIR, file_name))
    launch_file = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launch_file)
    return launch_file.generate_launch_description().args[0]


def _launch(monkeypatch, **arguments):
    """Run mission.launch.py with ``arguments``; return (world arguments, {name: node})."""
    entities = _entities(monkeypatch, 'mission.launch.py')
    context = {e.args[0]: e.kwargs['default_value'] for e in entities if e.args}
    context.update(arguments)
    opaque = [e for e in entities if 'function' in e.kwargs][0]
    world, *nodes = opaque.kwargs['function'](context)
    world_arguments = dict(world.kwargs['launch_arguments'])
    table = {}
    for node in nodes:
        *files, parameters = node.kwargs['parameters']
        name = (node.kwargs['namespace'] or '').strip('/') or node.kwargs['executable']
        table[name] = ([str(f).rsplit('/', 1)[-1] for f in files], parameters,
                       node.kwargs['executable'])
    return world_arguments, table


def _campaign_table(*argv):
    """Return {process name: spec} that `perseverance-sim campaign ARGV` starts."""
    args = campaign_args(build_parser().parse_args(['campaign', '--out', '.', *argv]))
    return {spec.process_name: spec for spec in node_table(run_options(args))}


def _value(text):
    """Return a launch argument's text as the table's value (booleans and numbers)."""
    return {'true': True, 'false': False}[text] if text in ('true', 'false') else float(text)


# A campaign records unless --no-record; mission.launch.py only with record:=true.
@pytest.mark.parametrize('argv, arguments', [
    (('--no-record',), {}),
    ((), {'record': 'true'}),
    (('--scenario', QUICK, '--seed', '7'), {'scenario': QUICK, 'seed': '7', 'record': 'true'}),
    (('--helicopters', '3', '--duration-scale', '0.5', '--no-record'),
     {'helicopters': '3', 'duration_scale': '0.5'}),
    (('--view', '--view-port', '8091'), {'viewer': 'true', 'viewer_port': '8091',
                                         'record': 'true'}),
    (('--record-images',), {'record': 'true', 'record_images': 'true'}),
])
def test_launch_gives_each_node_what_the_campaign_gives_it(monkeypatch, argv, arguments):
    """Same choices, same nodes, same parameter files, same parameters (use_sim_time included)."""
    world_arguments, launched = _launch(monkeypatch, **dict(arguments, out_dir='.'))
    campaign = _campaign_table(*argv)
    world = campaign.pop('world')
    assert {k: _value(v) for k, v in world_arguments.items() if k != 'backend'} == \
        {k: _value(str(v).lower()) for k, v in world.parameters.items()}
    assert set(launched) == set(campaign)
    for name, spec in campaign.items():
        files, parameters, executable = launched[name]
        assert executable == spec.executable
        assert files == ([spec.params_file] if spec.params_file else [])
        assert parameters == spec.parameters, name
        assert parameters['use_sim_time'] is (name != 'viewer')  # the viewer runs on wall time


def test_quick_scenario_through_launch_runs_fast_with_one_helicopter(monkeypatch):
    """The issue's case: the quick scenario's fast rover, one helicopter, the campaign rates."""
    world_arguments, launched = _launch(monkeypatch, scenario=QUICK, out_dir='.')
    rover = launched['rover'][1]
    assert {key: rover[key] for key in FAST_ROVER} == FAST_ROVER
    assert [name for name in launched if name.startswith('helicopter')] == ['helicopter_1']
    assert launched['mission_control'][1]['scenario'] == os.path.abspath(QUICK)
    assert launched['mission_control'][1]['max_helicopters'] == 1
    assert float(world_arguments['clock_rate']) == 20.0
    assert launched['rover'][1]['duration_scale'] == 0.01


def test_world_launch_takes_every_argument_the_mission_passes(monkeypatch):
    """Every argument mission.launch.py gives world.launch.py is declared and reaches the node."""
    world_arguments, _ = _launch(monkeypatch, out_dir='.', record='true', record_images='true')
    assert {'cameras_enabled', 'camera_rate'} <= set(world_arguments)
    entities = _entities(monkeypatch, 'world.launch.py')
    declared = {e.args[0] for e in entities if type(e) is _Recorded and e.args
                and isinstance(e.args[0], str)}
    assert set(world_arguments) <= declared
    groups = [e for e in entities if 'actions' in e.kwargs]
    nodes = [action for group in groups for action in group.kwargs['actions']
             if action.kwargs.get('executable') == 'world']
    assert len(nodes) == 1
    parameters = nodes[0].kwargs['parameters'][0]
    passed = {k for k, v in parameters.items() if isinstance(v, _Configuration)}
    assert set(world_arguments) - {'backend'} <= passed


def test_world_launch_serves_the_page_when_asked(monkeypatch):
    """viewer:=true adds the viewer on the launch's SDF, host and port (loopback by default)."""
    entities = _entities(monkeypatch, 'world.launch.py')
    defaults = {e.args[0]: e.kwargs['default_value'] for e in entities
                if type(e) is _Recorded and e.args and isinstance(e.args[0], str)}
    assert (defaults['viewer'], defaults['viewer_host'], defaults['viewer_port']) == \
        ('false', '127.0.0.1', '8080')
    viewers = [e for e in entities if e.kwargs.get('executable') == 'viewer']
    assert len(viewers) == 1
    condition = viewers[0].kwargs['condition']
    assert condition.args[0].args == ('viewer',)
    parameters = viewers[0].kwargs['parameters'][0]
    assert parameters['use_sim_time'] is False
    assert {key: parameters[key].args[0] for key in ('world_file', 'host', 'port')} == \
        {'world_file': 'world', 'host': 'viewer_host', 'port': 'viewer_port'}


def test_the_recorder_writes_the_run_directory_and_only_when_asked(monkeypatch):
    """record:=true adds the recorder on sim time, writing out_dir/campaign.mcap; else none."""
    _, launched = _launch(monkeypatch, out_dir='.')
    assert 'recorder' not in launched
    world_arguments, launched = _launch(monkeypatch, out_dir='run', record='true')
    files, parameters, executable = launched['recorder']
    assert (files, executable) == ([], 'recorder')
    assert parameters['output'] == os.path.join(os.path.abspath('run'), 'campaign.mcap')
    assert parameters['use_sim_time'] is True and parameters['record_images'] is False
    assert 'cameras_enabled' not in world_arguments  # no rendering for a recording without images
    world_arguments, launched = _launch(monkeypatch, out_dir='run', record='true',
                                        record_images='true')
    assert launched['recorder'][1]['record_images'] is True
    assert launched['recorder'][1]['image_rate'] == 1.0
    assert (world_arguments['cameras_enabled'], float(world_arguments['camera_rate'])) == \
        ('true', 1.0)  # the world renders the mast camera at the rate the bag keeps


def test_campaign_records_unless_told_not_to_and_refuses_images_without_recording():
    """The campaign's recorder is the table's last node; --no-record drops it."""
    assert list(_campaign_table())[-1] == 'recorder'
    assert 'recorder' not in _campaign_table('--no-record')
    with pytest.raises(SystemExit):
        build_parser().parse_args(['campaign', '--no-record', '--record-images'])
