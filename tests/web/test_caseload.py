"""The therapist's caseload: who needs attention first, and why, in constant queries."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.checkins.services import checkin_submit
from alliance.people.models import CareEpisode, Role, Session, User
from alliance.people.selectors import caseload
from alliance.ruptures.models import Alert
from alliance.ruptures.services import alert_acknowledge
from tests.conftest import GOOD_ANSWERS, PASSWORD

TENSION = {**GOOD_ANSWERS, "tension": "4", "talked": "0", "resolved": "0"}
SOME_TENSION = {**GOOD_ANSWERS, "tension": "1", "talked": "2", "resolved": "4"}


def add_client(clinic, therapist, name):
    user = User.objects.create_user(
        f"{uuid.uuid4().hex[:8]}@example.org",
        PASSWORD,
        full_name=name,
        role=Role.CLIENT,
        clinic=clinic,
    )
    return CareEpisode.objects.create(clinic=clinic, client=user, therapist=therapist)


def checkin(episode, attend, number, answers, at=None):
    session = attend(episode, number, at)
    return checkin_submit(
        session=session,
        client=episode.client,
        answers=answers,
        form_token=uuid.uuid4(),
        now=at,
    )


def test_high_severity_alert_comes_first(clinic, therapist, attend):
    calm = add_client(clinic, therapist, "Aaron Calm")
    low = add_client(clinic, therapist, "Bea Low")
    high = add_client(clinic, therapist, "Zed High")
    checkin(calm, attend, 1, GOOD_ANSWERS)
    checkin(low, attend, 1, SOME_TENSION)
    checkin(high, attend, 1, TENSION)
    rows = caseload(therapist, now=timezone.now())
    assert [r.episode.client.full_name for r in rows] == ["Zed High", "Bea Low", "Aaron Calm"]


def test_older_alert_comes_first_at_equal_severity(clinic, therapist, attend):
    now = timezone.now()
    newer = add_client(clinic, therapist, "Anna Newer")
    older = add_client(clinic, therapist, "Zoe Older")
    checkin(older, attend, 1, TENSION, at=now - timedelta(days=3))
    checkin(newer, attend, 1, TENSION, at=now - timedelta(days=1))
    rows = caseload(therapist, now=now)
    assert [r.episode.client.full_name for r in rows] == ["Zoe Older", "Anna Newer"]


def test_each_row_says_why(clinic, therapist, attend):
    now = timezone.now()
    episode = add_client(clinic, therapist, "Carla Client")
    checkin(episode, attend, 1, TENSION, at=now - timedelta(days=2))
    attend(episode, 2, now - timedelta(hours=1))
    [row] = caseload(therapist, now=now)
    assert row.reasons == [
        "1 open alert (highest: high, oldest raised 2 days ago)",
        "1 not yet acknowledged",
        "1 check-in open",
    ]


def test_each_row_says_why_in_the_readers_language(clinic, therapist, attend, login):
    from django.urls import reverse
    from django.utils import translation

    now = timezone.now()
    episode = add_client(clinic, therapist, "Carla Client")
    checkin(episode, attend, 1, TENSION, at=now - timedelta(days=2))
    attend(episode, 2, now - timedelta(hours=1))
    with translation.override("fr-ca"):
        [row] = caseload(therapist, now=now)
    assert row.reasons == [
        "1 alerte ouverte (gravité : élevée, levée il y a 2 jours)",
        "1 dont vous n'avez pas encore pris connaissance",
        "1 bilan ouvert",
    ]
    # The page's cached rows are kept per language: English first, then French.
    browser = login(therapist)
    assert "1 check-in open" in browser.get(reverse("caseload")).content.decode()
    therapist.language = "fr-ca"
    therapist.save(update_fields=["language"])
    page = browser.get(reverse("caseload")).content.decode()
    assert "1 bilan ouvert" in page and "1 check-in open" not in page


def test_acknowledged_alert_still_shows_but_not_as_unacknowledged(clinic, therapist, attend):
    episode = add_client(clinic, therapist, "Carla Client")
    checkin(episode, attend, 1, TENSION)
    alert_acknowledge(alert=Alert.objects.get(), actor=therapist)
    [row] = caseload(therapist, now=timezone.now())
    assert (row.open_alerts, row.unacknowledged) == (1, 0)


def test_checkin_closed_unanswered_is_counted(clinic, therapist, attend):
    now = timezone.now()
    episode = add_client(clinic, therapist, "Carla Client")
    attend(episode, 1, now - timedelta(hours=73))  # window of 72 h has closed
    [row] = caseload(therapist, now=now)
    assert row.missed_checkins == 1
    assert row.reasons == ["1 check-in closed unanswered in the last 30 days"]


def test_other_therapists_clients_are_not_listed(clinic, therapist, other_therapist):
    add_client(clinic, other_therapist, "Not Mine")
    assert caseload(therapist, now=timezone.now()) == []


def _page_queries(login, therapist) -> list[str]:
    client = login(therapist)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/caseload/")
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_caseload_page_queries_do_not_grow_with_the_caseload(clinic, therapist, attend, login):
    def grow(n: int, start: int) -> None:
        for i in range(n):
            episode = add_client(clinic, therapist, f"Client {start + i}")
            checkin(episode, attend, 1, TENSION)
            attend(episode, 2)
            Session.objects.create(
                episode=episode, number=3, scheduled_at=timezone.now() + timedelta(days=7)
            )

    grow(2, 0)
    _page_queries(login, therapist)  # the footer's crisis lines: the clinic's region, then cached
    small = _page_queries(login, therapist)
    grow(8, 2)
    large = _page_queries(login, therapist)
    assert len(small) == len(large)
    # Session, user, two-factor device, the caseload (episodes, their open alerts counted, their
    # unanswered check-ins counted), whether the therapist covers a colleague's absence today,
    # one audit insert for every listed client, the count of reach-out requests waiting (one,
    # whatever the caseload), and the session's activity stamp (savepoint, update, release);
    # nothing per client.
    assert len(large) <= 12
    assert sum('FROM "absences_absence"' in sql for sql in large) == 1
    assert sum(sql.startswith('INSERT INTO "audit_auditevent"') for sql in large) == 1


def test_caseload_page_shows_reasons_and_links(clinic, therapist, attend, login):
    episode = add_client(clinic, therapist, "Carla <b>Client</b>")
    checkin(episode, attend, 1, TENSION)
    html = login(therapist).get("/caseload/").content.decode()
    assert f'href="/clients/{episode.client_id}/"' in html
    assert "Carla &lt;b&gt;Client&lt;/b&gt;" in html
    assert "High priority" in html
    assert "1 open alert (highest: high" in html


def test_open_risk_answer_comes_before_every_rupture(clinic, therapist, attend):
    from alliance.ruptures.services import alert_raise

    rupture = add_client(clinic, therapist, "Aaron Rupture")
    risk = add_client(clinic, therapist, "Zed Risk")
    checkin(rupture, attend, 1, TENSION)  # high severity rupture
    alert_raise(
        episode=risk,
        category="risk",
        severity=2,
        summary="Diary card: self-harm recorded",
        source_key="diary:test",
    )
    rows = caseload(therapist, now=timezone.now())
    assert [r.episode.client.full_name for r in rows] == ["Zed Risk", "Aaron Rupture"]
    assert rows[0].reasons[0] == "Risk answer to follow up (1)"
    assert rows[0].attention == "high"
