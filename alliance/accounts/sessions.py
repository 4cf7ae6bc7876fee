"""How long a signed-in session lasts: an idle limit and an absolute limit.

A session ends ``ALLIANCE_IDLE_MINUTES`` (default 30) after its last request, and
``ALLIANCE_SESSION_HOURS`` (default 12) after the login, however busy it has been. A shared
computer in a clinic, or a phone left on a table, must not stay signed in to someone's therapy.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

LOGIN_AT_KEY = "alliance_login_at"
SEEN_AT_KEY = "alliance_seen_at"
# The time of the last request is written to the session at most once a minute, not on every
# request (each write is a database write). So the idle logout comes after between
# ALLIANCE_IDLE_MINUTES - 1 and ALLIANCE_IDLE_MINUTES without activity, never later.
SEEN_AT_RESOLUTION = 60

IDLE = "idle"
ABSOLUTE = "absolute"


def session_expiry(
    *,
    login_at: float,
    seen_at: float,
    now: float,
    idle_seconds: int,
    max_seconds: int,
) -> str | None:
    """Why the session has ended (``ABSOLUTE`` or ``IDLE``), or None while it is still good.

    Both limits are inclusive: a request exactly ``idle_seconds`` after the previous one still
    counts, one second later does not. A clock that went backwards never ends a session.
    """
    if now - login_at > max_seconds:
        return ABSOLUTE
    if now - seen_at > idle_seconds:
        return IDLE
    return None


def expiry_message(reason: str) -> str:
    if reason == ABSOLUTE:
        hours = settings.ALLIANCE_SESSION_HOURS
        return (
            f"For your privacy, you were logged out {hours} hours after logging in. "
            "Please log in again."
        )
    minutes = settings.ALLIANCE_IDLE_MINUTES
    return f"For your privacy, you were logged out after {minutes} minutes without activity."


def check_session(request: HttpRequest) -> str | None:
    """The expiry reason for this signed-in request, or None (after noting the request's time)."""
    now = time.time()
    session = request.session
    login_at = session.get(LOGIN_AT_KEY)
    seen_at = session.get(SEEN_AT_KEY)
    if isinstance(login_at, int | float) and isinstance(seen_at, int | float):
        reason = session_expiry(
            login_at=login_at,
            seen_at=seen_at,
            now=now,
            idle_seconds=settings.ALLIANCE_IDLE_MINUTES * 60,
            max_seconds=settings.ALLIANCE_SESSION_HOURS * 3600,
        )
        if reason is not None:
            return reason
        if now - seen_at >= SEEN_AT_RESOLUTION:
            session[SEEN_AT_KEY] = now
    else:
        # A session signed in before these limits existed: its clock starts now.
        session[LOGIN_AT_KEY] = now
        session[SEEN_AT_KEY] = now
    return None


@receiver(user_logged_in)
def _stamp_login(sender: object, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[LOGIN_AT_KEY] = now
        request.session[SEEN_AT_KEY] = now
