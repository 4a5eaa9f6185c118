# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
A campaign's run folder told as a page: the traverse map, the timeline, the chain of custody.

- ``sources``: what the run left, read back: the recording (campaign.mcap, the recorder's ROS 2
  bag), mission_control's report.json and the ledger database (tube_ledger.db);
- ``style``: the colours and names both figures and the page use (holder kinds, outcomes);
- ``map_figure``: map.png, terrain hillshade, named places, tracks, where every tube ended, and
  the world-to-pixel transform it was drawn with;
- ``timeline_figure``: timeline.png, one row per node, steps as bars, faults fired and recovered;
- ``page``: report.html, one self-contained file with the figures inlined.

No ROS graph: the bag is decoded from the schemas it carries (mcap, mcap-ros2-support).
"""
