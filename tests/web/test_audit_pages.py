"""The clinic admin's review and export of the audit log, and the client's own view of it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
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


def _seen(by, client, at, record_type=RecordType.CARE_EPISODE, action=AuditAction.VIEW, **kw):
    """A row of ``by`` reading ``client``'s record at ``at`` (as a request of theirs writes it)."""
    return AuditEvent.objects.create(
        at=at,
        clinic_id=client.clinic_id,
        actor=by,
        actor_display=by.full_name,
        actor_role=by.role,
        action=action,
        record_type=record_type,
        record_id=kw.pop("record_id", "r"),
        subject=client,
        **kw,
    )


def _visits(browser, **query):
    return browser.get(reverse("access_log"), query).context["visits"]


def _lines(browser, **query) -> list[tuple[str, str, str]]:
    return [(v.actor_label, v.relation, v.what) for v in _visits(browser, **query)]


def test_one_visit_to_the_clients_page_is_one_line_and_every_row_is_kept(
    episode, therapist, client_user, attend, login
):
    checkin_submit(
        session=attend(episode, 1), client=client_user, answers=GOOD_ANSWERS, form_token="2" * 32
    )
    teresa = login(therapist)
    for _ in range(3):
        teresa.get(f"/clients/{client_user.id}/")
    rows = AuditEvent.objects.filter(actor=therapist, subject=client_user).count()
    visits = _visits(login(client_user))
    assert rows > 3  # every record the page showed, every time, is still in the log
    assert [(v.actor_label, v.relation, v.checkins_read) for v in visits] == [
        ("Teresa Tran", "your therapist", 1)
    ]
    assert visits[0].what.startswith("read one of your check-ins and looked at your record")


def test_the_line_says_what_was_seen_in_words(episode, therapist, client_user, login):
    with time_machine.travel(MARCH_3, tick=False):
        _seen(therapist, client_user, MARCH_3, record_id="e1")
        for n in range(15):
            _seen(therapist, client_user, MARCH_3, RecordType.OUTCOME_RESPONSE, AuditAction.LIST,
                  record_id=f"q{n}")  # fmt: skip
        _seen(therapist, client_user, MARCH_3, RecordType.DIARY_CARD, AuditAction.LIST)
        _seen(therapist, client_user, MARCH_3, RecordType.CHECKIN, AuditAction.VIEW, record_id="c1")
        _seen(therapist, client_user, MARCH_3, RecordType.CHECKIN, AuditAction.UPDATE,
              record_id="c1", detail="read")  # fmt: skip
        _seen(therapist, client_user, MARCH_3, RecordType.CHECKIN, AuditAction.UPDATE,
              record_id="c2", detail="read")  # fmt: skip
        _seen(therapist, client_user, MARCH_3, RecordType.SESSION, AuditAction.CREATE)
    assert _lines(login(client_user)) == [
        (
            "Teresa Tran",
            "your therapist",
            "read 2 of your check-ins, looked at your record, your diary cards and your "
            "questionnaire answers, and scheduled a session",
        )
    ]


def test_the_page_shows_the_visit_as_a_sentence_with_its_times(
    episode, therapist, client_user, login
):
    _seen(therapist, client_user, MARCH_3)
    _seen(therapist, client_user, MARCH_3 + timedelta(minutes=18), RecordType.DIARY_CARD)
    html = login(client_user).get(reverse("access_log")).content.decode()
    # 23:30 UTC is 18:30 in Toronto.
    assert "Tue 3 Mar 2026, 18:30</time>–<time" in html and ">18:48</time>" in html
    assert (
        "<strong>Teresa Tran</strong> (your therapist) looked at your record and your diary "
        "cards." in html
    )
    assert "<table" not in html.split("<main")[1]  # stacked lines, readable at 390 px


@pytest.mark.parametrize(("minutes", "visits"), [(30, 1), (31, 2)])
def test_rows_more_than_30_minutes_apart_are_two_visits(
    episode, therapist, client_user, login, minutes, visits
):
    _seen(therapist, client_user, MARCH_3)
    _seen(therapist, client_user, MARCH_3 + timedelta(minutes=minutes))
    assert len(_visits(login(client_user))) == visits


def test_a_long_sitting_with_short_gaps_is_one_visit(episode, therapist, client_user, login):
    for step in range(6):  # every 25 minutes for two hours
        _seen(therapist, client_user, MARCH_3 + timedelta(minutes=25 * step))
    [visit] = _visits(login(client_user))
    assert (visit.start, visit.end) == (MARCH_3, MARCH_3 + timedelta(minutes=125))


def test_someone_else_in_between_does_not_split_a_visit(
    episode, therapist, admin, client_user, login
):
    _seen(therapist, client_user, MARCH_3)
    _seen(admin, client_user, MARCH_3 + timedelta(minutes=10), RecordType.PERSON, AuditAction.LIST)
    _seen(therapist, client_user, MARCH_3 + timedelta(minutes=20), RecordType.DIARY_CARD)
    assert _lines(login(client_user)) == [
        ("Teresa Tran", "your therapist", "looked at your record and your diary cards"),
        (
            "Adam Admin",
            "your clinic's administrator",
            "saw your name in the clinic's list of people",
        ),
    ]


def test_a_therapist_who_is_not_theirs_is_named_as_such(
    episode, other_therapist, client_user, login
):
    _seen(other_therapist, client_user, MARCH_3)
    assert [v.relation for v in _visits(login(client_user))] == ["a therapist at your clinic"]


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
    whats = [what for _, _, what in _lines(login(client_user))]
    assert whats[0] == "saw your name in their list of clients"
    assert whats[1].startswith("looked at your record")


def test_visits_are_paged_twenty_at_a_time(episode, therapist, client_user, login):
    for n in range(45):
        _seen(therapist, client_user, MARCH_3 - timedelta(hours=n), record_id=f"v{n}")
    carla = login(client_user)
    first = carla.get(reverse("access_log"))
    upto = first.context["upto"]
    pages = [first.context["visits"]] + [_visits(carla, page=n, upto=upto) for n in (2, 3)]
    assert [len(p) for p in pages] == [20, 20, 5]
    assert [_visits(carla, page=n, upto=upto) != [] for n in (3, 4)] == [True, False]
    ends = [v.end for p in pages for v in p]
    assert ends == sorted(ends, reverse=True) and len(set(ends)) == 45
    assert 'href="?page=2&amp;upto=' in first.content.decode()


def test_a_page_stays_the_same_while_new_visits_arrive(episode, therapist, client_user, login):
    for n in range(25):
        _seen(therapist, client_user, MARCH_3 - timedelta(hours=n))
    carla = login(client_user)
    upto = carla.get(reverse("access_log")).context["upto"]
    before = [v.end for v in _visits(carla, page=2, upto=upto)]
    for n in range(3):
        _seen(therapist, client_user, MARCH_3 + timedelta(hours=n + 1))
    assert [v.end for v in _visits(carla, page=2, upto=upto)] == before
    assert len(_visits(carla, page=2)) == 8  # from the newest again: three more visits


def test_a_page_out_of_range_or_unreadable_shows_a_page(episode, therapist, client_user, login):
    _seen(therapist, client_user, MARCH_3)
    carla = login(client_user)
    for query in ({"page": "x"}, {"page": "-2"}, {"upto": "x"}, {"upto": "-3"}, {"upto": "9" * 30}):
        response = carla.get(reverse("access_log"), query)
        assert response.status_code == 200 and len(response.context["visits"]) == 1
    beyond = carla.get(reverse("access_log"), {"page": "99"})
    assert beyond.status_code == 200 and beyond.context["visits"] == []
    assert "There are no older visits." in beyond.content.decode()


def test_the_page_costs_the_same_queries_with_a_long_history(
    episode, therapist, client_user, login, django_assert_num_queries
):
    carla = login(client_user)
    _seen(therapist, client_user, MARCH_3)
    carla.get(reverse("access_log"))  # the session and the like are warm
    with CaptureQueriesContext(connection) as short:
        carla.get(reverse("access_log"))
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                at=MARCH_3 - timedelta(minutes=7 * n),
                clinic_id=client_user.clinic_id,
                actor=therapist,
                actor_display="Teresa Tran",
                actor_role="therapist",
                action="list",
                record_type="outcome_response",
                record_id=str(n),
                subject=client_user,
            )
            for n in range(600)
        ]
    )
    with CaptureQueriesContext(connection) as long:
        page = carla.get(reverse("access_log"))
    assert len(long.captured_queries) == len(short.captured_queries)
    assert len(page.context["visits"]) == 1  # every 7 minutes: one long visit


def test_system_work_and_the_clients_own_visits_are_not_listed(episode, client_user, attend, login):
    checkin_submit(
        session=attend(episode, 1), client=client_user, answers=TENSION, form_token="0" * 32
    )
    browser = login(client_user)
    browser.get(reverse("client_home"))
    browser.get(reverse("access_log"))
    assert AuditEvent.objects.filter(actor_role=ActorRole.SYSTEM, subject=client_user).exists()
    assert list(_visits(browser)) == []


def test_another_clients_events_are_not_listed(
    episode, other_episode, other_therapist, client_user, other_client, login
):
    login(other_therapist).get(f"/clients/{other_client.id}/")
    assert list(_visits(login(client_user))) == []


def test_the_client_never_reads_the_word_alert(episode, therapist, client_user, attend, login):
    checkin_submit(
        session=attend(episode, 1), client=client_user, answers=TENSION, form_token="1" * 32
    )
    login(therapist).get(f"/alerts/{Alert.objects.get().id}/")
    [(_, _, what)] = _lines(login(client_user))
    assert "alert" not in what.lower()
    assert "their notes about your check-ins" in what


def test_a_kind_of_row_without_words_yet_says_what_sort_of_thing_was_done(
    episode, therapist, client_user, login
):
    _seen(therapist, client_user, MARCH_3, RecordType.ALERT, AuditAction.EXPORT)
    _seen(therapist, client_user, MARCH_3, RecordType.ALERT, AuditAction.ANONYMISE)
    [(_, _, what)] = _lines(login(client_user))
    assert what == "looked at other parts of your record and added to or updated your record"


# --- the admin's log in words -------------------------------------------------------------------


def _admin_page(login, admin, **query) -> str:
    return login(admin).get(reverse("audit_log"), query).content.decode()


def test_the_admins_log_says_what_happened_in_words_not_codes(
    admin, episode, therapist, client_user, login
):
    _seen(therapist, client_user, MARCH_3, RecordType.ALERT, AuditAction.TRANSITION,
          record_id="7f1c9a52-5d0e-4a43-9d5b-1c2b3a4d5e6f", detail="repair_recorded")  # fmt: skip
    _seen(therapist, client_user, MARCH_3, RecordType.CHECKIN, AuditAction.UPDATE,
          record_id="0b0e4c1e-8f5c-4c9e-a7a8-2b2f7d8b9c0d", detail="read")  # fmt: skip
    page = _admin_page(login, admin, person=therapist.id)
    assert "<td>Recorded a repair</td>" in page and "<td>Read a check-in</td>" in page
    assert "repair_recorded" not in page and "(read)" not in page
    # A clinical record is a label: the admin never opens it, and never reads its raw id.
    assert "<td>Alert</td>" in page and "<td>Check-in</td>" in page
    assert "7f1c9a52" not in page and "0b0e4c1e" not in page


def test_records_the_admin_may_open_are_links(admin, client_user, login):
    _seen(admin, client_user, MARCH_3, RecordType.PERSON, AuditAction.UPDATE, detail="deactivated",
          record_id=str(client_user.id))  # fmt: skip
    page = _admin_page(login, admin, action="update")
    assert "<td>Deactivated an account</td>" in page
    assert f'<a href="{reverse("clinic_people")}">Person</a>' in page
    assert str(client_user.id) not in page.split("<tbody>")[1]


def test_the_page_a_row_came_from_is_in_words(admin, episode, therapist, client_user, login):
    login(therapist).get(f"/clients/{client_user.id}/")
    page = _admin_page(login, admin, person=therapist.id)
    assert "Client detail" in page and ">client_detail<" not in page


def test_the_page_a_row_came_from_is_in_the_readers_language(
    admin, episode, therapist, client_user, login
):
    login(therapist).get(f"/clients/{client_user.id}/")
    admin.language = "fr-ca"
    admin.save(update_fields=["language"])
    page = _admin_page(login, admin, person=therapist.id)
    assert "Dossier du client" in page and "Client detail" not in page


def test_a_code_without_words_yet_still_reads_as_words():
    from alliance.audit.words import describe_for_staff

    event = AuditEvent(record_type="risk_followup", action="create", detail="contacted_client")
    assert describe_for_staff(event) == "Created: risk followup (contacted client)"


def test_the_export_says_what_happened_in_words_too(admin, client_user, login):
    _seen(admin, client_user, MARCH_3, RecordType.PERSON, AuditAction.LEGAL_HOLD)
    table = _csv(login(admin).get(reverse("audit_export"), {"action": "legal_hold"}))
    assert table[0][-1] == "what happened"
    assert [row[-1] for row in table[1:]] == ["Placed a legal hold"]
