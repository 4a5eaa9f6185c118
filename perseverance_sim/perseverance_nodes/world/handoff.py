# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Tube hand-offs: attach a payload (a one-link free model such as a tube) to a carrier.

Mechanism (kinematic, lazily synchronised): while attached, a payload's pose *is* its carrier
body's pose times the relative pose frozen at attach time, exactly, with no drift or sag.  The
MuJoCo body itself is parked where it was: zero velocity, gravity compensated, collisions off, so
it costs the solver nothing and touches nothing.  Every read through the engine (tube poses,
frames, odometry, camera images) uses the carried pose, and the body is written there before a
render and at detach.  At detach the payload gets the carrier's velocity at that point, its
gravity and collisions back, and falls.

Why not a MuJoCo weld per tube, toggled with eq_active: measured on the full world (43 tubes in
the rover), 43 welds cost 6 constraint rows each and halved the step rate (about 30x real time
against 70x parked), and a soft weld sags; setting the free joints every step instead would
cost Python per physics step.  What this gives up: carriers do not feel the payload's mass
(57 g per tube; 2.5 % of a helicopter, which its velocity controller absorbs).

Like Gazebo's DetachableJoint the relative pose kept is the one at the moment of attaching.
Unlike it, ``attach`` checks the distance from the payload centre to the carrier frame (its
grasp point) unless told not to (initial attachments, DetachableJoint's own attach).
"""

from dataclasses import dataclass

import numpy as np

from ..domain.sdf.transforms import quat_mul, Transform

OK = 0
UNKNOWN_PAYLOAD = 1
UNKNOWN_CARRIER = 2
OUT_OF_TOLERANCE = 3
NOT_ATTACHED = 4
SAME_BODY = 5

DEFAULT_TOLERANCE = 0.05  # m, tube centre to grasp point


@dataclass
class HandoffResult:
    """Outcome of attach/detach, shaped like the project's action results."""

    success: bool
    error_code: int = OK
    error_msg: str = ''
    distance: float = 0.0
    previous_carrier: str = ''


@dataclass
class _Holding:
    carrier: str          # frame name as requested ('helicopter_1::grasp_point')
    body: int             # carrier body id
    rel: Transform        # payload body pose in the carrier body frame


class HandoffManager:
    """Keeps track of which carrier frame holds which payload."""

    def __init__(self, engine, payloads):
        """Bind to an engine; ``payloads`` maps payload model -> its body (scoped link)."""
        self.engine = engine
        self.payloads = dict(payloads)
        self.holding = {}
        self._body = {}
        self._geoms = {}
        self._gravcomp = {}
        self._centre = {}
        model = engine.model
        for payload, body in self.payloads.items():
            bid = engine.body_id(body)
            self._body[payload] = bid
            geoms = [g for g in range(model.ngeom) if model.geom_bodyid[g] == bid]
            self._geoms[payload] = [(g, int(model.geom_contype[g]),
                                     int(model.geom_conaffinity[g])) for g in geoms]
            self._gravcomp[payload] = float(model.body_gravcomp[bid])
            collision = [g for g in geoms if model.geom_group[g] == 3]
            # Centre in the body frame: first collision geom, else the centre of mass.
            self._centre[payload] = (model.geom_pos[collision[0]].copy() if collision
                                     else model.body_ipos[bid].copy())
        self.by_body = {bid: p for p, bid in self._body.items()}

    def payload_pose(self, payload):
        """World pose of the payload body (carried pose while attached)."""
        held = self.holding.get(payload)
        if held is None:
            return self.engine.body_pose_id(self._body[payload])
        return self.engine.body_pose_id(held.body) * held.rel

    def payload_pose_arrays(self, payloads):
        """
        Positions (n, 3) and w-x-y-z quaternions (n, 4) of ``payloads``, carried ones as carried.

        payload_pose for many at once, in numpy (the world publishes 43 tubes many times a
        second of wall time).
        """
        data = self.engine.data
        bodies = [self._body[p] for p in payloads]
        pos, quat = data.xpos[bodies], data.xquat[bodies]  # fancy indexing: copies
        held = [(i, self.holding[p]) for i, p in enumerate(payloads) if p in self.holding]
        if held:
            rows = [i for i, _ in held]
            carriers = [h.body for _, h in held]
            rel_pos = np.array([h.rel.pos for _, h in held])
            rel_quat = np.array([h.rel.quat for _, h in held])
            rot = data.xmat[carriers].reshape(-1, 3, 3)
            pos[rows] = data.xpos[carriers] + np.einsum('nij,nj->ni', rot, rel_pos)
            # quat_mul works on columns: each component is then a whole row of quaternions
            quat[rows] = quat_mul(data.xquat[carriers].T, rel_quat.T).T
        return pos, quat

    def payload_centre(self, payload):
        """World position of the payload centre (its collision shape's centre)."""
        return self.payload_pose(payload).apply(self._centre[payload])

    def attach(self, payload, carrier, tolerance=DEFAULT_TOLERANCE, check_tolerance=True,
               snap=False):
        """
        Attach ``payload`` to the carrier link or frame ``carrier`` ('model::frame').

        Refused (success False) when the payload centre is farther than ``tolerance`` from the
        carrier frame origin.  A payload held elsewhere is handed over (previous_carrier set).
        ``snap`` moves the payload so its centre sits on the carrier frame origin.
        """
        eng = self.engine
        if payload not in self.payloads:
            return HandoffResult(False, UNKNOWN_PAYLOAD,
                                 '{} is not a payload (one-link free model)'.format(payload))
        try:
            carrier_pose = eng.frame_pose(carrier)
            carrier_body = eng.frame_body(carrier)
        except KeyError:
            return HandoffResult(False, UNKNOWN_CARRIER, 'no link or frame {}'.format(carrier))
        if carrier_body == self.payloads[payload]:
            return HandoffResult(False, SAME_BODY, '{} cannot hold itself'.format(payload))
        centre = self.payload_centre(payload)
        distance = float(np.linalg.norm(centre - carrier_pose.pos))
        if check_tolerance and distance > tolerance:
            return HandoffResult(False, OUT_OF_TOLERANCE,
                                 '{} is {:.2f} m from {}, tolerance {:.2f} m'.format(
                                     payload, distance, carrier, tolerance), distance)
        previous = self.holding[payload].carrier if payload in self.holding else ''
        pose = self.payload_pose(payload)
        if snap:
            pose = Transform(pose.pos + carrier_pose.pos - centre, pose.quat)
        cid = 0 if carrier_body == 'world' else eng.body_id(carrier_body)
        rel = eng.body_pose_id(cid).inverse() * pose
        self.holding[payload] = _Holding(carrier, cid, rel)
        self._park(payload)
        return HandoffResult(True, OK, '', distance, previous)

    def _park(self, payload):
        model, data = self.engine.model, self.engine.data
        bid = self._body[payload]
        dadr = self.engine.free_dofadr(bid)
        data.qvel[dadr:dadr + 6] = 0.0
        model.body_gravcomp[bid] = 1.0
        for g, _, _ in self._geoms[payload]:
            model.geom_contype[g] = 0
            model.geom_conaffinity[g] = 0

    def sync(self, payloads=None):
        """Write the carried pose (and carrier velocity) into the parked bodies."""
        eng = self.engine
        for payload in list(payloads if payloads is not None else self.holding):
            held = self.holding.get(payload)
            if held is None:
                continue
            pose = eng.body_pose_id(held.body) * held.rel
            bid = self._body[payload]
            qadr = eng.free_qposadr(bid)
            dadr = eng.free_dofadr(bid)
            data = eng.data
            data.qpos[qadr:qadr + 3] = pose.pos
            data.qpos[qadr + 3:qadr + 7] = pose.quat
            vel = eng.body_velocity(held.body)  # [angular, linear] at the carrier origin
            omega = vel[:3]
            r = pose.pos - eng.data.xpos[held.body]
            lin = vel[3:] + np.array([omega[1] * r[2] - omega[2] * r[1],
                                      omega[2] * r[0] - omega[0] * r[2],
                                      omega[0] * r[1] - omega[1] * r[0]])
            data.qvel[dadr:dadr + 3] = lin
            data.qvel[dadr + 3:dadr + 6] = pose.rot.T @ omega

    def detach(self, payload):
        """Release ``payload``; it falls from where it is with its carrier's velocity."""
        if payload not in self.payloads:
            return HandoffResult(False, UNKNOWN_PAYLOAD, '{} is not a payload'.format(payload))
        if payload not in self.holding:
            return HandoffResult(False, NOT_ATTACHED, '{} is not attached'.format(payload))
        self.engine.forward_kinematics()
        self.sync([payload])
        model = self.engine.model
        bid = self._body[payload]
        model.body_gravcomp[bid] = self._gravcomp[payload]
        for g, contype, conaff in self._geoms[payload]:
            model.geom_contype[g] = contype
            model.geom_conaffinity[g] = conaff
        previous = self.holding.pop(payload).carrier
        self.engine.forward_kinematics()
        return HandoffResult(True, OK, '', 0.0, previous)

    def carrier_of(self, payload):
        """Carrier frame holding ``payload``, or '' when free."""
        held = self.holding.get(payload)
        return held.carrier if held else ''
