"""Response headers that keep pages from loading anything but our own files; the person's
time zone and language; posts that are not valid UTF-8 refused with words."""

from __future__ import annotations

from collections.abc import Callable
from email.parser import BytesParser
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from alliance.offline.marks import mark_person

# No inline script or style anywhere: everything comes from our own static files, so a
# script smuggled into free text has nothing to run with even if escaping ever failed.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        # The one service worker (/sw.js) and the web app manifest are our own files too.
        "worker-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Pages about a person's therapy must not linger in shared caches or the back button.
            response.headers.setdefault("Cache-Control", "no-store")
            # Whose page this is, for the service worker's offline copies (alliance/offline).
            mark_person(request, response)
        return response


class UserTimezoneMiddleware:
    """Show every date in the logged-in person's own time zone (stored values stay UTC)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone = (
            getattr(user, "timezone", None) if user is not None and user.is_authenticated else None
        )
        if zone:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class UserLanguageMiddleware:
    """A signed-in person's own language choice wins over the browser's.

    Django's LocaleMiddleware has already chosen from the language cookie or Accept-Language;
    this runs after authentication and puts the account's choice first. The language stays
    active while the response is finished, so LocaleMiddleware's Content-Language header says
    the language of the page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


def _field_decodes(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _query_decodes(raw: bytes) -> bool:
    """Every name and value of a query string (or form body) is UTF-8 once unescaped."""
    for pair in raw.split(b"&"):
        for part in pair.split(b"=", 1):
            if not _field_decodes(unquote_to_bytes(part.replace(b"+", b" "))):
                return False
    return True


def _multipart_decodes(content_type: str, body: bytes) -> bool:
    """Every text field of a multipart body is UTF-8 (file parts are bytes, left alone)."""
    message = BytesParser().parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return True  # not a body Django can parse either; it says so itself
    for part in message.walk():
        if part.is_multipart() or part.get_filename() is not None:
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and not _field_decodes(payload):
            return False
    return True


API_PREFIX = "/api/v1/"


class StrictUtf8Middleware:
    """Refuse a request whose query string or posted text is not valid UTF-8, with words.

    Django decodes form data with ``errors="replace"``: an invalid byte silently becomes "�"
    and the damaged text would be saved as if the person had typed it. Here the raw query
    string and body are checked first (form posts, multipart posts such as the diary card's
    autosave, JSON) and such a request gets a 400 that says what is wrong: a page, or JSON for
    a script that asked for it. Nothing is saved.

    It runs before any view, and so before ``CsrfViewMiddleware`` reads the form in
    ``process_view`` (after that, a multipart body can no longer be read).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._decodes(request):
            return self.get_response(request)
        message = _(
            "Some of the text sent could not be read: it is not valid UTF-8, so nothing was "
            "saved. Please go back, retype anything that was pasted from another program, and "
            "send it again."
        )
        wants_json = "application/json" in request.headers.get("Accept", "") or (
            request.content_type == "application/json"
        )
        if request.path.startswith(API_PREFIX):
            # The REST API answers every error as an RFC 9457 problem (docs/api.md).
            return JsonResponse(
                {
                    "type": "about:blank",
                    "title": pgettext("API problem title", "Bad request"),
                    "status": 400,
                    "detail": message,
                },
                status=400,
                content_type="application/problem+json",
            )
        if wants_json:
            return JsonResponse({"saved": False, "message": message}, status=400)
        return render(request, "bad_encoding.html", {"message": message}, status=400)

    def _decodes(self, request: HttpRequest) -> bool:
        query = request.META.get("QUERY_STRING", "")
        try:
            raw_query = query.encode("latin-1")  # WSGI hands the bytes over as latin-1 text
        except UnicodeEncodeError:
            raw_query = query.encode("utf-8")
        if not _query_decodes(raw_query):
            return False
        if request.method not in {"POST", "PUT", "PATCH"}:
            return True
        content_type = request.content_type or ""
        if content_type == _FORM:
            return _query_decodes(request.body)
        if content_type == _MULTIPART:
            return _multipart_decodes(request.META.get("CONTENT_TYPE", ""), request.body)
        if content_type == "application/json" or content_type.endswith("+json"):
            return _field_decodes(request.body)
        return True
