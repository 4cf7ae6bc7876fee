"""The REST API, endpoint by endpoint: good cases, and the bad ones (someone else's record,
expired or revoked tokens, a read token writing, replayed transitions, bad input)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from alliance.apitokens.models import PersonalAccessToken
from alliance.apitokens.rest import RATE_LIMIT
from alliance.apitokens.services import digest, token_revoke
from alliance.audit.models import AuditEvent, RecordType
from alliance.people.models import User
from alliance.ruptures.models import Alert, AlertState
from tests.api.conftest import bearer, make_token

PROBLEM = "application/problem+json"
BAD_JSON = 400


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"] == "about:blank"
    return body


def test_the_openapi_document_is_served_and_names_every_resource(db: Any) -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    paths = set(doc["paths"])
    for resource, param in (
        ("clients", "client_id"),
        ("episodes", "episode_id"),
        ("sessions", "session_id"),
        ("checkins", "checkin_id"),
        ("scores", "score_id"),
        ("diary-cards", "card_id"),
        ("alerts", "alert_id"),
        ("absences", "absence_id"),
    ):
        assert {f"/api/v1/{resource}", f"/api/v1/{resource}/{{{param}}}"} <= paths
    for action in ("acknowledge", "repair", "close"):
        assert f"/api/v1/alerts/{{alert_id}}/{action}" in paths
    assert doc["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
    ]


def test_the_secret_is_kept_only_as_its_digest(therapist: User) -> None:
    secret = make_token(therapist)
    token = PersonalAccessToken.objects.get(user=therapist)
    assert token.secret_hash == digest(secret)
    assert secret not in {token.secret_hash, token.prefix, token.name}
    assert secret.startswith(token.prefix) and len(token.prefix) == 12


def test_therapist_reads_their_own_records(therapist: User, api_records: dict[str, str]) -> None:
    api = bearer(make_token(therapist, "read"))
    for resource, key in (
        ("clients", "client"),
        ("episodes", "episode"),
        ("sessions", "session"),
        ("checkins", "checkin"),
        ("scores", "score"),
        ("diary-cards", "card"),
        ("alerts", "alert"),
        ("absences", "absence"),
    ):
        listed = api.get(f"/api/v1/{resource}")
        assert listed.status_code == 200, (resource, listed.content)
        assert api_records[key] in [item["id"] for item in listed.json()["items"]], resource
        one = api.get(f"/api/v1/{resource}/{api_records[key]}")
        assert (one.status_code, one.json()["id"]) == (200, api_records[key]), resource


def test_a_diary_draft_is_not_the_therapists(therapist: User, api_records: dict[str, str]) -> None:
    api = bearer(make_token(therapist))
    ids = [c["id"] for c in api.get("/api/v1/diary-cards").json()["items"]]
    assert ids == [api_records["card"]]
    _problem(api.get(f"/api/v1/diary-cards/{api_records['draft']}"), 404)


def test_someone_elses_record_is_a_404_like_a_missing_one(
    other_therapist: User, api_records: dict[str, str]
) -> None:
    api = bearer(make_token(other_therapist))
    for resource, key in (
        ("clients", "client"),
        ("episodes", "episode"),
        ("sessions", "session"),
        ("checkins", "checkin"),
        ("scores", "score"),
        ("diary-cards", "card"),
        ("alerts", "alert"),
        ("absences", "absence"),
    ):
        theirs = api.get(f"/api/v1/{resource}/{api_records[key]}")
        nobodys = api.get(f"/api/v1/{resource}/{uuid.uuid4()}")
        assert theirs.json() == nobodys.json() == _problem(theirs, 404)
        listed = [item["id"] for item in api.get(f"/api/v1/{resource}").json()["items"]]
        assert api_records[key] not in listed
    bodies = {
        "acknowledge": {},
        "repair": {"rupture_type": "withdrawal", "notes": "talked it over"},
        "close": {"reason": "resolved_in_session"},
    }
    for action, body in bodies.items():
        url = f"/api/v1/alerts/{api_records['alert']}/{action}"
        _problem(api.post(url, body, "application/json"), 404)


def test_reads_write_the_same_audit_rows_as_the_pages(
    therapist: User, client_user: User, api_records: dict[str, str]
) -> None:
    api = bearer(make_token(therapist))
    api.get(f"/api/v1/alerts/{api_records['alert']}")
    api.get("/api/v1/checkins")
    rows = AuditEvent.objects.filter(actor=therapist, subject=client_user)
    assert rows.filter(
        action="view",
        record_type=RecordType.ALERT,
        record_id=api_records["alert"],
        route="api:alert",
    ).exists()
    assert rows.filter(
        action="list", record_type=RecordType.CHECKIN, record_id=api_records["checkin"]
    ).exists()


def test_no_token_a_wrong_one_an_expired_one_and_a_revoked_one_are_401(
    therapist: User, api_records: dict[str, str]
) -> None:
    url = "/api/v1/episodes"
    assert "Bearer" in Client().get(url)["WWW-Authenticate"]
    _problem(Client().get(url), 401)
    _problem(bearer("alc_not-a-real-token").get(url), 401)
    secret = make_token(therapist, days=2)
    assert bearer(secret).get(url).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        _problem(bearer(secret).get(url), 401)
    token_revoke(token=PersonalAccessToken.objects.get(user=therapist), actor=therapist)
    _problem(bearer(secret).get(url), 401)


def test_a_session_cookie_does_not_open_the_api(login: Any, therapist: User) -> None:
    _problem(login(therapist).get("/api/v1/episodes"), 401)


def test_a_token_of_a_deactivated_person_stops_working(therapist: User) -> None:
    secret = make_token(therapist)
    User.objects.filter(pk=therapist.pk).update(is_active=False)
    _problem(bearer(secret).get("/api/v1/episodes"), 401)


def test_admin_sees_clinic_clients_and_no_clinical_record(
    admin: User, api_records: dict[str, str]
) -> None:
    api = bearer(make_token(admin))
    assert api_records["client"] in [c["id"] for c in api.get("/api/v1/clients").json()["items"]]
    for resource in ("episodes", "sessions", "checkins", "scores", "diary-cards", "alerts"):
        assert api.get(f"/api/v1/{resource}").json()["count"] == 0
    _problem(api.get(f"/api/v1/alerts/{api_records['alert']}"), 404)


def test_read_token_may_not_write(therapist: User, api_records: dict[str, str]) -> None:
    api = bearer(make_token(therapist, "read"))
    _problem(api.post(f"/api/v1/alerts/{api_records['alert']}/acknowledge"), 403)
    assert Alert.objects.get(id=api_records["alert"]).state == AlertState.OPEN


def test_transitions_go_through_the_services_and_a_replay_is_409(
    therapist: User, api_records: dict[str, str]
) -> None:
    api = bearer(make_token(therapist))
    alert_url = f"/api/v1/alerts/{api_records['alert']}"
    repair = {"rupture_type": "withdrawal", "markers": [], "strategies": [], "notes": "talked"}
    # Repair before acknowledging: the state machine says no.
    _problem(api.post(f"{alert_url}/repair", repair, "application/json"), 409)
    acknowledged = api.post(f"{alert_url}/acknowledge")
    assert (acknowledged.status_code, acknowledged.json()["state"]) == (200, "acknowledged")
    _problem(api.post(f"{alert_url}/acknowledge"), 409)
    recorded = api.post(f"{alert_url}/repair", repair, "application/json")
    assert recorded.status_code == 201
    assert Alert.objects.get(id=api_records["alert"]).state == AlertState.REPAIR_RECORDED
    closed = api.post(f"{alert_url}/close", {"reason": "resolved_in_session"}, "application/json")
    assert (closed.status_code, closed.json()["state"]) == (200, "closed"), closed.content
    _problem(
        api.post(f"{alert_url}/close", {"reason": "resolved_in_session"}, "application/json"), 409
    )
    transitions = AuditEvent.objects.filter(
        actor=therapist, action="transition", record_type="alert"
    )
    assert {row.detail for row in transitions} >= {"acknowledged", "repair_recorded"}


def test_bad_transition_input_is_a_422_that_changes_nothing(
    therapist: User, api_records: dict[str, str]
) -> None:
    api = bearer(make_token(therapist))
    alert_url = f"/api/v1/alerts/{api_records['alert']}"
    api.post(f"{alert_url}/acknowledge")
    body = _problem(api.post(f"{alert_url}/repair", {"rupture_type": "x"}, "application/json"), 422)
    assert "x" in body["detail"]
    _problem(api.post(f"{alert_url}/repair", {"rupture_type": "both"}, "application/json"), 422)
    _problem(api.post(f"{alert_url}/close", {"reason": "nonsense"}, "application/json"), 422)
    _problem(api.post(f"{alert_url}/close", {"reason": "other"}, "application/json"), 422)
    body = _problem(api.post(f"{alert_url}/repair", {}, "application/json"), 422)
    assert body["errors"]
    _problem(api.post(f"{alert_url}/repair", "{not json", "application/json"), BAD_JSON)
    assert Alert.objects.get(id=api_records["alert"]).state == AlertState.ACKNOWLEDGED


def test_paging_is_stable_and_bounded(therapist: User, episode: Any, attend: Any) -> None:
    for number in range(1, 6):
        attend(episode, number, timezone.now() - timedelta(days=10 - number))
    api = bearer(make_token(therapist))
    first = api.get("/api/v1/sessions?limit=2").json()
    second = api.get("/api/v1/sessions?limit=2&offset=2").json()
    assert first["count"] == second["count"] == 5
    assert [s["number"] for s in first["items"] + second["items"]] == [1, 2, 3, 4]
    _problem(api.get("/api/v1/sessions?limit=0"), 422)
    _problem(api.get("/api/v1/sessions?limit=101"), 422)
    _problem(api.get("/api/v1/sessions?offset=-1"), 422)
    _problem(api.get("/api/v1/sessions/not-a-uuid"), 422)


def test_wrong_method_is_a_405_problem(therapist: User) -> None:
    api = bearer(make_token(therapist))
    response = api.delete("/api/v1/episodes")
    _problem(response, 405)
    assert response["Allow"] == "GET"


def test_rate_limit_is_120_a_minute_per_token(therapist: User, other_therapist: User) -> None:
    api = bearer(make_token(therapist))
    with time_machine.travel("2026-03-02 10:00:05 +0000", tick=False):
        for _ in range(RATE_LIMIT):
            assert api.get("/api/v1/absences").status_code == 200
        limited = api.get("/api/v1/absences")
        body = _problem(limited, 429)
        assert limited["Retry-After"] == "55" and body["retry_after"] == 55
        # Another token has its own allowance.
        assert bearer(make_token(other_therapist)).get("/api/v1/absences").status_code == 200
    with time_machine.travel("2026-03-02 10:01:01 +0000", tick=False):
        assert api.get("/api/v1/absences").status_code == 200


def test_text_that_is_not_utf8_is_a_400_problem(
    therapist: User, api_records: dict[str, str]
) -> None:
    # Found by schemathesis: the site-wide UTF-8 check answered the API with its page's JSON.
    api = bearer(make_token(therapist))
    url = f"/api/v1/alerts/{api_records['alert']}/repair"
    body = _problem(api.post(url, b'{"notes": "\xff\xfe"}', "application/json"), 400)
    assert "UTF-8" in body["detail"]
    _problem(api.get("/api/v1/sessions?episode_id=%ff"), 400)


def test_every_api_answer_is_sent_uncompressed_even_before_a_route_matches(
    therapist: User, api_records: dict[str, str]
) -> None:
    # Found by schemathesis: the UTF-8 check answers before any route is matched, and that one
    # answer was gzipped while every other API answer is not (its views are never compressed).
    api = bearer(make_token(therapist))
    gzip = {"HTTP_ACCEPT_ENCODING": "gzip"}
    bad = api.post(
        "/api/v1/alerts/-Infinity/repair", b'{"notes": "\xff\xfe"}', "application/json", **gzip
    )
    listed = api.get("/api/v1/alerts", **gzip)
    assert (bad.get("Content-Encoding"), listed.get("Content-Encoding")) == (None, None)
    assert "UTF-8" in _problem(bad, 400)["detail"]
    assert len(listed.content) > 200  # long enough that it would have been compressed


def test_a_problem_is_in_french_when_the_caller_asks_for_french(therapist: User) -> None:
    api = bearer(make_token(therapist, scope="read"))
    french = {"HTTP_ACCEPT_LANGUAGE": "fr-CA"}
    missing = _problem(api.get(f"/api/v1/alerts/{uuid.uuid4()}", **french), 404)
    refused = _problem(api.post(f"/api/v1/alerts/{uuid.uuid4()}/acknowledge", **french), 403)
    bad = _problem(api.get("/api/v1/sessions?episode_id=%ff", **french), 400)
    assert [missing["title"], refused["title"], bad["title"]] == [
        "Introuvable",
        "Non permis avec ce jeton",
        "Requête invalide",
    ]
    assert "jeton" in refused["detail"]  # the detail too
    english = _problem(api.get(f"/api/v1/alerts/{uuid.uuid4()}"), 404)
    assert english["title"] == "Not found"
    # The document names the codes in English, whatever the caller's language.
    document = api.get("/api/v1/openapi.json", **french).json()
    described = {
        response["description"]
        for operation in document["paths"].values()
        for method in operation.values()
        for code, response in method["responses"].items()
        if code == "404"
    }
    assert described == {"Not found"}
