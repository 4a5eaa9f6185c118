# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The whole sample-return chain for ROS users: the world and every mission node.

    ros2 launch perseverance_sim mission.launch.py                       # embedded backend
    ros2 launch perseverance_sim mission.launch.py scenario:=$(ros2 pkg prefix \
        perseverance_sim)/share/perseverance_sim/config/scenarios/quick.yaml
    ros2 launch perseverance_sim mission.launch.py backend:=gazebo helicopters:=2
    ros2 launch perseverance_sim mission.launch.py viewer:=true   # watch at http://127.0.0.1:8080
    ros2 launch perseverance_sim mission.launch.py record:=true out_dir:=run  # run/campaign.mcap
    ros2 action send_goal --feedback /mission_control/run_campaign \
        perseverance_interfaces/action/RunCampaign "{seed: 1}"

The nodes and their parameters come from the one node table, perseverance_nodes/runner/
bringup.py, which `perseverance-sim campaign` starts too: the same arguments give every node the
same parameters (fast-rover limits for a fast scenario, the campaign's duration scale and stream
rates, use_sim_time). Each node loads its config/<node>.yaml and then the table's values.
``record:=true`` adds the recorder (out_dir/campaign.mcap and metadata.yaml: a rosbag2 bag); on
Ctrl-C launch stops every node at once, so the bag may miss what the others publish while they
stop (`perseverance-sim campaign` stops the recorder last).
"""

import os

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription, OpaqueFunction
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare
from perseverance_nodes.runner.bringup import CAMPAIGN_DURATION_SCALE, campaign_options
from perseverance_nodes.runner.bringup import launch_arguments_of, node_table
from perseverance_nodes.runner.bringup import VIEWER_HOST, VIEWER_PORT

PACKAGE = 'perseverance_sim'


def _system(context):
    """Return the world (either backend) and the mission nodes of the node table."""
    value = {name: LaunchConfiguration(name).perform(context) for name, _, _ in ARGUMENTS}
    options = campaign_options(
        os.path.abspath(value['out_dir']), value['scenario'], int(value['seed']),
        int(value['helicopters']), float(value['duration_scale']),
        float(value['real_time_factor']), viewer=value['viewer'] == 'true',
        viewer_host=value['viewer_host'], viewer_port=int(value['viewer_port']),
        record=value['record'] == 'true', record_images=value['record_images'] == 'true')
    world, *nodes = node_table(options)
    share = FindPackageShare(PACKAGE)
    actions = [IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([share, 'launch', 'world.launch.py'])),
        launch_arguments=dict(launch_arguments_of(world),
                              backend=LaunchConfiguration('backend')).items())]
    for spec in nodes:
        files = [PathJoinSubstitution([share, 'config', spec.params_file])] \
            if spec.params_file else []
        actions.append(Node(package=PACKAGE, executable=spec.executable,
                            namespace=spec.namespace or None, output='screen',
                            parameters=files + [dict(spec.parameters)]))
    return actions


# name, default, description (every argument also reaches the node table through _system).
ARGUMENTS = (
    ('scenario', '', 'scenario YAML of mission_control; empty = config/scenarios/default.yaml '
     '(quick.yaml is a short one)'),
    ('helicopters', '0', "helicopter nodes /helicopter_1 .. _N; 0 = the scenario's count"),
    ('seed', '1', 'random seed of the nodes; the same seed, the same outcome'),
    ('duration_scale', str(CAMPAIGN_DURATION_SCALE), 'factor on the nominal step durations of '
     'mission_facts.yaml (coring, sealing, arm moves)'),
    ('real_time_factor', '0.0', 'embedded world pacing: 0.0 = as fast as possible, 1.0 = real '
     'time'),
    ('out_dir', '.', 'directory of report.json, the ledger database and the custody event log'),
    ('viewer', 'false', 'true: also serve the live 3D page (the viewer node)'),
    ('viewer_host', VIEWER_HOST, 'address of the page; any other than loopback exposes a page '
     'without authentication'),
    ('viewer_port', str(VIEWER_PORT), 'TCP port of the page'),
    ('record', 'false', 'true: record the run as a rosbag2 bag, out_dir/campaign.mcap with '
     'metadata.yaml (the recorder node)'),
    ('record_images', 'false', 'true (with record): the bag also holds the mast camera image, '
     '1 frame per second of sim time'),
)


def generate_launch_description():
    """Declare the arguments; the node table does the rest."""
    backend = DeclareLaunchArgument(
        'backend', default_value='embedded', choices=['embedded', 'gazebo'],
        description='world backend: embedded (MuJoCo) or gazebo (gz-sim Harmonic + '
                    'ros_gz_bridge)')
    return LaunchDescription([backend] + [
        DeclareLaunchArgument(name, default_value=default, description=description)
        for name, default, description in ARGUMENTS] + [OpaqueFunction(function=_system)])
