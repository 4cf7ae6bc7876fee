"""Reads for the export pages."""

from __future__ import annotations

from typing import Any

from alliance import access
from alliance.people.models import User

RECENT_EXPORTS = 20


def research_exports_page(admin: User) -> list[Any]:
    """The clinic's latest research exports, newest first."""
    return list(access.research_exports_for(admin).select_related("requested_by")[:RECENT_EXPORTS])
