# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The simulated Jezero world behind the world contract (docs/world_contract.md), either backend.

  ros2 launch perseverance_sim world.launch.py                       # embedded MuJoCo, headless
  ros2 launch perseverance_sim world.launch.py real_time_factor:=1.0 # real time, for teleop
  ros2 launch perseverance_sim world.launch.py backend:=gazebo       # gz-sim Harmonic + bridge
  ros2 launch perseverance_sim world.launch.py backend:=gazebo headless:=true
  ros2 launch perseverance_sim world.launch.py viewer:=true              # + the live 3D page

viewer:=true adds the viewer node (either backend: it draws the same SDF and reads only the
world contract), serving http://127.0.0.1:8080 (viewer_host, viewer_port).

embedded: the `world` node (it publishes /clock, so it runs on wall time itself).
gazebo: ros_gz_sim's gz_sim.launch.py on the same SDF, with GZ_SIM_RESOURCE_PATH set to the
package's models/, and one ros_gz_bridge parameter_bridge configured by config/gz_bridge.yaml.
The contract's /world/attach_tube, /world/detach_tube and /world/tube_poses need a hand-off
adapter node on the Gazebo side (described in the contract); it does not exist yet, so with
backend:=gazebo those three are not served.
"""

from launch import LaunchDescription
from launch.actions import (AppendEnvironmentVariable, DeclareLaunchArgument, GroupAction,
                            IncludeLaunchDescription)
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import (EqualsSubstitution, LaunchConfiguration, PathJoinSubstitution,
                                  PythonExpression)
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare
from perseverance_nodes.runner.bringup import VIEWER_HOST, VIEWER_PORT


# The embedded world node's own arguments: name, default, description.
EMBEDDED_ARGUMENTS = (
    ('real_time_factor', '0.0', 'embedded: sim time / wall time, 0.0 = as fast as possible, '
     '1.0 = real time (write a float: 1.0, not 1)'),
    ('cameras_enabled', 'false', 'embedded: render and publish the camera images'),
    ('camera_rate', '0.0', 'embedded: camera frames per second of sim time (Hz); 0.0 = the '
     "sensor's update_rate"),
    ('clock_rate', '50.0', 'embedded: /clock messages per second of sim time (Hz)'),
    ('joint_state_rate', '50.0', 'embedded: joint state messages per second of sim time (Hz)'),
    ('tube_pose_rate', '10.0', 'embedded: /world/tube_poses messages per second of sim time '
     '(Hz)'),
)


def generate_launch_description():
    """Declare the arguments and both backends; `backend` picks one."""
    share = FindPackageShare('perseverance_sim')
    backend = LaunchConfiguration('backend')
    world = LaunchConfiguration('world')
    headless = LaunchConfiguration('headless')

    arguments = [
        DeclareLaunchArgument(
            'backend', default_value='embedded', choices=['embedded', 'gazebo'],
            description='embedded: the MuJoCo world node (no Gazebo needed); '
                        'gazebo: gz-sim Harmonic with ros_gz_bridge'),
        DeclareLaunchArgument(
            'world', default_value=PathJoinSubstitution([share, 'worlds', 'jezero.sdf']),
            description='SDF world file (both backends)'),
        DeclareLaunchArgument(
            'headless', default_value='false', choices=['true', 'false'],
            description='gazebo: server only with headless rendering (-s --headless-rendering)'),
        DeclareLaunchArgument(
            'viewer', default_value='false', choices=['true', 'false'],
            description='also serve the live 3D page (the viewer node)'),
        DeclareLaunchArgument(
            'viewer_host', default_value=VIEWER_HOST,
            description='address of the page; any other than loopback exposes a page without '
                        'authentication'),
        DeclareLaunchArgument('viewer_port', default_value=str(VIEWER_PORT),
                              description='TCP port of the page'),
    ] + [DeclareLaunchArgument(name, default_value=default, description=description)
         for name, default, description in EMBEDDED_ARGUMENTS]

    viewer = Node(
        package='perseverance_sim', executable='viewer', name='viewer', output='screen',
        condition=IfCondition(LaunchConfiguration('viewer')),
        parameters=[{
            'use_sim_time': False,  # it renders on wall time
            'world_file': world,
            'host': LaunchConfiguration('viewer_host'),
            'port': LaunchConfiguration('viewer_port'),
        }])

    embedded = GroupAction(
        condition=IfCondition(EqualsSubstitution(backend, 'embedded')),
        actions=[
            Node(
                package='perseverance_sim', executable='world', name='world', output='screen',
                parameters=[{
                    'use_sim_time': False,  # it is the clock
                    'world_file': world,
                    **{name: LaunchConfiguration(name) for name, _, _ in EMBEDDED_ARGUMENTS},
                }]),
        ])

    headless_args = PythonExpression(
        ["' -s --headless-rendering' if '", headless, "' == 'true' else ''"])
    gazebo = GroupAction(
        condition=IfCondition(EqualsSubstitution(backend, 'gazebo')),
        actions=[
            AppendEnvironmentVariable('GZ_SIM_RESOURCE_PATH',
                                      PathJoinSubstitution([share, 'models'])),
            IncludeLaunchDescription(
                PythonLaunchDescriptionSource(
                    PathJoinSubstitution([FindPackageShare('ros_gz_sim'), 'launch',
                                          'gz_sim.launch.py'])),
                # on_exit_shutdown: Jazzy's gz_sim.launch.py treats any value as true.
                launch_arguments={'gz_args': [world, ' -r', headless_args],
                                  'on_exit_shutdown': 'true'}.items()),
            Node(
                package='ros_gz_bridge', executable='parameter_bridge', name='gz_bridge',
                output='screen',
                parameters=[{
                    'config_file': PathJoinSubstitution([share, 'config', 'gz_bridge.yaml']),
                    'use_sim_time': True,
                }]),
        ])

    return LaunchDescription(arguments + [embedded, gazebo, viewer])
