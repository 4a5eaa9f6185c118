# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Offscreen camera rendering (scripts/setup.sh installs the EGL libraries it needs)."""

import numpy as np


def test_mast_camera_renders_sdf_resolution(fixture_engine):
    """The fixture mast camera renders a 160x120 RGB image that is not blank."""
    engine = fixture_engine()
    assert engine.camera_names == ['rover::mast::mast_camera']
    image = engine.render_camera('rover::mast_camera')
    assert image.shape == (120, 160, 3) and image.dtype == np.uint8
    assert image.std() > 1.0
    engine.close()
