#!/usr/bin/env python3
# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Benchmark of the embedded world backend: prints figures, asserts nothing.

Reports, for the converted world (the real worlds/jezero.sdf, or with --synthetic a stand-in
built from the test fixtures: rover, lander-sized box, 2 helicopters, 43 tubes in the rover and
the real heightmap), the raw MuJoCo step rate, the engine's stepping rate (plugins at 100 Hz,
rover driving, one helicopter hovering) and the same with the rover camera rendered at its
update rate.  It then starts the ROS `world` node as a process (headless, real_time_factor 0,
cameras off, then on) and measures its real-time factor from /clock against wall time, and the
ratio node / raw MuJoCo, with a probe subscribed to every stream and, cameras off, to /clock
only (the node does not build streams nobody subscribes to); and, paced at real time, the
node's CPU use (share of one core, from /proc) with cameras off and on: the difference is what
the camera costs.  Run:
python3 bench/world_rtf.py [--world F] [--synthetic] [--seconds S] [--node-seconds S]
[--no-node]
"""

import argparse
import os
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'perseverance_sim'))

from perseverance_nodes.domain import sdf as sdf_mod  # noqa: E402
from perseverance_nodes.ros.client import RosClient  # noqa: E402
from perseverance_nodes.runner.domain_lease import DomainLease  # noqa: E402
from perseverance_nodes.runner.processes import ProcessGroup  # noqa: E402
from perseverance_nodes.world import engine as engine_mod  # noqa: E402
import mujoco  # noqa: E402,I100

FIXTURES = ROOT / 'perseverance_sim' / 'test' / 'world' / 'fixtures'


def synthetic_world(directory):
    """Write a stand-in for jezero.sdf built from the fixtures; return its path."""
    heightmap = ROOT / 'perseverance_sim' / 'worlds' / 'media' / 'jezero_heightmap.png'
    if heightmap.is_file():
        terrain = ('<heightmap><uri>{}</uri><size>200 200 4</size><pos>0 0 -2</pos>'
                   '</heightmap>').format(heightmap)
    else:
        terrain = '<plane><normal>0 0 1</normal><size>200 200</size></plane>'
    tubes = []
    for i in range(43):
        x = -0.45 + 0.02 * (i % 8)
        y = -0.08 + 0.03 * (i // 8)
        tubes.append('<include><uri>model://test_tube</uri><name>tube_{:02d}</name>'
                     '<pose relative_to="rover">{} {} 0.45 0 0 0</pose></include>'.format(
                         i + 1, x, y))
    text = """<?xml version="1.0"?>
<sdf version="1.9"><world name="jezero_synthetic">
  <gravity>0 0 -3.721</gravity>
  <plugin filename="gz-sim-physics-system" name="gz::sim::systems::Physics"/>
  <plugin filename="gz-sim-sensors-system" name="gz::sim::systems::Sensors"/>
  <model name="jezero_terrain"><static>true</static><link name="link">
    <collision name="c"><geometry>{terrain}</geometry></collision>
    <visual name="v"><geometry>{terrain}</geometry></visual></link></model>
  <model name="lander"><static>true</static><pose>8 0 0.5 0 0 0</pose><link name="base">
    <collision name="c"><geometry><box><size>3 3 1</size></box></geometry></collision></link>
  </model>
  <include><uri>model://test_rover</uri><name>rover</name><pose>0 0 2.5 0 0 0</pose></include>
  <include><uri>model://test_heli</uri><name>helicopter_1</name><pose>3 3 2.5 0 0 0</pose>
  </include>
  <include><uri>model://test_heli</uri><name>helicopter_2</name><pose>3 -3 2.5 0 0 0</pose>
  </include>
  {tubes}
</world></sdf>
""".format(terrain=terrain, tubes='\n  '.join(tubes))
    path = os.path.join(directory, 'jezero_synthetic.sdf')
    with open(path, 'w') as f:
        f.write(text)
    return path


def raw_rate(engine, seconds):
    """Physics steps per second of bare mj_step on the converted model."""
    model, data = engine.model, engine.data
    steps = int(seconds / engine.timestep)
    start = time.perf_counter()
    mujoco.mj_step(model, data, steps)
    elapsed = time.perf_counter() - start
    return steps / elapsed, steps * engine.timestep / elapsed


def engine_rate(engine, seconds, rover, helicopter, camera):
    """Engine stepping rate with plugins active, optionally rendering a camera."""
    if rover:
        engine.set_cmd_vel(rover, 0.04, 0.0)
    if helicopter:
        engine.set_helicopter_velocity(helicopter, [0.0, 0.0, 0.5], 0.0)
    period = 0.2  # s: a 5 Hz camera
    steps_per_chunk = max(1, int(round(period / engine.timestep)))
    chunks = max(1, int(seconds / period))
    frames = 0
    start = time.perf_counter()
    for _ in range(chunks):
        engine.step(steps_per_chunk)
        if camera:
            engine.render_camera(camera)
            frames += 1
    elapsed = time.perf_counter() - start
    sim = chunks * steps_per_chunk * engine.timestep
    return sim / elapsed, frames


def _cpu_seconds(pid):
    """User + system CPU time (s) of a process so far, from /proc/<pid>/stat."""
    with open('/proc/{}/stat'.format(pid)) as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _listen_to_everything(probe):
    """Subscribe the probe to every stream the world node publishes; return the topic count."""
    from geometry_msgs.msg import PoseArray
    from nav_msgs.msg import Odometry
    from sensor_msgs.msg import CameraInfo, Image, JointState
    types = {'nav_msgs/msg/Odometry': Odometry, 'sensor_msgs/msg/JointState': JointState,
             'geometry_msgs/msg/PoseArray': PoseArray, 'sensor_msgs/msg/Image': Image,
             'sensor_msgs/msg/CameraInfo': CameraInfo}
    probe.spin_until(lambda: 'world' in probe.node.get_node_names(), 30.0,
                     'the world node in the ROS graph')
    topics = [(name, types[kinds[0]]) for name, kinds in
              probe.node.get_publisher_names_and_types_by_node('world', '/')
              if kinds and kinds[0] in types]
    for name, msg_type in topics:  # raw: the probe takes bytes, so it costs the machine little
        probe.node.create_subscription(msg_type, name, lambda msg: None, 10, raw=True)
    return len(topics)


def node_rate(world, model_dirs, seconds, cameras, real_time_factor=0.0, listen=True):
    """
    Return (real-time factor, CPU share of one core) of the world node process.

    The node runs headless at ``real_time_factor`` (0 = unpaced) on its own ROS domain (loopback
    discovery); the window starts at the first /clock message, so loading the world is not
    counted. The real-time factor is /clock advance over wall time. With ``listen`` a probe
    subscribes to every stream (odometry, joint states, tube poses, camera), so that the node
    builds and publishes them all; without, only /clock has a subscriber (the node skips the
    rest).
    """
    from rosgraph_msgs.msg import Clock
    lease = DomainLease()
    extra_env = {'GZ_SIM_RESOURCE_PATH': os.pathsep.join(model_dirs)} if model_dirs else {}
    group = ProcessGroup(tempfile.mkdtemp(prefix='world_rtf_node_'), domain_id=lease.domain_id,
                         extra_env=extra_env)
    probe = None
    try:
        node = group.start_node('world', ros_args=[
            '-p', 'world_file:={}'.format(world),
            '-p', 'real_time_factor:={}'.format(float(real_time_factor)),
            '-p', 'cameras_enabled:={}'.format('true' if cameras else 'false')])
        probe = RosClient(lease.domain_id, 'world_rtf_probe')
        latest = []
        probe.node.create_subscription(
            Clock, '/clock', lambda msg: latest.append(msg.clock.sec + msg.clock.nanosec * 1e-9),
            10)
        probe.spin_until(lambda: latest or group.dead(), 60.0, '/clock from the world node')
        if group.dead():
            raise RuntimeError(group.report())
        if listen:
            _listen_to_everything(probe)
            settle = time.perf_counter()  # let the subscriptions be matched first
            probe.spin_until(lambda: time.perf_counter() - settle > 2.0, 10.0, 'discovery')
        sim0, wall0, cpu0 = latest[-1], time.perf_counter(), _cpu_seconds(node.popen.pid)
        probe.spin_until(lambda: time.perf_counter() - wall0 >= seconds, seconds + 10.0,
                         'the measurement window')
        wall = time.perf_counter() - wall0
        return (latest[-1] - sim0) / wall, (_cpu_seconds(node.popen.pid) - cpu0) / wall
    finally:
        if probe is not None:
            probe.close()
        codes = group.stop_all()
        lease.release()
        if any(codes.values()):
            print('world node exit codes: {}'.format(codes))


def main():
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--world', default=None)
    parser.add_argument('--synthetic', action='store_true')
    parser.add_argument('--seconds', type=float, default=20.0, help='simulated seconds per run')
    parser.add_argument('--node-seconds', type=float, default=5.0,
                        help='wall seconds per world node measurement')
    parser.add_argument('--no-node', action='store_true', help='skip the ROS world node')
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix='world_rtf_')
    model_dirs = None
    world = args.world
    if world is None and not args.synthetic:
        try:
            world = sdf_mod.default_world_path()
        except Exception:  # noqa: B902 - not installed and no source tree world
            world = None
        if world is None or not os.path.isfile(world):
            print('worlds/jezero.sdf not found: using --synthetic')
            args.synthetic = True
    if args.synthetic:
        world = synthetic_world(tmp)
        model_dirs = [str(FIXTURES / 'models')]
    start = time.perf_counter()
    eng = engine_mod.WorldEngine(world, model_dirs)
    load = time.perf_counter() - start
    m = eng.model
    print('world: {}'.format(world))
    print('load+convert+compile: {:.2f} s; bodies {}, geoms {}, dofs {}, actuators {}, '
          'welds {}, timestep {} s'.format(load, m.nbody, m.ngeom, m.nv, m.nu, m.neq,
                                           eng.timestep))
    tubes = eng.tube_names
    rover = 'perseverance' if 'perseverance' in eng.model_names else 'rover'
    for tube in tubes:
        if not eng.carrier_of(tube):
            eng.handoffs.attach(tube, rover + '::caching_assembly', check_tolerance=False)
    attached = sum(1 for t in tubes if eng.carrier_of(t))
    print('tubes: {} ({} attached)'.format(len(tubes), attached))
    eng.step(int(1.0 / eng.timestep))  # settle
    heli = next((n for n in eng.model_names if n.startswith('helicopter')), None)
    sps, raw_rtf = raw_rate(eng, args.seconds)
    print('raw mj_step:            {:8.0f} steps/s = {:6.1f} x real time'.format(sps, raw_rtf))
    rtf, _ = engine_rate(eng, args.seconds, rover, heli, None)
    print('engine, cameras off:    {:6.1f} x real time'.format(rtf))
    if eng.camera_names:
        camera = eng.camera_names[0]
        try:
            rtf, frames = engine_rate(eng, args.seconds, rover, heli, camera)
            print('engine, {} at 5 Hz: {:6.1f} x real time ({} frames)'.format(
                camera, rtf, frames))
        except engine_mod.RenderUnavailable as err:
            print('cameras on: unavailable ({})'.format(err))
    has_cameras = bool(eng.camera_names)
    eng.close()
    if args.no_node:
        return
    # The node: idle commands (nothing drives); a probe subscribes to every stream (the issue's
    # case), then to /clock alone (streams nobody takes are skipped).
    for cameras, listen in ([(False, True), (False, False)] + (
            [(True, True)] if has_cameras else [])):
        rtf, _ = node_rate(world, model_dirs, args.node_seconds, cameras, listen=listen)
        print('world node, cameras {:3s}, {:18s}: {:6.1f} x real time = {:.2f} x raw '
              'mj_step'.format('on' if cameras else 'off', 'every stream taken' if listen
                               else 'only /clock taken', rtf, rtf / raw_rtf))
    if has_cameras:  # the camera target is stated at real time
        shares = {}
        for cameras in (False, True):
            rtf, shares[cameras] = node_rate(world, model_dirs, 2 * args.node_seconds, cameras,
                                             real_time_factor=1.0)
            print('world node at real time, cameras {:3s}: {:5.1f} % of a core '
                  '(real-time factor {:.2f})'.format('on' if cameras else 'off',
                                                     100 * shares[cameras], rtf))
        print('cameras at their SDF rates, at real time: {:+.1f} % of a core'.format(
            100 * (shares[True] - shares[False])))


if __name__ == '__main__':
    main()
