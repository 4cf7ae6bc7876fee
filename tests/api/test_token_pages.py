"""The account page's API tokens: made (the secret shown once), listed, revoked; audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from alliance.apitokens.models import PersonalAccessToken
from alliance.audit.models import AuditEvent, RecordType
from alliance.people.models import User
from tests.api.conftest import bearer, make_token


def _post(browser: Any, **data: str) -> Any:
    defaults = {
        "name": "report script",
        "scope": "read",
        "expires_on": str(timezone.localdate() + timedelta(days=30)),
    }
    return browser.post(reverse("api_tokens"), {**defaults, **data})


def test_a_new_token_is_shown_once_and_works(login: Any, therapist: User) -> None:
    browser = login(therapist)
    made = _post(browser)
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    token = PersonalAccessToken.objects.get(user=therapist)
    page = made.content.decode()
    secret = page.split('id="new-secret" type="text" readonly value="')[1].split('"')[0]
    assert secret.startswith(token.prefix)
    assert bearer(secret).get("/api/v1/episodes").status_code == 200
    again = browser.get(reverse("api_tokens")).content.decode()
    assert secret not in again and token.prefix in again and "report script" in again
    assert AuditEvent.objects.filter(
        actor=therapist, record_type=RecordType.API_TOKEN, action="create"
    ).exists()


def test_bad_input_says_what_to_fix_and_makes_nothing(login: Any, therapist: User) -> None:
    browser = login(therapist)
    far = str(timezone.localdate() + timedelta(days=400))
    past = str(timezone.localdate() - timedelta(days=1))
    for data, says in (
        ({"expires_on": far}, "one year at most"),
        ({"expires_on": past}, "in the future"),
        ({"name": ""}, "required"),
        ({"scope": "admin"}, "valid choice"),
        ({"name": "<script>alert(1)</script>", "expires_on": far}, "one year at most"),
    ):
        response = _post(browser, **data)
        assert response.status_code == 400 and says in response.content.decode(), data
        assert "<script>alert(1)</script>" not in response.content.decode()
    assert not PersonalAccessToken.objects.exists()


def test_revoking_stops_the_token_and_a_replay_changes_nothing(login: Any, therapist: User) -> None:
    secret = make_token(therapist)
    token = PersonalAccessToken.objects.get(user=therapist)
    browser = login(therapist)
    url = reverse("api_token_revoke", kwargs={"token_id": token.id})
    assert browser.post(url)["Location"] == reverse("api_tokens")
    assert browser.post(url).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer(secret).get("/api/v1/episodes").status_code == 401
    rows = AuditEvent.objects.filter(record_type=RecordType.API_TOKEN, action="transition")
    assert rows.count() == 1


def test_someone_elses_token_is_a_404_and_clients_have_no_token_page(
    login: Any, therapist: User, other_therapist: User, client_user: User
) -> None:
    make_token(therapist)
    token = PersonalAccessToken.objects.get(user=therapist)
    url = reverse("api_token_revoke", kwargs={"token_id": token.id})
    assert login(other_therapist).post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert login(client_user).get(reverse("api_tokens")).status_code == 404


def test_last_use_is_noted(therapist: User) -> None:
    secret = make_token(therapist)
    bearer(secret).get("/api/v1/clients")
    assert PersonalAccessToken.objects.get(user=therapist).last_used_at is not None
