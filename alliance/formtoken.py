"""The hidden token every client form carries, which makes sending it twice save it once.

Each form page draws a fresh UUID; the service stores it with what was saved, and a second post
with the same token (a double click, the back button) finds it and changes nothing.
"""

from __future__ import annotations

import uuid

MISSING = "This form is missing its safety code. Please reload the page and try again."


def parse(value: object) -> uuid.UUID | None:
    """The token, or None when it is missing or not a UUID."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def or_fresh(value: str) -> str:
    """The posted token when it is one, else a new one: a form shown again with its answers
    must be able to go through next time."""
    return value if parse(value) is not None else str(uuid.uuid4())
