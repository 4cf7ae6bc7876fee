"""Every operation of the OpenAPI document against every role.

The operations are read from the document itself, so a new endpoint without a row here fails
``test_every_operation_has_a_row``. Each is called with a write token of the role's person and
a valid body: Teresa (therapist) gets her records; Omar (another therapist in the clinic) and
the stranger (a therapist of another clinic) get the 404 of a missing record; the clinic admin
lists the clinic's clients and sees no clinical record; a client cannot have a token at all.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from alliance.apitokens.rest import api
from alliance.apitokens.services import TokenError, token_create
from alliance.people.models import User
from tests.api.conftest import bearer, make_token

# Which record fills each path parameter.
PARAMS = {
    "client_id": "client",
    "episode_id": "episode",
    "session_id": "session",
    "checkin_id": "checkin",
    "score_id": "score",
    "card_id": "card",
    "alert_id": "alert",
    "absence_id": "absence",
}
BODIES = {
    "/api/v1/alerts/{alert_id}/repair": {"rupture_type": "withdrawal", "notes": "We talked."},
    "/api/v1/alerts/{alert_id}/close": {"reason": "resolved_in_session"},
}
STAFF = ("therapist", "other_therapist", "stranger", "admin")
# fmt: off
EXPECT: dict[tuple[str, str], tuple[int, ...]] = {
    #                                               therapist other stranger admin
    ("get", "/api/v1/clients"):                      (200,      200,  200,     200),
    ("get", "/api/v1/clients/{client_id}"):          (200,      404,  404,     200),
    ("get", "/api/v1/episodes"):                     (200,      200,  200,     200),
    ("get", "/api/v1/episodes/{episode_id}"):        (200,      404,  404,     404),
    ("get", "/api/v1/sessions"):                     (200,      200,  200,     200),
    ("get", "/api/v1/sessions/{session_id}"):        (200,      404,  404,     404),
    ("get", "/api/v1/checkins"):                     (200,      200,  200,     200),
    ("get", "/api/v1/checkins/{checkin_id}"):        (200,      404,  404,     404),
    ("get", "/api/v1/scores"):                       (200,      200,  200,     200),
    ("get", "/api/v1/scores/{score_id}"):            (200,      404,  404,     404),
    ("get", "/api/v1/diary-cards"):                  (200,      200,  200,     200),
    ("get", "/api/v1/diary-cards/{card_id}"):        (200,      404,  404,     404),
    ("get", "/api/v1/alerts"):                       (200,      200,  200,     200),
    ("get", "/api/v1/alerts/{alert_id}"):            (200,      404,  404,     404),
    # An open alert: acknowledging and closing are allowed; repair waits for acknowledging.
    ("post", "/api/v1/alerts/{alert_id}/acknowledge"): (200,    404,  404,     404),
    ("post", "/api/v1/alerts/{alert_id}/repair"):    (409,      404,  404,     404),
    ("post", "/api/v1/alerts/{alert_id}/close"):     (200,      404,  404,     404),
    ("get", "/api/v1/absences"):                     (200,      200,  200,     200),
    ("get", "/api/v1/absences/{absence_id}"):        (200,      404,  404,     404),
}
# fmt: on
# Lists: whether the role's answer includes Teresa's record (it must not, for anyone else).
LIST_SHOWS_HERS = {"therapist": True, "other_therapist": False, "stranger": False}


def _operations() -> list[tuple[str, str]]:
    doc = api.get_openapi_schema()
    return [(method, path) for path, ops in doc["paths"].items() for method in ops]


def test_every_operation_has_a_row() -> None:
    assert sorted(_operations()) == sorted(EXPECT)


def _call(client: Client, method: str, path: str, records: dict[str, str]) -> Any:
    url = path
    for name, record in PARAMS.items():
        url = url.replace("{" + name + "}", records[record])
    if method == "get":
        return client.get(url)
    return client.post(url, BODIES.get(path, {}), "application/json")


@pytest.mark.parametrize(("method", "path"), sorted(EXPECT), ids=lambda v: str(v))
@pytest.mark.parametrize("role", STAFF)
def test_operation_for_role(
    request: pytest.FixtureRequest,
    api_records: dict[str, str],
    role: str,
    method: str,
    path: str,
) -> None:
    user: User = request.getfixturevalue(role)
    response = _call(bearer(make_token(user)), method, path, api_records)
    expected = EXPECT[(method, path)][STAFF.index(role)]
    assert response.status_code == expected, response.content
    if expected == 404:
        assert response["Content-Type"] == "application/problem+json"
    if "{" not in path and role in LIST_SHOWS_HERS:
        ids = {item["id"] for item in response.json()["items"]}
        hers = set(api_records.values())
        assert bool(ids & hers) == LIST_SHOWS_HERS[role]


@pytest.mark.parametrize(("method", "path"), sorted(EXPECT), ids=lambda v: str(v))
def test_anonymous_and_clients_get_401(
    client_user: User, api_records: dict[str, str], method: str, path: str
) -> None:
    with pytest.raises(TokenError):
        token_create(user=client_user, name="mine", scope="read", expires_at=None)  # type: ignore[arg-type]
    assert _call(Client(), method, path, api_records).status_code == 401
