"""Fixtures several web test files share (the personas are in tests/conftest.py)."""

from tests.web.reach_out import (  # noqa: F401 -- fixtures
    _reach_out_counts_cleared,
    clinic_page,
    teresas_page,
)
