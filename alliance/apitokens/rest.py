"""The REST API's frame: token sign-in, scopes, the rate limit and errors as problem details.

- ``Authorization: Bearer alc_…`` with a personal access token of a therapist or clinic admin
  (``alliance.apitokens.services.token_use``). A session cookie does not open the API: a
  browser page cannot be tricked into calling it (no CSRF), and every call names its token.
- A read token may call every GET; a POST (an alert's transitions) needs a write token (403).
- At most ``RATE_LIMIT`` requests a minute per token, counted in the database
  (``services.rate_count``): every worker process and every app server on the same database
  count together.
- Every error is an RFC 9457 problem document (``application/problem+json``). A record that is
  not the caller's is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_safe
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from alliance.apitokens.models import PersonalAccessToken, Scope
from alliance.apitokens.services import rate_count, token_use
from alliance.people.models import User

RATE_LIMIT = 120
RATE_WINDOW_SECONDS = 60
PROBLEM = "application/problem+json"

# A problem's title, in the language the caller's Accept-Language asks for (RFC 9457 lets a
# title change only by localisation); the OpenAPI document names the codes in English.
TITLES = {
    400: pgettext_lazy("API problem title", "Bad request"),
    401: pgettext_lazy("API problem title", "Not signed in"),
    403: pgettext_lazy("API problem title", "Not allowed with this token"),
    404: pgettext_lazy("API problem title", "Not found"),
    405: pgettext_lazy("API problem title", "Method not allowed"),
    409: pgettext_lazy("API problem title", "Conflict with the record's current state"),
    422: pgettext_lazy("API problem title", "Invalid input"),
    429: pgettext_lazy("API problem title", "Too many requests"),
    500: pgettext_lazy("API problem title", "Server error"),
}


class Problem(Exception):
    """An error answered as a problem document."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra


def problem(status: int, detail: str, **extra: Any) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": str(TITLES[status]) if status in TITLES else _("Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    response = JsonResponse(body, status=status, content_type=PROBLEM)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="alliance"'
    return response


class ApiRequest(HttpRequest):
    """For annotations: the request an endpoint gets once the token has let it through."""

    auth: PersonalAccessToken


def staff(request: HttpRequest) -> User:
    """The token's owner, who every access-layer call is made as."""
    return request.auth.user  # type: ignore[attr-defined,no-any-return]


def require_write(request: HttpRequest) -> None:
    if request.auth.scope != Scope.WRITE:  # type: ignore[attr-defined]
        raise Problem(403, _("This token may only read. Make a read-and-write token to do this."))


def _over_limit(token: PersonalAccessToken) -> int | None:
    """Seconds to wait when the token has used up this minute's requests, else None."""
    window = int(time.time()) // RATE_WINDOW_SECONDS
    if rate_count(token, window=window) <= RATE_LIMIT:
        return None
    return RATE_WINDOW_SECONDS - int(time.time()) % RATE_WINDOW_SECONDS


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> PersonalAccessToken | None:
        found = token_use(secret=token)
        if found is None:
            return None
        wait = _over_limit(found)
        if wait is not None:
            raise Problem(
                429,
                _("This token has made %(n)d requests this minute; please wait.")
                % {"n": RATE_LIMIT},
                retry_after=wait,
            )
        return found


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem document.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
        "retry_after": {"type": "integer"},
    },
}
# The errors each kind of operation can answer with, said in the document.
READ_ERRORS = (401, 404, 422, 429)
WRITE_ERRORS = (400, *READ_ERRORS, 403, 409)


class AllianceAPI(NinjaAPI):
    """ninja's API, whose OpenAPI document also lists every operation's problem responses."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        schema["components"].setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        reference = {"$ref": "#/components/schemas/Problem"}
        with translation.override("en"):  # the document is for programmers: English
            english = {code: str(title) for code, title in TITLES.items()}
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                codes = WRITE_ERRORS if method == "post" else READ_ERRORS
                for code in codes:
                    operation["responses"][code] = {
                        "description": english[code],
                        "content": {PROBLEM: {"schema": reference}},
                    }
        return schema


api = AllianceAPI(
    title="Alliance REST API",
    version="1",
    description=(
        "Read a therapist's caseload (clients, care episodes, sessions, check-ins, questionnaire "
        "scores, diary cards, alerts, absences) and move alerts along (acknowledge, record "
        "repair, close). Sign in with a personal access token made on the account page: "
        "`Authorization: Bearer alc_…`. Someone else's record answers 404. Errors are RFC 9457 "
        "problem documents. At most 120 requests a minute per token."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url=None,  # the interactive docs load scripts from a CDN: not here
    openapi_url="/openapi.json",
)


@api.exception_handler(Problem)
def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    response = problem(exc.status, exc.detail, **exc.extra)
    if exc.status == 429:
        response["Retry-After"] = str(exc.extra.get("retry_after", RATE_WINDOW_SECONDS))
    return response


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(
        401, _("A valid API token is needed: it may be missing, mistyped, expired or revoked.")
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(404, _("There is no such record, or it is not yours to see."))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        for error in exc.errors
    ]
    return problem(422, _("Some of the input is not valid; see errors."), errors=errors)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(exc.status_code, str(exc))


def _problem_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a wrong method with a plain 405; the API answers with a problem."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type", "") != PROBLEM:
            allow = response.get("Allow", "")
            response = problem(405, _("This address does not take %(m)s.") % {"m": request.method})
            response["Allow"] = allow
        return response

    # Answers of this module are not compressed (alliance/compression.py: secret modules): the
    # API's JSON is personal data, and leaving it uncompressed rules out BREACH-style guessing.
    wrapped.__module__ = __name__
    return wrapped


def _register() -> None:
    from alliance.apitokens.endpoints import absences, alerts, diary, episodes, outcomes, sessions

    for module in (episodes, sessions, outcomes, diary, alerts, absences):
        api.add_router("/", module.router)


_register()


def urls() -> tuple[list[URLPattern], str, str]:
    patterns, app_name, namespace = api.urls
    # ninja's document view answers any method: here it is GET (and HEAD) only.
    wrapped = [
        path(
            str(p.pattern),
            _problem_405(require_safe(p.callback) if p.name == "openapi-json" else p.callback),
            name=p.name or "",
        )
        for p in patterns
        if isinstance(p, URLPattern)
    ]
    return wrapped, app_name, namespace
