"""Compressed HTML, except on the pages that show a long-lived secret (the BREACH caveat).

BREACH recovers a secret from a compressed HTTPS response by making the victim's browser send
many requests with a guess reflected into the page and watching the sizes. What Alliance relies
on for the pages it compresses (docs/security.md, "Compression"):

- the CSRF token in a form is masked afresh for every response (Django), so it is never the
  same bytes twice and cannot be recovered across requests;
- Django's GZip middleware adds random bytes to every compressed response ("Heal the
  Breach"), so sizes do not line up from one request to the next;
- session cookies are SameSite=Lax, so a page on another site cannot make the browser send the
  signed-in requests such an attack needs, short of a top-level navigation.

The pages that show something an attacker could use for longer than one response are sent
uncompressed all the same: the authenticator set-up key and QR code, recovery codes, invitation
links, password-reset links (every page of the account and invitation views).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

# Routes (URL names) that are never compressed, besides every view of alliance.accounts.
SECRET_ROUTES = frozenset(
    {
        "client_add",  # shows the new client's invitation link
        "invite_resend",
        "invite_accept",
        "clinic_people",  # invitations to staff
        "login",
        "logout",
    }
)
SECRET_MODULES = ("alliance.accounts.", "alliance.apitokens.", "django.contrib.auth.")


# The REST API answers as it is, uncompressed: its views live in alliance.apitokens (above),
# and an answer given before any route matched (the UTF-8 check's 400) must look the same.
API_PREFIX = "/api/"


def carries_secret(request: HttpRequest) -> bool:
    if request.path.startswith(API_PREFIX):
        return True
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    name = match.url_name or ""
    module = getattr(match.func, "__module__", "") or ""
    return (
        name in SECRET_ROUTES
        or name.startswith("password_reset")
        or module.startswith(SECRET_MODULES)
    )


class CompressionMiddleware(GZipMiddleware):
    """Django's ``GZipMiddleware``, skipping the pages of ``carries_secret``."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if carries_secret(request):
            return response
        return super().process_response(request, response)
