"""Recent authentication ("confirm it's you") before sensitive actions.

Changing a password, an email address or two-factor settings, and every export, need the person
to have proved who they are within the last ``ALLIANCE_REAUTH_MINUTES`` (default 10). The login
itself counts; after that, the confirm page (URL name ``reauth``) asks again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

SESSION_KEY = "alliance_reauth_at"
ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def mark_recent_auth(request: HttpRequest) -> None:
    request.session[SESSION_KEY] = time.time()


def has_recent_auth(request: HttpRequest) -> bool:
    at = request.session.get(SESSION_KEY)
    max_age = getattr(settings, "ALLIANCE_REAUTH_MINUTES", 10) * 60
    return isinstance(at, int | float) and 0 <= time.time() - at <= max_age


def require_recent_auth(view: ViewFunc) -> ViewFunc:
    """Send the person to confirm their identity first, then back to where they were going."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_recent_auth(request):
            # A POST can't be replayed after the detour, so come back to the page (GET) instead.
            target = request.get_full_path() if request.method == "GET" else request.path
            return HttpResponseRedirect(f"{reverse('reauth')}?{urlencode({'next': target})}")
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


@receiver(user_logged_in)
def _login_counts_as_recent(sender: object, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        mark_recent_auth(request)
