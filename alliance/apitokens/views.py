"""The account page's API tokens: make one (its secret shown once), list them, revoke one."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from alliance import access
from alliance.access import AuthedRequest
from alliance.apitokens import services
from alliance.apitokens.forms import TokenForm

STAFF = services.STAFF_ROLES


def _page(
    request: AuthedRequest, form: TokenForm, secret: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "secret": secret,
        "tokens": list(access.api_tokens_for(request.user)),
        "now": timezone.now(),
    }
    response = render(request, "apitokens/tokens.html", context, status=status)
    # The secret is on this page once: never kept by a browser cache or a proxy.
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@access.role_required(*STAFF)
def tokens_view(request: AuthedRequest) -> HttpResponse:
    if request.method != "POST":
        default = timezone.localdate() + timedelta(days=90)
        return _page(request, TokenForm(initial={"expires_on": default}))
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    expires_at = timezone.make_aware(datetime.combine(form.cleaned_data["expires_on"], time()))
    try:
        _token, secret = services.token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=expires_at,
        )
    except services.TokenError as error:
        form.add_error(None, str(error))
        return _page(request, form, status=400)
    return _page(
        request, TokenForm(initial={"expires_on": form.cleaned_data["expires_on"]}), secret
    )


@require_POST
@access.role_required(*STAFF)
def token_revoke_view(request: AuthedRequest, token_id: str) -> HttpResponse:
    token = access.get_api_token(request.user, token_id)
    if services.token_revoke(token=token, actor=request.user):
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api_tokens")
