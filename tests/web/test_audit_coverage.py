"""Every route that opens a client's record leaves an audit row about that client.

The walk is driven by the permission MATRIX (tests/web/test_permissions.py): every route whose
URL names a record is requested by its rightful user (the first of client, therapist, admin who
gets in), with the same empty requests as the matrix, and must write an audit row by that user,
from that route, about the record's owner. A new record route is walked the day it gets its
matrix row, so it cannot ship without auditing. Pages that list clients have no record in their
URL and are named in ``LIST_ROUTES``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from alliance.audit.models import AuditEvent
from alliance.people.models import User
from tests.web.test_permissions import (
    LOGIN,
    MATRIX,
    NOT_ALLOWED,
    PERSONA,
    _url,
    records,  # noqa: F401 -- the fixture the walk fills its URLs from
)

RIGHTFUL = ("client", "therapist", "admin")
NOBODY = "nobody"
# Which person each record in ``records`` belongs to.
OWNER = {
    "client": "client_user",
    "answered_session": "client_user",
    "open_session": "client_user",
    "alert": "client_user",
    "invited": "invited",
    "waiting_invite": "invited",
    "teresa": "therapist",
    "episode": "client_user",
    "response": "client_user",
    "failed_message": "client_user",
    "assignment": "therapist",
    "checkin": "client_user",
    "diary_card": "client_user",
    # Someone with no account wrote it: its rows name the request, and no person.
    "reach_out": NOBODY,
}
# URL values in the matrix that are not records (a token, an instrument, an occasion).
NOT_RECORDS = {
    "invite_token",
    "phq9",
    "intake",
    "pause_token",
    "reset_uid",
    "reset_token",
    # A therapist's own absence is not a client's record; its page lists the clients told.
    "absence",
    # The clinic's research file (pseudonymous): its download is audited, about no one person.
    "research_export",
    # A staff member's own API token is not a client's record (its changes are audited).
    "api_token",
    "reach_out_slug",  # a public page's address
}
# Pages that show clients without naming one in the URL: route -> (role, whose row to expect).
LIST_ROUTES = {
    "caseload": ("therapist", "client_user"),
    "clinic_people": ("admin", "client_user"),
    "access_log": ("client", "client_user"),
    "client_home": ("client", "client_user"),
    "absence_detail": ("therapist", "client_user"),
    "my_safety_plan": ("client", "client_user"),
    "my_safety_plan_edit": ("client", "client_user"),
    "rupture_urges": ("therapist", "client_user"),
    "reach_out_list": ("therapist", NOBODY),
}
# The token is not a record id; the invitee (or the client pausing reminders) is anonymous.
NOT_A_RECORD = {"invite_accept", "reminders_pause"}
# The REST API answers a browser session 401 before any record is read; its reads with a token
# write the pages' audit rows (tests/api/test_api.py::test_reads_write_the_same_audit_rows...).
NOT_A_RECORD |= {name for name in MATRIX if name.startswith("api:")}


def _walk() -> list[Any]:
    cases = []
    for route, rule in MATRIX.items():
        records_in_url = [
            name
            for name in rule.url.values()
            if name not in NOT_RECORDS and route not in NOT_A_RECORD
        ]
        if not records_in_url and route not in LIST_ROUTES:
            continue
        for method, row in (("GET", rule.get), ("POST", rule.post)):
            if row == NOT_ALLOWED:
                continue
            expected = dict(zip(("anonymous", *PERSONA), row, strict=True))
            if route in LIST_ROUTES:
                role, owner = LIST_ROUTES[route]
            else:
                role = next((r for r in RIGHTFUL if expected[r] not in (404, 405, LOGIN)), None)
                if role is None:  # the supervisor's pages: tests/web/test_permissions_supervisor.py
                    continue
                owner = OWNER.get(records_in_url[0], f"unknown record {records_in_url[0]!r}")
            cases.append(pytest.param(route, method, role, owner, id=f"{route}-{method}"))
    return cases


@pytest.mark.parametrize(("route", "method", "role", "owner"), _walk())
def test_opening_a_record_writes_an_audit_row_about_its_owner(
    request: pytest.FixtureRequest,
    records: dict[str, str],  # noqa: F811
    route: str,
    method: str,
    role: str,
    owner: str,
) -> None:
    if owner not in ("invited", NOBODY, *PERSONA.values()):
        pytest.fail(f"{route}: {owner}; say whose record it is in OWNER (or add to NOT_RECORDS)")
    user = request.getfixturevalue(PERSONA[role])
    browser = Client()
    browser.force_login(user)
    url = _url(route, records)
    response = browser.get(url) if method == "GET" else browser.post(url, {})
    assert response.status_code < 500
    if owner == NOBODY:
        # A reach-out request: the row names the request itself, and no account.
        rows = AuditEvent.objects.filter(
            actor=user, subject=None, route=route, record_id=records["reach_out"]
        )
        assert rows.exists(), f"{method} {route} as {role} wrote no audit row about the request"
        return
    subject = (
        User.objects.get(id=records["invited"])
        if owner == "invited"
        else request.getfixturevalue(owner)
    )
    assert AuditEvent.objects.filter(actor=user, subject=subject, route=route).exists(), (
        f"{method} {route} as {role} wrote no audit row about {owner}"
    )


def test_every_record_in_the_matrix_has_an_owner() -> None:
    named = {name for rule in MATRIX.values() for name in rule.url.values()}
    assert named - NOT_RECORDS <= set(OWNER)
