"""The supervisor's column of the permission matrix, walked over every route of ``MATRIX``.

A supervisor (Sue, assigned to Teresa) is staff who is neither a therapist nor an admin: where
the stranger (a therapist elsewhere) and the clinic admin get the same answer, she gets it too;
where they differ (a therapist's page, an admin's page) she gets 404. ``OVERRIDES`` says where
that default is not her answer: her own pages, and home.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from alliance.audit.models import AuditEvent, RecordType
from alliance.people.models import User
from tests.web.test_permissions import (
    MATRIX,
    ROLES,
    Expect,
    To,
    _url,
    ask,
    assert_answer,
    records,  # noqa: F401 -- the fixture the walk fills its URLs from
)

SUPERVISION = To("supervision")
OVERRIDES: dict[str, dict[str, Expect]] = {
    "home": {"GET": SUPERVISION},
    "supervision": {"GET": 200},
    "supervision_therapist": {"GET": 200},
    # A therapist's own reach-out page and requests, and staff API tokens, are a therapist's or
    # an admin's; a supervisor has neither (the stranger, a therapist, and the admin get in).
    "reach_out_list": {"GET": 404},
    "reach_out_page": {"GET": 404, "POST": 404},
    "api_tokens": {"GET": 404, "POST": 404},
}


def _default(route: str, method: str) -> Expect:
    rule = MATRIX[route]
    row = dict(zip(ROLES, rule.get if method == "GET" else rule.post, strict=True))
    if row["stranger"] == row["admin"]:
        return row["stranger"]
    return 404


def _expected(route: str, method: str) -> Expect:
    return OVERRIDES.get(route, {}).get(method, _default(route, method))


def test_every_override_names_a_route_of_the_matrix() -> None:
    assert set(OVERRIDES) <= set(MATRIX)
    for route, methods in OVERRIDES.items():
        for method, expected in methods.items():
            assert expected != _default(route, method), f"{route} {method}: not an override"


@pytest.mark.parametrize("route", list(MATRIX))
def test_supervisor_access(
    supervisor: User,
    subtests: pytest.Subtests,
    records: dict[str, str],  # noqa: F811
    route: str,
) -> None:
    url = _url(route, records)
    for method in ("GET", "POST"):
        with subtests.test(method=method):
            browser = Client()
            browser.force_login(supervisor)
            # No route sends a signed-in person to log in; assert_answer still checks it.
            assert_answer(ask(browser, url, method), url, _expected(route, method), records)


@pytest.mark.parametrize("route", ["supervision", "supervision_therapist"])
def test_every_supervision_view_is_audited_about_the_therapist_and_each_client(
    supervisor: User,
    therapist: User,
    client_user: User,
    records: dict[str, str],  # noqa: F811
    route: str,
) -> None:
    browser = Client()
    browser.force_login(supervisor)
    assert browser.get(_url(route, records)).status_code == 200
    rows = AuditEvent.objects.filter(actor=supervisor, route=route)
    # Teresa's clients: Carla, and Ivy whom she has invited.
    clients = {client_user.id, uuid.UUID(records["invited"])}
    assert set(rows.values_list("record_type", "subject_id", "action")) == {
        (RecordType.SUPERVISION, therapist.id, "view"),
        *((RecordType.SUPERVISION, client, "list") for client in clients),
    }
