"""Session limits and the two-factor step, enforced on every request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse

from alliance.accounts import services
from alliance.accounts.sessions import check_session, expiry_message

# What a staff member may open between their password and their code.
TWO_FACTOR_OPEN = frozenset({"two_factor_setup", "two_factor_verify", "logout", "healthz"})


class SessionTimeoutMiddleware:
    """Log out after ALLIANCE_IDLE_MINUTES without a request or ALLIANCE_SESSION_HOURS in all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            reason = check_session(request)
            if reason is not None:
                logout(request)
                messages.info(request, expiry_message(reason))
                if request.method == "GET":
                    return redirect_to_login(request.get_full_path())
                # A form sent from an expired session can't be replayed after logging in.
                return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Staff who have given their password but not their code reach only the two-factor pages.

    Everything else redirects to the code page, or to the set-up page for someone who has no
    authenticator yet (their first login).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # base.html hides the navigation while the second step is pending.
        request.two_factor_pending = services.two_factor_pending(request.user)  # type: ignore[attr-defined]
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        if not getattr(request, "two_factor_pending", False):
            return None
        match = request.resolver_match
        # Static files never get here: WhiteNoise answers them earlier in the chain.
        if match is not None and match.url_name in TWO_FACTOR_OPEN:
            return None
        step = (
            "two_factor_verify"
            if services.authenticator_for(request.user) is not None  # type: ignore[arg-type]
            else "two_factor_setup"
        )
        url = reverse(step)
        if request.method == "GET" and request.path != reverse("home"):
            url += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(url)
