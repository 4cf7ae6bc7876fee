"""Tests run with ALLIANCE_TESTING=1 (set by pytest-env, see pyproject.toml) and this data folder."""

import os
import tempfile

os.environ.setdefault("ALLIANCE_DATA_DIR", tempfile.mkdtemp(prefix="alliance-test-"))
