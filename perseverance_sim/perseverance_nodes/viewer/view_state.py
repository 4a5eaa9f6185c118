# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
What the page shows, folded from the world contract and the mission's messages (pure).

The node hands each message's content over as plain values or message-like objects (attribute
access only, so tests use SimpleNamespace); ``ViewState`` keeps the latest of each, the trails of
the vehicles, and answers the page's questions: where is every link, what colour is every tube,
how fast does sim time run.
"""

from collections import deque
from dataclasses import dataclass
import math
import threading

from ..domain.sdf.transforms import Transform
from ..domain.tubes import (LANDER_CONTAINER, MAV_LAUNCHED, SealState, TubeKind)

EMPTY, SEALED, UNSEALED, WITNESS, IN_DEPOT, IN_CONTAINER, LAUNCHED = (
    'empty', 'sealed', 'unsealed', 'witness', 'in the depot', 'in the container', 'launched')
TUBE_STATES = (EMPTY, SEALED, UNSEALED, WITNESS, IN_DEPOT, IN_CONTAINER, LAUNCHED)
# Colours per tube state (r, g, b in 0..255), in the legend's order.
TUBE_COLOURS = {
    EMPTY: (200, 200, 205), SEALED: (60, 170, 75), UNSEALED: (230, 75, 55),
    WITNESS: (150, 110, 220), IN_DEPOT: (240, 190, 40), IN_CONTAINER: (40, 140, 240),
    LAUNCHED: (255, 255, 255),
}
TRAIL_STEP = 0.25          # m a vehicle moves before its trail gets a new point
TRAIL_POINTS = 4000        # points kept per trail (the oldest are dropped)
RATE_WINDOW = 5.0          # s (wall) over which the real-time factor is measured
CUSTODY_EVENTS_SHOWN = 12
STILL = 1e-5               # m, rad or quaternion component: a change below this is no motion
TUBES = '/world/tube_poses'   # the tubes' key in ViewState.versions


def tube_state(tube):
    """Return the display state of a TubeState-like ``tube`` (one of TUBE_STATES)."""
    if tube.holder == MAV_LAUNCHED:
        return LAUNCHED
    if tube.holder == LANDER_CONTAINER:
        return IN_CONTAINER
    if tube.holder.startswith('depot/'):
        return IN_DEPOT
    if tube.kind == int(TubeKind.WITNESS):
        return WITNESS
    if tube.seal == int(SealState.SEALED):
        return SEALED
    if tube.seal == int(SealState.FAILED) or tube.core_length > 0.0:
        return UNSEALED
    return EMPTY


class Trail:
    """The points a vehicle passed, one every TRAIL_STEP metres."""

    def __init__(self, step=TRAIL_STEP, limit=TRAIL_POINTS):
        """Start empty."""
        self.step, self.points, self.version = step, deque(maxlen=limit), 0

    def add(self, point):
        """Take a position (x, y, z); keep it if the vehicle moved a step since the last one."""
        if self.points and math.dist(self.points[-1], point) < self.step:
            return
        self.points.append(tuple(float(v) for v in point))
        self.version += 1


class RateMeter:
    """The real-time factor: sim seconds per wall second over the last RATE_WINDOW."""

    def __init__(self, window=RATE_WINDOW):
        """Start with no samples."""
        self.window, self.samples = window, deque()

    def add(self, wall, sim):
        """Take one (wall time, sim time) sample, in seconds."""
        if self.samples and sim < self.samples[-1][1]:
            self.samples.clear()  # the world restarted
        self.samples.append((wall, sim))
        while len(self.samples) > 2 and wall - self.samples[0][0] > self.window:
            self.samples.popleft()

    def factor(self):
        """Return the real-time factor, or None before two samples a moment apart."""
        if len(self.samples) < 2:
            return None
        (wall0, sim0), (wall1, sim1) = self.samples[0], self.samples[-1]
        return (sim1 - sim0) / (wall1 - wall0) if wall1 - wall0 > 0.2 else None


@dataclass
class FaultView:
    """The latest state of one fault as /faults told it."""

    fault_id: str
    kind: str
    state: str
    target: str
    trigger: str
    description: str
    stamp: float


class ViewState:
    """The latest state of everything shown; written by ROS callbacks, read by the page."""

    def __init__(self, scene):
        """Start with the SDF's poses and nothing heard."""
        self.scene = scene
        self.lock = threading.Lock()
        self.vehicle_poses = {}                   # model -> Transform of the model frame
        self.joint_positions = {}                 # model -> {joint: position}
        self.tube_poses = {}                      # tube id -> Transform of its link
        self._last_tube_values = None
        self.trails = {name: Trail() for name in scene.vehicles}
        self.inventory = []                       # TubeState-like, by tube id
        self.custody_events = deque(maxlen=CUSTODY_EVENTS_SHOWN)
        self.faults = {}                          # fault id -> FaultView
        self.mission = None                       # MissionStatus-like, or None
        self.sim_time = None
        self.rate = RateMeter()
        self.camera_image = None                  # H x W x 3 uint8, or None
        self.versions = {}                        # model (or TUBES) -> bumped when it moved

    # -- writers (ROS callbacks) ---------------------------------------------------------------
    def _moved(self, key, values, last):
        """Bump ``key``'s version if ``values`` differ from ``last`` (parked things stay put)."""
        if last is None or len(last) != len(values) or any(
                abs(a - b) > STILL for a, b in zip(values, last)):
            self.versions[key] = self.versions.get(key, 0) + 1
            return True
        return False

    def on_vehicle_pose(self, model, position, quat_wxyz):
        """Take a vehicle's odometry: the model frame's pose in world."""
        values = tuple(position) + tuple(quat_wxyz)
        with self.lock:
            last = self.vehicle_poses.get(model)
            if self._moved(model, values, None if last is None else
                           tuple(last.pos) + tuple(last.quat)):
                self.vehicle_poses[model] = Transform(position, quat_wxyz)
                if model in self.trails:
                    self.trails[model].add(position)

    def on_joint_states(self, model, names, positions):
        """Take a model's joint states (matched by name)."""
        with self.lock:
            joints = self.joint_positions.setdefault(model, {})
            last = tuple(joints.get(name, math.inf) for name in names)
            if self._moved(model, tuple(positions), last):
                joints.update(zip(names, positions))

    def on_tube_poses(self, poses):
        """Take /world/tube_poses as [(position, quat_wxyz)] in tube order (tube_01 first)."""
        values = tuple(v for position, quat in poses for v in tuple(position) + tuple(quat))
        with self.lock:
            if self._moved(TUBES, values, self._last_tube_values):
                self._last_tube_values = values
                for index, (position, quat) in enumerate(poses, 1):
                    self.tube_poses['tube_{:02d}'.format(index)] = Transform(position, quat)

    def on_clock(self, wall, sim):
        """Take the sim time (s) heard at a wall time (s)."""
        with self.lock:
            self.sim_time = sim
            self.rate.add(wall, sim)

    def on_inventory(self, tubes):
        """Take /tube_inventory's tubes."""
        with self.lock:
            self.inventory = sorted(tubes, key=lambda t: t.tube_id)

    def on_custody_event(self, event):
        """Take one /custody_events event."""
        with self.lock:
            self.custody_events.appendleft(event)

    def on_fault(self, fault):
        """Take one /faults state change (a FaultView)."""
        with self.lock:
            self.faults[fault.fault_id] = fault

    def on_mission_status(self, status):
        """Take /mission_status."""
        with self.lock:
            self.mission = status

    def on_camera_image(self, image):
        """Take the mast camera's latest frame (H x W x 3 uint8)."""
        with self.lock:
            self.camera_image = image

    # -- readers (the page) --------------------------------------------------------------------
    def link_poses(self, seen=None):
        """
        Return {scoped link: world pose} of the links of moving models and of the tubes.

        With ``seen`` (the caller's {model: version}, updated here) only what moved since the
        caller's last look: a parked helicopter costs no forward kinematics.
        """
        with self.lock:
            versions = dict(self.versions)
            vehicles = dict(self.vehicle_poses)
            joints = {model: dict(p) for model, p in self.joint_positions.items()}
            tubes = dict(self.tube_poses)
        changed = [key for key, version in versions.items()
                   if seen is None or seen.get(key) != version]
        if seen is not None:
            seen.update(versions)
        poses = {}
        for model in changed:
            kinematics = self.scene.kinematics.get(model)
            if kinematics is None:
                continue
            base = vehicles.get(model, self.scene.model_poses[model])
            for link, pose in kinematics.link_poses(joints.get(model, {})).items():
                poses[link] = base * pose
        if TUBES in changed:
            for tube, link in self.scene.tubes.items():
                if tube in tubes:
                    poses[link] = tubes[tube]
        return poses

    def vehicle_frames(self):
        """Return {vehicle: pose of its model frame} as odometry last said."""
        with self.lock:
            return dict(self.vehicle_poses)

    def tube_states(self):
        """Return {tube id: display state} from the latest inventory."""
        with self.lock:
            return {tube.tube_id: tube_state(tube) for tube in self.inventory}

    def trail_points(self):
        """Return {vehicle: (version, [points])}."""
        with self.lock:
            return {name: (trail.version, list(trail.points))
                    for name, trail in self.trails.items()}

    def panel_inputs(self):
        """Return a consistent copy of what the text panels show."""
        with self.lock:
            return {'mission': self.mission, 'sim_time': self.sim_time,
                    'real_time_factor': self.rate.factor(), 'inventory': list(self.inventory),
                    'events': list(self.custody_events),
                    'faults': sorted(self.faults.values(), key=lambda f: f.fault_id)}
