"""The clinic admin's review and export of the audit log, and the client's own view of it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from alliance.audit import recorder
from alliance.audit.export import csv_safe
from alliance.audit.models import ActorRole, AuditAction, AuditEvent, RecordType
from alliance.audit.recorder import Entry
from alliance.checkins.services import checkin_submit
from alliance.ruptures.models import Alert
from tests.conftest import GOOD_ANSWERS

TENSION = {**GOOD_ANSWERS, "tension": "3", "talked": "0", "resolved": "1"}
MARCH_3 = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)


def _log(person, n: int = 1, *, action: str = AuditAction.VIEW) -> None:
    """``n`` rows about ``person``'s record, written as the system (outside a request)."""
    recorder.audit_record_bulk(
        actor=None,
        entries=[
            Entry(action, RecordType.CARE_EPISODE, f"r{i}", person.id, person.clinic_id)
            for i in range(n)
        ],
    )


def _subjects(response) -> set:
    return {event.subject_id for event in response.context["page"]}


# --- the admin's review -----------------------------------------------------------------------


def test_admin_sees_their_clinics_events(admin, client_user, stranger, login):
    _log(client_user)
    _log(stranger)
    response = login(admin).get(reverse("audit_log"))
    assert _subjects(response) == {client_user.id}


def test_admin_can_filter_by_whose_record(admin, client_user, other_client, login):
    _log(client_user)
    _log(other_client)
    response = login(admin).get(reverse("audit_log"), {"client": other_client.id})
    assert _subjects(response) == {other_client.id}


def test_admin_can_filter_by_who_did_it(admin, episode, therapist, client_user, login):
    _log(client_user)
    login(therapist).get(f"/clients/{client_user.id}/")
    response = login(admin).get(reverse("audit_log"), {"person": therapist.id})
    assert [(e.actor_id, e.route) for e in response.context["page"]] == [
        (therapist.id, "client_detail")
    ]


def test_admin_can_filter_by_action(admin, client_user, login):
    _log(client_user, action=AuditAction.VIEW)
    _log(client_user, action=AuditAction.EXPORT)
    response = login(admin).get(reverse("audit_log"), {"action": "export"})
    assert [e.action for e in response.context["page"]] == ["export"]


def test_date_range_is_whole_days_in_the_admins_time_zone(admin, client_user, login):
    # 23:30 UTC on 3 March is 18:30 in Toronto, still 3 March there.
    with time_machine.travel(MARCH_3, tick=False):
        _log(client_user)
    with time_machine.travel(MARCH_3 + timedelta(hours=6), tick=False):  # 4 March in Toronto
        _log(client_user, action=AuditAction.EXPORT)
    response = login(admin).get(
        reverse("audit_log"), {"since": "2026-03-03", "until": "2026-03-03"}
    )
    assert [e.action for e in response.context["page"]] == ["view"]


def test_an_end_date_before_the_start_shows_the_error_and_no_events(admin, client_user, login):
    _log(client_user)
    response = login(admin).get(
        reverse("audit_log"), {"since": "2026-03-04", "until": "2026-03-03"}
    )
    assert list(response.context["page"]) == []
    assert "The end date is before the start date." in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("until", "9999-12-31", "Please choose a date before 2100"),
        ("since", "9999-12-31", "Please choose a date before 2100"),
        ("since", "0001-01-01", "Please choose a date from 1 January 2000"),
        ("until", "0001-01-01", "Please choose a date from 1 January 2000"),
    ],
)
def test_a_date_out_of_range_is_a_clear_message_not_a_server_error(
    admin, client_user, login, field, value, message
):
    admin.timezone = "Asia/Tokyo"  # east of UTC: the start of 0001-01-01 there is year 0 in UTC
    admin.save(update_fields=["timezone"])
    _log(client_user)
    response = login(admin).get(reverse("audit_log"), {field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(response.context["page"]) == []


@pytest.mark.parametrize("query", [{"until": "9999-12-31"}, {"since": "0001-01-01"}])
def test_an_export_with_a_date_out_of_range_says_what_to_fix(admin, login, query):
    response = login(admin).get(reverse("audit_export"), query)
    assert response.status_code == 400
    assert "Please choose a date" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_widest_accepted_range_works(admin, client_user, login):
    _log(client_user)
    response = login(admin).get(
        reverse("audit_log"), {"since": "2000-01-01", "until": "2099-12-31"}
    )
    assert _subjects(response) == {client_user.id}


def test_the_review_is_paginated_newest_first(admin, client_user, login):
    _log(client_user, 60)
    browser = login(admin)
    first = browser.get(reverse("audit_log"))
    second = browser.get(reverse("audit_log"), {"page": 2})
    assert (len(first.context["page"]), first.context["page"][0].record_id) == (50, "r59")
    # Page two holds the rest, plus the row noting that page one was read.
    assert len(second.context["page"]) == 11


def test_reviewing_the_log_is_itself_logged(admin, client_user, login):
    login(admin).get(reverse("audit_log"), {"client": client_user.id})
    event = AuditEvent.objects.get(actor=admin)
    assert (event.action, event.record_type, event.subject_id) == (
        AuditAction.VIEW,
        RecordType.AUDIT_LOG,
        client_user.id,
    )


# --- the export -------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(content)))


def test_export_is_a_csv_of_the_filtered_events(admin, client_user, other_client, login):
    _log(client_user)
    _log(other_client)
    response = login(admin).get(reverse("audit_export"), {"client": client_user.id})
    table = _csv(response)
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="alliance-audit-')
    assert table[0][:4] == ["when (UTC)", "who", "role", "action"]
    # Newest first: the export itself is logged before the rows are read, so it is included.
    assert [(row[3], row[6]) for row in table[1:]] == [
        ("Exported", "Carla Client"),
        ("Opened", "Carla Client"),
    ]


def test_an_export_with_a_filter_that_does_not_make_sense_says_what_to_fix(admin, login):
    before = AuditEvent.objects.filter(action="export").count()
    response = login(admin).get(
        reverse("audit_export"), {"since": "2026-03-09", "until": "2026-03-01"}
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "The end date is before the start date." in response.content.decode()
    assert AuditEvent.objects.filter(action="export").count() == before  # nothing exported


def test_export_cells_cannot_run_as_spreadsheet_formulas(
    admin, episode, therapist, client_user, login
):
    therapist.full_name = '=HYPERLINK("http://evil.example")'
    therapist.save(update_fields=["full_name"])
    login(therapist).get(f"/clients/{client_user.id}/")
    table = _csv(login(admin).get(reverse("audit_export"), {"person": therapist.id}))
    assert table[1][1] == '\'=HYPERLINK("http://evil.example")'


def test_full_width_formula_characters_are_defused_in_the_export(
    admin, episode, therapist, client_user, login
):
    therapist.full_name = '\uff1dHYPERLINK("http://evil.example")'
    therapist.save(update_fields=["full_name"])
    login(therapist).get(f"/clients/{client_user.id}/")
    table = _csv(login(admin).get(reverse("audit_export"), {"person": therapist.id}))
    assert table[1][1] == '\'\uff1dHYPERLINK("http://evil.example")'


def test_formula_characters_are_defused_and_other_text_is_kept():
    assert [
        csv_safe(v) for v in ["=1+1", "+A1", "-A1", "@SUM(A1)", "\tx", "\rx", "Teresa", ""]
    ] == [
        "'=1+1",
        "'+A1",
        "'-A1",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Teresa",
        "",
    ]


def test_export_asks_to_confirm_identity_after_a_while(admin, login):
    browser = login(admin)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=11)):
        response = browser.get(reverse("audit_export"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reauth"))
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_export_is_itself_logged(admin, client_user, login):
    response = login(admin).get(reverse("audit_export"), {"client": client_user.id})
    _csv(response)
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.actor_id, event.record_type, event.subject_id, event.route) == (
        admin.id,
        RecordType.AUDIT_LOG,
        client_user.id,
        "audit_export",
    )


# --- the client's "who has seen my records" ---------------------------------------------------


def test_client_sees_who_opened_their_record(episode, therapist, client_user, login):
    login(therapist).get(f"/clients/{client_user.id}/")
    response = login(client_user).get(reverse("access_log"))
    assert [(e.actor_label, what) for e, what in response.context["rows"]] == [
        ("Teresa Tran", "Opened your record")
    ]


def test_times_are_in_the_clients_time_zone(episode, therapist, client_user, login):
    client_user.timezone = "Asia/Tokyo"
    client_user.save(update_fields=["timezone"])
    with time_machine.travel(MARCH_3, tick=False):
        login(therapist).get(f"/clients/{client_user.id}/")
    html = login(client_user).get(reverse("access_log")).content.decode()
    assert "Wed 4 Mar 2026, 08:30" in html


def test_newest_comes_first(episode, therapist, client_user, login):
    with time_machine.travel(MARCH_3, tick=False):
        login(therapist).get(f"/clients/{client_user.id}/")
    with time_machine.travel(MARCH_3 + timedelta(days=1), tick=False):
        login(therapist).get(reverse("caseload"))
    response = login(client_user).get(reverse("access_log"))
    assert [what for _, what in response.context["rows"]] == [
        "Saw your name in their list of clients",
        "Opened your record",
    ]


def test_system_work_and_the_clients_own_visits_are_not_listed(episode, client_user, attend, login):
    checkin_submit(
        session=attend(episode, 1), client=client_user, answers=TENSION, form_token="0" * 32
    )
    browser = login(client_user)
    browser.get(reverse("client_home"))
    browser.get(reverse("access_log"))
    assert AuditEvent.objects.filter(actor_role=ActorRole.SYSTEM, subject=client_user).exists()
    assert list(browser.get(reverse("access_log")).context["rows"]) == []


def test_another_clients_events_are_not_listed(
    episode, other_episode, other_therapist, client_user, other_client, login
):
    login(other_therapist).get(f"/clients/{other_client.id}/")
    assert list(login(client_user).get(reverse("access_log")).context["rows"]) == []


def test_the_client_never_reads_the_word_alert(episode, therapist, client_user, attend, login):
    checkin_submit(
        session=attend(episode, 1), client=client_user, answers=TENSION, form_token="1" * 32
    )
    login(therapist).get(f"/alerts/{Alert.objects.get().id}/")
    rows = login(client_user).get(reverse("access_log")).context["rows"]
    assert [what for _, what in rows] == ["Opened their notes about one of your check-ins"]
