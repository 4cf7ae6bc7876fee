"""What keeps the public reach-out form for people, with no third-party service (no CAPTCHA,
no outside request): a field only robots fill, a signed time stamp, and a count per address.

- **Honeypot.** The form has a field named ``website`` that people never see (off-screen,
  hidden from screen readers, out of the tab order, no autofill). A post that fills it in is
  refused.
- **Time check.** Each form carries the moment it was shown, signed with the secret key
  (``django.core.signing``). A post less than ``MIN_SECONDS`` after the form was shown came
  from a script; a form shown more than ``MAX_SECONDS`` ago (or with no valid stamp) is shown
  again with a fresh stamp and everything typed kept, so a person who left the tab open loses
  nothing.
- **Rate limit.** ``ALLIANCE_REACH_OUT_PER_HOUR`` requests (and refused attempts) per IP address
  in any sliding hour, counted in the ``reach_out`` cache. The address is the one the sign-in
  lockout uses (``alliance.accounts.lockout.client_ip``): behind reverse proxies, the
  ``X-Forwarded-For`` entry that ``ALLIANCE_PROXY_COUNT`` says our proxies added. The cache key
  is a keyed hash of the address, so the cache holds no address.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.utils.crypto import salted_hmac

HONEYPOT_FIELD = "website"
STAMP_FIELD = "stamp"
MIN_SECONDS = 3.0
MAX_SECONDS = 24 * 3600.0
WINDOW_SECONDS = 3600.0
_STAMP_SALT = "alliance.reachout.stamp"
_ADDRESS_SALT = "alliance.reachout.address"


class Refusal(enum.Enum):
    """Why a post was not stored. Only ``STALE`` can be a person's ordinary doing."""

    HONEYPOT = "honeypot"
    TOO_FAST = "too_fast"
    NO_STAMP = "no_stamp"
    STALE = "stale"
    RATE_LIMITED = "rate_limited"

    @property
    def counts(self) -> bool:
        """Whether this refusal counts towards the address's hourly limit (a robot's do)."""
        return self in (Refusal.HONEYPOT, Refusal.TOO_FAST, Refusal.NO_STAMP)


def stamp(page_id: uuid.UUID, *, now: datetime) -> str:
    """The signed moment a form for page ``page_id`` was shown."""
    return signing.dumps({"p": str(page_id), "t": now.timestamp()}, salt=_STAMP_SALT)


def stamp_problem(value: str, page_id: uuid.UUID, *, now: datetime) -> Refusal | None:
    """None if the form was shown between ``MIN_SECONDS`` and ``MAX_SECONDS`` ago (both
    included), for this page; else why not."""
    try:
        data = signing.loads(value, salt=_STAMP_SALT)
        shown = float(data["t"]) if data.get("p") == str(page_id) else None
    except (signing.BadSignature, TypeError, KeyError, ValueError, AttributeError):
        shown = None
    if shown is None:
        return Refusal.NO_STAMP
    age = now.timestamp() - shown
    if age < MIN_SECONDS:
        return Refusal.TOO_FAST
    if age > MAX_SECONDS:
        return Refusal.STALE
    return None


def _key(address: str | None) -> str:
    digest = salted_hmac(_ADDRESS_SALT, address or "unknown", algorithm="sha256").hexdigest()
    return f"reach-out:{digest[:40]}"


def _recent(address: str | None, now: datetime) -> list[float]:
    cache = caches[settings.REACH_OUT_CACHE_ALIAS]
    times = cache.get(_key(address)) or []
    start = now.timestamp() - WINDOW_SECONDS
    return [t for t in times if isinstance(t, float) and t > start]


def over_limit(address: str | None, *, now: datetime) -> bool:
    """Whether ``address`` has used up its requests for the last hour."""
    return len(_recent(address, now)) >= settings.ALLIANCE_REACH_OUT_PER_HOUR


def count_attempt(address: str | None, *, now: datetime) -> None:
    """Count one request (or refused attempt) from ``address``; it counts for an hour.

    Read, then written: two posts at the same instant from one address may both be counted as
    the fifth. The limit is a brake on floods, not an exact quota.
    """
    times = [*_recent(address, now), now.timestamp()]
    caches[settings.REACH_OUT_CACHE_ALIAS].set(_key(address), times, timeout=int(WINDOW_SECONDS))


def refusal(
    post: Mapping[str, object],
    page_id: uuid.UUID,
    address: str | None,
    *,
    has_token: bool,
    now: datetime,
) -> Refusal | None:
    """Why a post to the form of ``page_id`` is not stored, or None to go on to the form itself.

    The limit is looked at first, so a flood costs no more than a cache read per post. A post
    with no form token came from no form of ours (each one carries it), like a missing stamp.
    """
    if over_limit(address, now=now):
        return Refusal.RATE_LIMITED
    if str(post.get(HONEYPOT_FIELD) or "").strip():
        return Refusal.HONEYPOT
    problem = stamp_problem(str(post.get(STAMP_FIELD) or ""), page_id, now=now)
    if problem is None and not has_token:
        return Refusal.NO_STAMP
    return problem
