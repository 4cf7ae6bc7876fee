"""Tests run with ALLIANCE_TESTING=1 (pytest-env, see pyproject.toml) in a throwaway folder."""

import os
import tempfile

os.environ.setdefault("ALLIANCE_DATA_DIR", tempfile.mkdtemp(prefix="alliance-test-"))
