# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The whole sample-return chain for ROS users: the world and every mission node.

    ros2 launch perseverance_sim mission.launch.py                       # embedded backend
    ros2 launch perseverance_sim mission.launch.py backend:=gazebo helicopters:=2
    ros2 action send_goal --feedback /mission_control/run_campaign \
        perseverance_interfaces/action/RunCampaign "{seed: 1}"

The same nodes as `perseverance-sim campaign` (perseverance_nodes/mission/bringup.py), which
also sends the goal, shows progress and collects the results. use_sim_time is set once for
every node here; the world (world.launch.py) publishes /clock.
"""

from launch import LaunchDescription
from launch.actions import (DeclareLaunchArgument, GroupAction, IncludeLaunchDescription,
                            OpaqueFunction)
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node, PushROSNamespace, SetParameter
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare

PACKAGE = 'perseverance_sim'


def _mission_nodes(context):
    """Return the mission nodes, with one namespaced helicopter per helicopters:=N."""
    config = PathJoinSubstitution([FindPackageShare(PACKAGE), 'config'])
    seed = ParameterValue(LaunchConfiguration('seed'), value_type=int)
    scale = ParameterValue(LaunchConfiguration('duration_scale'), value_type=float)
    scenario = ParameterValue(LaunchConfiguration('scenario'), value_type=str)
    common = {'seed': seed, 'duration_scale': scale}
    helicopters = int(LaunchConfiguration('helicopters').perform(context))
    if not 0 <= helicopters <= 9:
        raise ValueError('helicopters:={} is invalid; allowed: 0..9'.format(helicopters))
    nodes = [
        Node(package=PACKAGE, executable='tube_ledger', name='tube_ledger', output='screen',
             parameters=[PathJoinSubstitution([config, 'tube_ledger.yaml'])]),
        Node(package=PACKAGE, executable='caching_assembly', name='caching_assembly',
             output='screen', parameters=[common]),
        Node(package=PACKAGE, executable='rover', name='rover', output='screen',
             parameters=[PathJoinSubstitution([config, 'rover.yaml']),
                         dict(common, scenario_file=scenario)]),
        Node(package=PACKAGE, executable='lander', name='lander', output='screen',
             parameters=[PathJoinSubstitution([config, 'lander.yaml']),
                         dict(common, scenario_file=scenario)]),
    ]
    for number in range(1, helicopters + 1):
        nodes.append(GroupAction([
            PushROSNamespace('helicopter_{}'.format(number)),
            Node(package=PACKAGE, executable='helicopter', name='helicopter', output='screen',
                 parameters=[PathJoinSubstitution([config, 'helicopter.yaml']),
                             dict(common, scenario_file=scenario,
                                  helicopter='helicopter_{}'.format(number))]),
        ]))
    nodes.append(Node(
        package=PACKAGE, executable='mission_control', name='mission_control', output='screen',
        parameters=[PathJoinSubstitution([config, 'mission_control.yaml']),
                    {'scenario': scenario, 'max_helicopters': max(helicopters, 1)}]))
    return nodes


def generate_launch_description():
    """Declare the arguments, include the world, start the mission nodes."""
    arguments = [
        DeclareLaunchArgument('backend', default_value='embedded',
                              choices=['embedded', 'gazebo'],
                              description='world backend: embedded (MuJoCo) or gazebo (gz-sim '
                                          'Harmonic + ros_gz_bridge)'),
        DeclareLaunchArgument('helicopters', default_value='2',
                              description='helicopter nodes to start, /helicopter_1 .. _N'),
        DeclareLaunchArgument('scenario', default_value='',
                              description='scenario YAML for mission_control and the nodes that '
                                          'read place coordinates; empty = config/scenarios/'
                                          'default.yaml'),
        DeclareLaunchArgument('seed', default_value='1',
                              description='random seed of the nodes; the same seed, the same '
                                          'outcome'),
        DeclareLaunchArgument('duration_scale', default_value='1.0',
                              description='factor on the nominal step durations of '
                                          'mission_facts.yaml (coring, sealing, arm moves)'),
    ]
    world = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(
            PathJoinSubstitution([FindPackageShare(PACKAGE), 'launch', 'world.launch.py'])),
        launch_arguments={'backend': LaunchConfiguration('backend')}.items())
    return LaunchDescription(arguments + [
        world,  # the world keeps its own time: it publishes /clock
        SetParameter(name='use_sim_time', value=True),  # once, for every node below
        OpaqueFunction(function=_mission_nodes),
    ])
