"""Who may open which page: a matrix over every route, role and method.

Every URL in the URLconf has a row in ``MATRIX``, and a test fails when the two disagree, so a new
route cannot ship without its rule. The URLs are filled with the records of Teresa (``therapist``)
and her client Carla (``client_user``): for everyone else they are someone else's records, which
must answer 404 exactly like a record that does not exist (never 403, which would confirm it).

Each request is empty (no POST data): the matrix is about who gets in, not what a form does with
its input; that is in the per-view tests.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from alliance.checkins.services import checkin_submit
from alliance.people.models import User
from alliance.people.services import client_add
from alliance.ruptures.models import Alert
from tests.conftest import GOOD_ANSWERS

ROLES = ("anonymous", "client", "other_client", "therapist", "other_therapist", "stranger", "admin")
PERSONA = {
    "client": "client_user",
    "other_client": "other_client",
    "therapist": "therapist",
    "other_therapist": "other_therapist",
    "stranger": "stranger",
    "admin": "admin",
}


@dataclass(frozen=True)
class To:
    """A 302 to this route, its URL kwargs filled from the shared records."""

    route: str
    kwargs: dict[str, str] = field(default_factory=dict)


LOGIN = "login?next"
"""A 302 to the login page with ``next`` set to the page asked for."""

NOT_ALLOWED = (405,) * 7

Expect = int | To | str


@dataclass(frozen=True)
class Rule:
    get: tuple[Expect, ...]
    post: tuple[Expect, ...]
    url: dict[str, str] = field(default_factory=dict)
    """URL kwarg -> name of the record (see ``records``) that fills it."""


CLIENT_PAGE = To("client_detail", {"client_id": "client"})
ALERT_PAGE = To("alert_detail", {"alert_id": "alert"})
HOME = To("home")
LOGIN_PAGE = To("login")
CASELOAD = To("caseload")
ME = To("client_home")
PEOPLE = To("clinic_people")

# fmt: off
MATRIX: dict[str, Rule] = {
    #         anonymous   client  other_client therapist  other_therapist stranger admin
    "home": Rule(
        get=(LOGIN_PAGE,  ME,     ME,     CASELOAD,    CASELOAD, CASELOAD, PEOPLE),
        post=NOT_ALLOWED,
    ),
    "healthz": Rule(
        get=(200,         200,    200,    200,         200,      200,      200),
        post=NOT_ALLOWED,
    ),
    "login": Rule(
        get=(200,         HOME,   HOME,   HOME,        HOME,     HOME,     HOME),
        post=(200,        HOME,   HOME,   HOME,        HOME,     HOME,     HOME),
    ),
    "logout": Rule(
        get=NOT_ALLOWED,
        post=(LOGIN_PAGE, LOGIN_PAGE, LOGIN_PAGE, LOGIN_PAGE, LOGIN_PAGE, LOGIN_PAGE, LOGIN_PAGE),
    ),
    "invite_accept": Rule(
        url={"token": "invite_token"},
        get=(200,         200,    200,    200,         200,      200,      200),
        post=(200,        200,    200,    200,         200,      200,      200),
    ),
    "caseload": Rule(
        get=(LOGIN,       404,    404,    200,         200,      200,      404),
        post=NOT_ALLOWED,
    ),
    "client_add": Rule(
        get=(LOGIN,       404,    404,    200,         200,      200,      404),
        post=(LOGIN,      404,    404,    200,         200,      200,      404),
    ),
    "client_detail": Rule(
        url={"client_id": "client"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "session_schedule": Rule(
        url={"client_id": "client"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    CLIENT_PAGE, 404,      404,      404),
    ),
    "session_status": Rule(
        url={"session_id": "open_session"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    CLIENT_PAGE, 404,      404,      404),
    ),
    "invite_resend": Rule(
        url={"person_id": "invited"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    200,         404,      404,      200),
    ),
    "alert_detail": Rule(
        url={"alert_id": "alert"},
        get=(LOGIN,       404,    404,    200,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "alert_acknowledge": Rule(
        url={"alert_id": "alert"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    ALERT_PAGE,  404,      404,      404),
    ),
    "alert_repair": Rule(
        url={"alert_id": "alert"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    400,         404,      404,      404),
    ),
    "alert_close": Rule(
        url={"alert_id": "alert"},
        get=NOT_ALLOWED,
        post=(LOGIN,      404,    404,    400,         404,      404,      404),
    ),
    "client_home": Rule(
        get=(LOGIN,       200,    200,    404,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "checkin": Rule(
        url={"session_id": "open_session"},
        get=(LOGIN,       200,    404,    404,         404,      404,      404),
        post=(LOGIN,      400,    404,    404,         404,      404,      404),
    ),
    "checkin_thanks": Rule(
        url={"session_id": "answered_session"},
        get=(LOGIN,       200,    404,    404,         404,      404,      404),
        post=NOT_ALLOWED,
    ),
    "clinic_people": Rule(
        get=(LOGIN,       404,    404,    404,         404,      404,      200),
        post=(LOGIN,      404,    404,    404,         404,      404,      200),
    ),
}
# fmt: on


def _route_names(patterns: list[Any], prefix: str = "") -> list[str]:
    names: list[str] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names += _route_names(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern):
            names.append(f"{prefix}{pattern.name or f'<unnamed {pattern.pattern}>'}")
    return names


def _cases() -> list[Any]:
    cases = []
    for route, rule in MATRIX.items():
        for method, row in (("GET", rule.get), ("POST", rule.post)):
            assert len(row) == len(ROLES), f"{route} {method}: one expectation per role"
            for role, expected in zip(ROLES, row, strict=True):
                case_id = f"{route}-{role}-{method}"
                cases.append(pytest.param(route, role, method, expected, id=case_id))
    return cases


@pytest.fixture
def records(
    episode: Any, other_episode: Any, attend: Any, therapist: User, client_user: User
) -> dict[str, str]:
    """Teresa's and Carla's records, by the names ``Rule.url`` and ``To.kwargs`` use."""
    answered = attend(episode, 1)
    checkin_submit(
        session=answered,
        client=client_user,
        answers={**GOOD_ANSWERS, "tension": "2"},  # any tension raises a client-reported alert
        form_token=uuid.uuid4(),
    )
    open_session = attend(episode, 2)
    invited = client_add(
        therapist=therapist,
        full_name="Ivy Invited",
        email="ivy@example.org",
        timezone_name="America/Toronto",
    )
    return {
        "client": str(client_user.id),
        "answered_session": str(answered.id),
        "open_session": str(open_session.id),
        "alert": str(Alert.objects.get(session=answered).id),
        "invited": str(invited.user.id),
        "invite_token": invited.invite_token,
    }


def _browser(request: pytest.FixtureRequest, role: str) -> Client:
    if role == "anonymous":
        return Client()
    browser = Client()
    browser.force_login(request.getfixturevalue(PERSONA[role]))
    return browser


def _url(route: str, records: dict[str, str]) -> str:
    return reverse(route, kwargs={k: records[v] for k, v in MATRIX[route].url.items()})


def test_matrix_has_a_rule_for_every_route_and_no_other() -> None:
    assert sorted(MATRIX) == sorted(_route_names(get_resolver().url_patterns))


def test_every_route_is_named_once() -> None:
    names = _route_names(get_resolver().url_patterns)
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("route", "role", "method", "expected"), _cases())
def test_access(
    request: pytest.FixtureRequest,
    records: dict[str, str],
    route: str,
    role: str,
    method: str,
    expected: Expect,
) -> None:
    url = _url(route, records)
    browser = _browser(request, role)
    response = browser.get(url) if method == "GET" else browser.post(url, {})
    if expected == LOGIN:
        assert (response.status_code, response["Location"]) == (
            302,
            f"{reverse('login')}?next={quote(url, safe='/')}",
        )
    elif isinstance(expected, To):
        target = reverse(expected.route, kwargs={k: records[v] for k, v in expected.kwargs.items()})
        assert (response.status_code, response["Location"]) == (302, target)
    else:
        assert response.status_code == expected


RECORD_ROUTES = [
    (route, method)
    for route, rule in MATRIX.items()
    if rule.url and route != "invite_accept"
    for method, row in (("GET", rule.get), ("POST", rule.post))
    if row != NOT_ALLOWED
]


def _page(response: Any) -> str:
    """The page without the per-request CSRF token, so two renders can be compared."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


@pytest.mark.parametrize(
    ("route", "method"), RECORD_ROUTES, ids=[f"{r}-{m}" for r, m in RECORD_ROUTES]
)
def test_someone_elses_record_looks_exactly_like_a_missing_one(
    login: Any, other_therapist: User, records: dict[str, str], route: str, method: str
) -> None:
    browser = login(other_therapist)
    missing = {name: str(uuid.uuid4()) for name in records}
    theirs = (
        browser.get(_url(route, records))
        if method == "GET"
        else browser.post(_url(route, records), {})
    )
    nobodys = (
        browser.get(_url(route, missing))
        if method == "GET"
        else browser.post(_url(route, missing), {})
    )
    assert (theirs.status_code, _page(theirs)) == (nobodys.status_code, _page(nobodys))


def test_login_redirect_keeps_the_query_string(client_user: User, records: dict[str, str]) -> None:
    url = reverse("client_detail", kwargs={"client_id": records["client"]}) + "?tab=sessions"
    response = Client().get(url)
    assert response["Location"] == f"{reverse('login')}?next={quote(url, safe='/')}"
