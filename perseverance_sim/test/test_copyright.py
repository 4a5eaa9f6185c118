# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""Every source file carries the project's licence header."""

import os

from lint_targets import licensed_sources, REPO_DIR

COPYRIGHT = 'Copyright 2026 The Perseverance Sample Return Simulation Authors'
SPDX = 'SPDX-License-Identifier: Apache-2.0'
# Generated or third-party formats where a comment is impossible or not ours.
EXEMPT = {'requirements/venv.lock', 'LICENSE'}


def test_every_source_file_has_the_licence_header():
    """The copyright line and the SPDX identifier appear in the first lines of each file."""
    missing = []
    sources = licensed_sources()
    for path in sources:
        rel = os.path.relpath(path, REPO_DIR)
        if rel in EXEMPT:
            continue
        with open(path, encoding='utf-8', errors='replace') as handle:
            head = ''.join(handle.readline() for _ in range(6))
        if COPYRIGHT not in head or SPDX not in head:
            missing.append(rel)
    assert len(sources) > 20, 'the licence check found almost no files: {}'.format(sources)
    assert not missing, 'files without the licence header:\n' + '\n'.join(missing)
