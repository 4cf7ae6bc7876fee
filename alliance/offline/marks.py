"""The response headers that tell the service worker what it may keep, and for whom.

The worker (``static/offline/sw.js``) keeps a page only when the server marked it with
``Alliance-Offline: keep``, and only for the person named by ``Alliance-Person``; a page from
someone else, or a signed-out page, makes it forget everything it kept. Only the views wrapped
in :func:`keep_offline` can send the mark, and only to a client or someone signed out
(``access.may_keep_offline``): a staff page is never marked, whatever view it comes from. The
one exception is the offline page itself (``views.offline_page_view``), which holds no record
and is marked for anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from alliance import access

OFFLINE_HEADER = "Alliance-Offline"
PERSON_HEADER = "Alliance-Person"
KEEP = "keep"


def person_tag(user: Any) -> str:
    """A short name for the signed-in person that means nothing off this server."""
    return salted_hmac("alliance.offline.person", str(user.pk)).hexdigest()[:20]


def mark_person(request: HttpRequest, response: HttpResponse) -> None:
    """Name the signed-in person on every page they get (no header when signed out).

    Not while a staff member's second step is pending: the worker would start fetching for
    them in the background while the login is still changing the session.
    """
    user = getattr(request, "user", None)
    if getattr(request, "two_factor_pending", False):
        return
    if user is not None and user.is_authenticated:
        response.headers.setdefault(PERSON_HEADER, person_tag(user))


def keep_offline(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark the view's successful pages as meant to be kept on the device for offline reading."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and access.may_keep_offline(request.user):
            response[OFFLINE_HEADER] = KEEP
        return response

    return wrapped
