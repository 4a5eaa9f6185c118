# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
The live 3D view: the Jezero world in a browser page served by this machine (viser).

- ``meshes``: triangle meshes of SDF shapes (numpy; no ROS, no viser);
- ``scene``: the drawable world from the SDF (links, shapes, labels) and the forward kinematics
  that poses it from the world contract's odometry, joint states and tube poses;
- ``view_state``: what the page shows, folded from contract and mission messages (pure);
- ``panels``: the panels' text (mission status, tube ledger, faults, driving);
- ``page``: the viser server, scene nodes, panels and controls;
- ``node``: the ``viewer`` ROS node wiring subscriptions, the rover driver and the page.
"""
