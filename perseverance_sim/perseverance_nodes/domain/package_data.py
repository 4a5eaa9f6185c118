# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Where the package's data (worlds, models, config, launch) lives, installed or in the source."""

import os

PACKAGE = 'perseverance_sim'
_SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def share_dir():
    """
    Return the package's share directory.

    A colcon install registers the package in the ament index; the editable install made by
    scripts/setup.sh does not, and then the source tree (which has the same layout) is used.
    """
    try:
        from ament_index_python.packages import get_package_share_directory
        from ament_index_python.packages import PackageNotFoundError
        try:
            return get_package_share_directory(PACKAGE)
        except (PackageNotFoundError, LookupError, ValueError, OSError):
            pass
    except ImportError:
        pass
    return _SOURCE_ROOT


def share_path(*parts):
    """Return a path inside the share directory, e.g. worlds/jezero.sdf."""
    return os.path.join(share_dir(), *parts)
