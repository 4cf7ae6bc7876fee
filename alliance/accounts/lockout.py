"""Who is trying to sign in, as django-axes counts them: a username and a client IP address.

A lock is on the pair (see ``AXES_LOCKOUT_PARAMETERS``), so someone guessing one person's
password from one address locks only that person at that address: the person themselves, from
home or the clinic, and everyone else from anywhere, can still sign in.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max
from django.http import HttpRequest


def client_ip_from(remote_addr: str | None, forwarded_for: str, proxy_count: int) -> str | None:
    """The client's IP address, trusting only the X-Forwarded-For entries our proxies added.

    Each reverse proxy appends the address it received the request from, so with ``proxy_count``
    proxies in front of the app the client is the ``proxy_count``-th entry from the right. Entries
    further left were written by the client and are ignored: anyone can send
    ``X-Forwarded-For: 203.0.113.7`` to pose as another address. With no proxy, or when the
    header has fewer entries than there are proxies (a request that did not come through them),
    the connection's own address is used.

    >>> client_ip_from("10.0.0.2", "198.51.100.9, 203.0.113.5", 1)
    '203.0.113.5'
    """
    if proxy_count < 0:
        raise ValueError("proxy_count must be 0 or more")
    if proxy_count == 0:
        return remote_addr or None
    entries = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    if len(entries) < proxy_count:
        return remote_addr or None
    candidate = entries[-proxy_count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr or None


def client_ip(request: HttpRequest) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the client address for this request."""
    return client_ip_from(
        request.META.get("REMOTE_ADDR"),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.ALLIANCE_PROXY_COUNT,
    )


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: emails are stored lower-case, so ``Teresa@…`` is ``teresa@…``.

    Without this, changing the case of one letter would start a fresh count.
    """
    raw = credentials.get("username") if credentials else request.POST.get("username")
    if not isinstance(raw, str):
        return None
    return raw.strip().lower() or None


def record_failed_code(request: HttpRequest, email: str) -> bool:
    """Count a wrong two-factor code like a wrong password; True if that locks the pair now."""
    user_login_failed.send(sender=__name__, credentials={"username": email}, request=request)
    return bool(getattr(request, "axes_locked_out", False))


def lockout_ends_at(request: HttpRequest, username: str | None) -> datetime | None:
    """When the lock on this username and this request's address lifts (None if unknown)."""
    last = AccessAttempt.objects.filter(username=username, ip_address=client_ip(request)).aggregate(
        last=Max("attempt_time")
    )["last"]
    if last is None:
        return None
    ends: datetime = last + settings.AXES_COOLOFF_TIME
    return ends
