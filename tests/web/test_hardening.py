"""Browser-facing hardening: CSRF, oversized requests, error pages, escaping of staff notes."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from alliance.checkins.models import CheckIn
from alliance.checkins.services import checkin_submit
from alliance.ruptures.models import Alert, RepairRecord
from alliance.ruptures.services import alert_acknowledge
from tests.conftest import GOOD_ANSWERS

TENSION = {**GOOD_ANSWERS, "tension": "2", "talked": "1", "resolved": "2"}


@pytest.fixture
def open_session(episode, attend):
    return attend(episode, 1)


def _strict_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_checkin_without_csrf_token_is_refused_and_saves_nothing(open_session, client_user):
    response = _strict_client(client_user).post(
        f"/checkins/{open_session.id}/", {**GOOD_ANSWERS, "form_token": str(uuid.uuid4())}
    )
    assert response.status_code == 403
    assert "Please reload the page and try again" in response.content.decode()
    assert CheckIn.objects.count() == 0


def test_checkin_with_a_wrong_csrf_token_is_refused(open_session, client_user):
    client = _strict_client(client_user)
    client.get(f"/checkins/{open_session.id}/")  # sets the CSRF cookie
    response = client.post(
        f"/checkins/{open_session.id}/",
        {**GOOD_ANSWERS, "form_token": str(uuid.uuid4()), "csrfmiddlewaretoken": "x" * 64},
    )
    assert response.status_code == 403
    assert CheckIn.objects.count() == 0


def test_oversized_request_is_refused_and_saves_nothing(open_session, client_user, login):
    huge = "a" * (300 * 1024)  # above DATA_UPLOAD_MAX_MEMORY_SIZE (256 KiB)
    response = login(client_user).post(
        f"/checkins/{open_session.id}/",
        {**GOOD_ANSWERS, "comment": huge, "form_token": str(uuid.uuid4())},
    )
    assert response.status_code == 400
    assert CheckIn.objects.count() == 0


def test_not_found_page_shows_no_internals(therapist, login):
    response = login(therapist).get(f"/clients/{uuid.uuid4()}/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "We couldn&#x27;t find that page" in html or "We couldn't find that page" in html
    assert "Traceback" not in html
    assert ".py" not in html  # no file paths or source names


def test_logged_in_pages_are_not_cached(therapist, login):
    response = login(therapist).get("/caseload/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "{{ request.user.password }}",
        '=HYPERLINK("http://evil.example","x")',
        "💬 naïve Zoë — עברית",
    ],
)
def test_repair_notes_are_stored_verbatim_and_shown_escaped(
    episode, therapist, client_user, attend, login, text
):
    checkin_submit(
        session=attend(episode, 1), client=client_user, answers=TENSION, form_token=uuid.uuid4()
    )
    alert = Alert.objects.get()
    alert_acknowledge(alert=alert, actor=therapist)
    client = login(therapist)
    client.post(
        f"/alerts/{alert.id}/repair/",
        {
            "rupture_type": "unclear",
            "strategies": ["clarify"],
            "notes": text,
            "next_session_plan": text,
        },
    )
    assert RepairRecord.objects.get().notes == text
    html = client.get(f"/alerts/{alert.id}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    if text.startswith("<script>"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    elif text.startswith("{{"):
        assert "{{ request.user.password }}" in html  # shown as text, never evaluated
    elif text.startswith("="):
        assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)" in html
    else:
        assert text in html


def test_repair_notes_over_the_limit_get_a_clear_error(
    episode, therapist, client_user, attend, login
):
    checkin_submit(
        session=attend(episode, 1), client=client_user, answers=TENSION, form_token=uuid.uuid4()
    )
    alert = alert_acknowledge(alert=Alert.objects.get(), actor=therapist)
    response = login(therapist).post(
        f"/alerts/{alert.id}/repair/",
        {"rupture_type": "unclear", "strategies": ["clarify"], "notes": "x" * 5001},
    )
    assert response.status_code == 400
    assert (
        "Ensure this value has at most 5000 characters (it has 5001)." in response.content.decode()
    )
    assert RepairRecord.objects.count() == 0
