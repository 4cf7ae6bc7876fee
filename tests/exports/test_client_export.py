"""The client's own export: the password every time, a ZIP of everything about them, audited;
what it says of alerts is what the client is shown, never the therapist's notes."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from typing import Any

import pytest
from django.urls import reverse

from alliance.audit.models import AuditAction, AuditEvent
from alliance.checkins.services import checkin_submit
from alliance.exports.client import safety_plan_section
from alliance.ruptures.models import Alert
from alliance.ruptures.services import alert_acknowledge
from alliance.safetyplan.models import SafetyPlan
from alliance.safetyplan.services import safety_plan_review, safety_plan_save
from tests.conftest import GOOD_ANSWERS, PASSWORD

URL = "/me/export/"


@pytest.fixture
def history(episode: Any, attend: Any, client_user: Any, therapist: Any) -> Alert:
    session = attend(episode, 1)
    checkin_submit(
        session=session,
        client=client_user,
        answers={**GOOD_ANSWERS, "tension": "3", "comment": '=HYPERLINK("http://x")'},
        form_token=uuid.uuid4(),
    )
    alert = Alert.objects.get(session=session)
    alert_acknowledge(alert=alert, actor=therapist)
    return alert


def _zip(response: Any) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="alliance-my-records-')
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_page_asks_for_the_password(login: Any, client_user: Any) -> None:
    page = login(client_user).get(URL)
    assert page.status_code == 200
    assert b'name="password"' in page.content


def test_account_page_links_to_the_export(login: Any, client_user: Any) -> None:
    assert reverse("client_export").encode() in login(client_user).get("/account/").content


def test_wrong_password_downloads_nothing(login: Any, client_user: Any, history: Any) -> None:
    response = login(client_user).post(URL, {"password": "not it"})
    assert response.status_code == 400
    assert "That password isn&#x27;t right" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_export_holds_every_section_and_is_audited(
    login: Any, client_user: Any, history: Any
) -> None:
    archive = _zip(login(client_user).post(URL, {"password": PASSWORD}))
    names = set(archive.namelist())
    assert {
        "README.txt",
        "data.json",
        "fhir-bundle.json",
        "account.csv",
        "care.csv",
        "sessions.csv",
        "checkins.csv",
        "diary-cards.csv",
        "questionnaires.csv",
        "moments.csv",
        "safety-plan.csv",
        "who-has-seen-my-records.csv",
    } == names
    data = json.loads(archive.read("data.json"))
    assert data["account"][0]["Email"] == "carla@example.org"
    assert data["checkins"][0]["Tension or feeling unheard (0-4)"] == "3 (Quite a bit)"
    assert data["safety_plan"] == []  # no plan written in this history
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.subject_id, event.actor_id, event.detail) == (
        client_user.id,
        client_user.id,
        "client_export",
    )


def test_csv_cells_cannot_run_as_formulas(login: Any, client_user: Any, history: Any) -> None:
    archive = _zip(login(client_user).post(URL, {"password": PASSWORD}))
    rows = list(csv.DictReader(io.StringIO(archive.read("checkins.csv").decode())))
    assert rows[0]["Your note"] == '\'=HYPERLINK("http://x")'


def test_moments_say_what_the_client_sees_and_nothing_of_the_therapists_notes(
    login: Any, client_user: Any, history: Alert
) -> None:
    archive = _zip(login(client_user).post(URL, {"password": PASSWORD}))
    (moment,) = json.loads(archive.read("data.json"))["moments"]
    assert moment["Where it stands"] == "Your therapist has seen it"
    assert moment["About"].startswith("A difficult moment you told us about")
    assert set(moment) == {
        "When",
        "About",
        "Where it stands",
        "Your therapist saw it",
        "What you said later",
        "Settled",
    }
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert history.summary.encode() not in everything
    assert b"severity" not in everything.lower()
    assert b"alert" not in archive.read("README.txt").lower()


def test_the_access_log_lists_the_therapists_visit(
    login: Any, client_user: Any, therapist: Any, history: Any
) -> None:
    login(therapist).get(reverse("client_detail", args=[client_user.id]))
    archive = _zip(login(client_user).post(URL, {"password": PASSWORD}))
    (visit,) = json.loads(archive.read("data.json"))["access_log"]
    assert visit["Who"] == "Teresa Tran (your therapist)"


def test_another_clients_records_are_not_in_it(
    login: Any, client_user: Any, other_client: Any, other_episode: Any, attend: Any
) -> None:
    checkin_submit(
        session=attend(other_episode, 1),
        client=other_client,
        answers={**GOOD_ANSWERS, "comment": "Olivia's own words"},
        form_token=uuid.uuid4(),
    )
    archive = _zip(login(client_user).post(URL, {"password": PASSWORD}))
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"Olivia" not in everything


def test_without_a_plan_the_safety_plan_section_is_empty(client_user: Any) -> None:
    assert safety_plan_section(client_user) == []


def test_every_version_of_the_safety_plan_is_in_the_export_in_its_own_words(
    login: Any, client_user: Any, therapist: Any, episode: Any
) -> None:
    safety_plan_save(
        episode=episode,
        actor=client_user,
        texts={"warning_signs": "Not sleeping", "reasons_for_living": "=my cat"},
        base_version=0,
    )
    safety_plan_save(
        episode=episode,
        actor=therapist,
        texts={"warning_signs": "Not sleeping; skipping meals", "reasons_for_living": "=my cat"},
        base_version=1,
    )
    safety_plan_review(plan=SafetyPlan.objects.get(), therapist=therapist, version=2)
    archive = _zip(login(client_user).post(URL, {"password": PASSWORD}))
    rows = json.loads(archive.read("data.json"))["safety_plan"]
    assert [(r["Version"], r["Written by"], r["What it says"]) for r in rows] == [
        (1, "You", "Not sleeping"),
        (1, "You", "=my cat"),
        (2, "Your therapist", "Not sleeping; skipping meals"),
        (2, "Your therapist", "=my cat"),
    ]
    assert [bool(r["Gone through together"]) for r in rows] == [False, False, True, True]
    # The readable copy cannot run the client's words as a formula.
    assert "'=my cat" in archive.read("safety-plan.csv").decode("utf-8-sig")
