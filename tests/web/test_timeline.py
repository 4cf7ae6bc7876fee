"""The client timeline, the session-prep summary (page and PDF) and the ruptures-and-urges
figure: what each shows, what it leaves out, what it logs, and how many queries it takes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.absences.models import Absence, AbsenceCancellation
from alliance.audit.models import AuditAction, AuditEvent, RecordType
from alliance.checkins.models import CheckIn
from alliance.core.timeline import Window
from alliance.diary.models import DiaryCard, DiaryStatus
from alliance.people.models import CareEpisode, Role, Session, SessionStatus, User
from alliance.ratings.models import TherapistRating
from alliance.ruptures.models import (
    Alert,
    AlertCategory,
    AlertState,
    CloseReason,
    RepairRecord,
)
from alliance.safetyplan.services import safety_plan_review, safety_plan_save
from alliance.timeline.lanes import AwayBand, axis_for, sessions_lane
from alliance.timeline.pdf import _fetch_nothing

NOW = datetime(2026, 3, 20, 17, 0, tzinfo=UTC)  # 13:00 in Toronto, Friday 20 March


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _session(episode: CareEpisode, number: int, day: date, status: str = "attended") -> Session:
    return Session.objects.create(
        episode=episode,
        number=number,
        scheduled_at=datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC),
        status=status,
    )


def _checkin(session: Session, bond: int, tasks: int, goals: int, **extra: Any) -> CheckIn:
    return CheckIn.objects.create(
        session=session,
        episode=session.episode,
        client=session.episode.client,
        bond=bond,
        tasks=tasks,
        goals=goals,
        tension=extra.pop("tension", 0),
        alliance=(bond + tasks + goals) / 3,
        form_token=uuid.uuid4(),
        submitted_at=session.scheduled_at + timedelta(hours=2),
        **extra,
    )


def _rupture(session: Session, state: str = AlertState.OPEN, **extra: Any) -> Alert:
    return Alert.objects.create(
        episode=session.episode,
        category=AlertCategory.RUPTURE,
        session=session,
        severity=2,
        state=state,
        summary="The client said there was some tension.",
        created_at=session.scheduled_at + timedelta(hours=2),
        **extra,
    )


def _card(episode: CareEpisode, day: date, *, status: str = DiaryStatus.SUBMITTED, **answers: Any):
    return DiaryCard.objects.create(
        episode=episode,
        client=episode.client,
        day=day,
        status=status,
        submitted_at=NOW if status == DiaryStatus.SUBMITTED else None,
        **answers,
    )


def _rating(session: Session, bond: int, tasks: int, goals: int) -> TherapistRating:
    return TherapistRating.objects.create(
        session=session,
        episode=session.episode,
        therapist=session.episode.therapist,
        bond=bond,
        tasks=tasks,
        goals=goals,
        alliance=(bond + tasks + goals) / 3,
        version=1,
        form_token=uuid.uuid4(),
    )


def _absence(episode: CareEpisode, first: date, last: date, *, cancelled: bool = False) -> Absence:
    cover = User.objects.create_user(
        f"cover-{uuid.uuid4().hex[:8]}@example.org",
        "not-used-to-sign-in",
        role=Role.THERAPIST,
        clinic=episode.clinic,
        full_name="Cover",
    )
    return Absence.objects.create(
        clinic=episode.clinic,
        therapist=episode.therapist,
        starts_on=first,
        ends_on=last,
        cover=cover,
        cover_contact="Front desk, extension 12",
        cancelled_at=NOW if cancelled else None,
    )


def _get(browser: Client, name: str, client: User, query: str = "") -> Any:
    return browser.get(reverse(name, args=[client.id]) + query)


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the timeline ------------------------------------------------------------------------------


def test_each_lane_has_a_title_a_description_and_a_table_latest_first(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    _checkin(_session(episode, 1, date(2026, 3, 2)), 5, 5, 5)
    _checkin(_session(episode, 2, date(2026, 3, 9)), 6, 4, 5)
    page = _text(_get(login(therapist), "timeline", client_user))
    for lane in ("alliance", "ruptures", "diary", "sessions"):
        assert f'<title id="lane-{lane}-title">' in page
        assert f'<desc id="lane-{lane}-desc">' in page
    assert "2 check-ins from 2 Mar 2026 to 9 Mar 2026, on a scale of 1 to 7." in page
    assert "latest 5.0 (bond 6, tasks 4, goals 5)" in page
    rows = re.findall(
        r'<tr><th scope="row">(\d+ Mar 2026)</th><td>(\d)</td><td>([\d.]+)</td>', page
    )
    assert rows == [("9 Mar 2026", "2", "5.0"), ("2 Mar 2026", "1", "5.0")]


def test_a_bad_range_is_a_400_that_names_the_choices(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    response = _get(login(therapist), "timeline", client_user, "?range=6m")
    assert response.status_code == 400
    page = _text(response)
    assert "“6m” is not a period this page can show." in page
    assert "3 months, 1 year or everything since care began" in page
    assert "<svg" not in page


def test_html_in_the_range_is_escaped_in_the_error(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    response = _get(login(therapist), "timeline", client_user, "?range=<b>x</b>")
    assert response.status_code == 400
    assert b"<b>x</b>" not in response.content
    assert b"&lt;b&gt;x&lt;/b&gt;" in response.content


def test_three_months_leaves_out_what_came_before(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    CareEpisode.objects.filter(pk=episode.pk).update(started_on=date(2025, 6, 1))
    _checkin(_session(episode, 1, date(2025, 12, 19)), 2, 2, 2)  # the day before 3 months
    _checkin(_session(episode, 2, date(2025, 12, 20)), 6, 6, 6)  # the first day shown
    browser = login(therapist)
    recent = _text(_get(browser, "timeline", client_user, "?range=3m"))
    assert "20 Dec 2025 to 20 Mar 2026" in recent
    assert "1 check-in from 20 Dec 2025" in recent
    everything = _text(_get(browser, "timeline", client_user, "?range=all"))
    assert "1 Jun 2025 to 20 Mar 2026" in everything
    assert "2 check-ins from 19 Dec 2025" in everything


def test_the_zoom_link_in_use_is_marked(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    page = _text(_get(login(therapist), "timeline", client_user, "?range=all"))
    assert '<a href="?range=all" aria-current="page">Everything</a>' in page
    assert '<a href="?range=3m">3 months</a>' in page


def test_ruptures_show_where_they_stand_and_the_urges_around_them(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    CareEpisode.objects.filter(pk=episode.pk).update(started_on=date(2026, 1, 1))
    open_one = _session(episode, 1, date(2026, 3, 10))
    _rupture(open_one)
    resolved = _session(episode, 2, date(2026, 2, 10))
    _rupture(resolved, AlertState.RESOLVED, resolved_at=datetime(2026, 2, 17, 16, tzinfo=UTC))
    # Around 10 March: before (3–9 Mar) urges 2 and 4 -> 3.0; after (11–17 Mar) 1 -> 1.0.
    _card(episode, date(2026, 3, 3), urge_self_harm=2, skills_code=3)
    _card(episode, date(2026, 3, 9), urge_suicide=1, urge_quit=4, skills_code=5)
    _card(episode, date(2026, 3, 10), urge_self_harm=5)  # the rupture's own day: in neither
    _card(episode, date(2026, 3, 12), urge_substance=1, skills_code=6)
    page = _text(_get(login(therapist), "timeline", client_user))
    assert "2 ruptures in this period: 1 open; 1 resolved by the client." in page
    row = re.search(
        r'<th scope="row"><a href="/alerts/[^"]+/">10 Mar 2026</a></th>(.*?)</tr>', page
    )
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells == ["1", "Open", "Still open", "3.0", "1.0", "4.0", "6.0"]
    assert "Session 1, 10 Mar 2026: open. Highest urge in the 7 days 3.0 before (2 days)" in page


def test_drafts_never_reach_the_timeline(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    _card(episode, date(2026, 3, 18), status=DiaryStatus.DRAFT, urge_suicide=5)
    page = _text(_get(login(therapist), "timeline", client_user))
    assert "No diary cards sent in this period." in page


def test_missed_and_cancelled_sessions_have_their_own_marks(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    _session(episode, 1, date(2026, 3, 2), SessionStatus.MISSED)
    _session(episode, 2, date(2026, 3, 9), SessionStatus.CANCELLED_CLIENT)
    _session(episode, 3, date(2026, 3, 16), SessionStatus.ATTENDED)
    _session(episode, 4, date(2026, 3, 23))  # still to come: not on the timeline
    page = _text(_get(login(therapist), "timeline", client_user))
    assert "3 sessions in this period: 1 missed, 1 cancelled by client, 1 attended." in page
    assert page.count('class="session-missed"') == 1
    assert page.count('class="session-cancelled"') == 1


def test_the_timeline_logs_each_record_it_shows(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    checkin = _checkin(_session(episode, 1, date(2026, 3, 2)), 5, 5, 5)
    card = _card(episode, date(2026, 3, 3), urge_suicide=0)
    _get(login(therapist), "timeline", client_user)
    listed = set(
        AuditEvent.objects.filter(
            actor=therapist, action=AuditAction.LIST, route="timeline"
        ).values_list("record_type", "record_id")
    )
    assert listed == {(RecordType.CHECKIN, str(checkin.id)), (RecordType.DIARY_CARD, str(card.id))}


def _fill(episode: CareEpisode, sessions: int) -> None:
    for n in range(1, sessions + 1):
        day = date(2026, 1, 1) + timedelta(days=7 * n)
        session = _session(episode, n, day)
        _checkin(session, 5, 5, 5)
        if n % 3 == 1:  # a rupture in each set: the repair records' query runs in both
            _rupture(session)
        if n % 2 == 0:  # the therapist's own rating, on every other session
            _rating(session, 5, 4, 6)
        if n % 4 == 2:  # a week away, and the session it cancelled
            absence = _absence(episode, day + timedelta(days=1), day + timedelta(days=6))
            away = _session(episode, 100 + n, day + timedelta(days=2), "cancelled_therapist")
            AbsenceCancellation.objects.create(absence=absence, session=away)
        for offset in range(7):
            _card(episode, day + timedelta(days=offset), urge_suicide=n % 6, skills_code=4)


@pytest.mark.parametrize("route", ["timeline", "session_prep"])
def test_the_number_of_queries_does_not_grow_with_the_records(
    episode: CareEpisode,
    login: Callable[[User], Client],
    therapist: User,
    client_user: User,
    route: str,
) -> None:
    CareEpisode.objects.filter(pk=episode.pk).update(started_on=date(2026, 1, 1))
    browser = login(therapist)
    _get(browser, route, client_user)  # the first request of a session reads a little more
    _fill(episode, 2)
    with CaptureQueriesContext(connection) as few:
        assert _get(browser, route, client_user).status_code == 200
    DiaryCard.objects.all().delete()
    Alert.objects.all().delete()
    TherapistRating.objects.all().delete()
    AbsenceCancellation.objects.all().delete()
    Absence.objects.all().delete()
    CheckIn.objects.all().delete()
    Session.objects.all().delete()
    _fill(episode, 10)
    with CaptureQueriesContext(connection) as many:
        assert _get(browser, route, client_user).status_code == 200
    assert len(many) == len(few), "\n".join(q["sql"][:90] for q in many.captured_queries)


# --- the session-prep summary ------------------------------------------------------------------


@pytest.fixture
def prep_story(episode: CareEpisode) -> dict[str, Any]:
    CareEpisode.objects.filter(pk=episode.pk).update(started_on=date(2026, 1, 1))
    first = _session(episode, 1, date(2026, 3, 9))
    _checkin(first, 6, 6, 6)
    last = _session(episode, 2, date(2026, 3, 16))
    _checkin(last, 4, 5, 3, tension=2, talked=0, resolved=1, comment="<b>I felt rushed</b>")
    alert = _rupture(last, AlertState.ACKNOWLEDGED)
    RepairRecord.objects.create(
        alert=alert,
        recorded_by=episode.therapist,
        rupture_type="withdrawal",
        markers=[],
        strategies=[],
        notes="Seemed to shut down after the homework talk",
        next_session_plan="Ask about the homework moment first",
    )
    _card(episode, date(2026, 3, 15), urge_self_harm=5)  # before the last session: left out
    _card(episode, date(2026, 3, 17), urge_self_harm=3, acted_self_harm=True, action_self_harm=2)
    _card(episode, date(2026, 3, 18), urge_self_harm=1, skills_code=5, note="Hard evening")
    _session(episode, 3, date(2026, 3, 23), SessionStatus.SCHEDULED)
    return {"alert": alert}


def test_the_prep_summary_says_what_changed_since_the_last_session(
    prep_story: dict[str, Any],
    login: Callable[[User], Client],
    therapist: User,
    client_user: User,
) -> None:
    page = _text(_get(login(therapist), "session_prep", client_user))
    assert "Next session: 3, Monday 23 March 2026, 11:00." in page
    assert "Changes since session 2 on 16 March 2026." in page
    # The check-in and its change from the one before: alliance 4.0 from 6.0.
    assert '<th scope="row">Alliance (1–7)</th><td>4</td><td>-2</td>' in page
    assert '<th scope="row">Tension or feeling unheard</th><td colspan="2">Some</td>' in page
    assert "2 cards sent from 16 Mar to 20 Mar 2026." in page
    assert "<td>3 (Tue 17 Mar)</td><td>2.0</td><td>1</td>" in page
    assert "Self-harm actions: 2." in page
    assert "Session 2 (16 Mar 2026): acknowledged" in page
    assert "<dd>Withdrawal" in page


def test_the_prep_summary_leaves_free_text_out_until_the_box_is_ticked(
    prep_story: dict[str, Any],
    login: Callable[[User], Client],
    therapist: User,
    client_user: User,
) -> None:
    browser = login(therapist)
    plain = _text(_get(browser, "session_prep", client_user))
    for words in ("I felt rushed", "Hard evening", "homework", "shut down"):
        assert words not in plain
    assert "The client wrote a comment (left out)." in plain
    assert "Written (free text, left out)." in plain
    assert '<input type="checkbox" name="notes" value="1">' in plain
    ticked = _text(_get(browser, "session_prep", client_user, "?notes=1"))
    assert "&lt;b&gt;I felt rushed&lt;/b&gt;" in ticked  # the client's words, escaped
    assert "Hard evening" in ticked
    assert "Ask about the homework moment first" in ticked
    assert '<input type="checkbox" name="notes" value="1" checked>' in ticked


def test_the_prep_summary_is_logged_with_whether_notes_were_shown(
    prep_story: dict[str, Any],
    login: Callable[[User], Client],
    therapist: User,
    client_user: User,
) -> None:
    browser = login(therapist)
    _get(browser, "session_prep", client_user)
    _get(browser, "session_prep", client_user, "?notes=1")
    details = sorted(
        AuditEvent.objects.filter(
            actor=therapist, record_type=RecordType.SESSION_PREP, action=AuditAction.VIEW
        ).values_list("detail", flat=True)
    )
    assert details == ["", "with_notes"]


def test_the_pdf_is_a_pdf_download_and_its_export_is_logged(
    prep_story: dict[str, Any],
    login: Callable[[User], Client],
    therapist: User,
    client_user: User,
) -> None:
    response = _get(login(therapist), "session_prep_pdf", client_user, "?notes=1")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="session-prep-2026-03-20.pdf"'
    assert response.content.startswith(b"%PDF-")
    export = AuditEvent.objects.get(actor=therapist, action=AuditAction.EXPORT)
    assert (export.record_type, export.detail, export.subject_id) == (
        RecordType.SESSION_PREP,
        "pdf_with_notes",
        client_user.id,
    )


def test_the_pdf_maker_fetches_nothing() -> None:
    with pytest.raises(ValueError, match="loads nothing"):
        _fetch_nothing("http://example.org/tracker.png")


# --- ruptures and urges across the caseload ----------------------------------------------------


def _rupture_with_cards(
    episode: CareEpisode, number: int, day: date, before: int, after: int, **alert: Any
) -> None:
    session = _session(episode, number, day)
    _rupture(session, **alert)
    _card(episode, day - timedelta(days=2), urge_quit=before, skills_code=2)
    _card(episode, day + timedelta(days=2), urge_quit=after, skills_code=4)


def test_below_five_ruptures_a_group_shows_its_count_and_no_figure(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User
) -> None:
    for n in range(1, 4):
        _rupture_with_cards(episode, n, date(2026, 1, 5) + timedelta(days=14 * n), 1, 3)
    page = _text(login(therapist).get(reverse("rupture_urges")))
    assert "Not shown: fewer than 5 ruptures with cards on both sides (n = 3)" in page
    assert "Descriptive, not causal" in page
    assert "no published study links alliance ruptures to diary-card urges" in page


def test_five_ruptures_show_the_means_before_and_after_with_n(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User
) -> None:
    # Quit-therapy urge before 1,2,3,4,5 (mean 3.0), after 2,2,2,2,2 (mean 2.0).
    for n in range(1, 6):
        _rupture_with_cards(episode, n, date(2026, 1, 5) + timedelta(days=14 * n), n, 2)
    _rupture_with_cards(
        episode,
        6,
        date(2025, 12, 1),  # weeks away from the others: its cards are in no other window
        0,
        5,
        state=AlertState.CLOSED,
        close_reason=CloseReason.NOT_A_RUPTURE,
    )
    page = _text(login(therapist).get(reverse("rupture_urges")))
    assert "3.0 → 2.0 (change -1.0), n = 5" in page  # not repaired: all five are open
    assert "2.0 → 4.0 (change +2.0), n = 5" in page  # their skills code
    assert "1 alert closed as" in page and "is left out" in page
    assert "From 1 client." in page


def test_days_are_the_clients_own_dates(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    # 03:30 UTC on Monday 9 March is 23:30 on Sunday 8 March in Toronto, where Carla lives.
    session = Session.objects.create(
        episode=episode,
        number=1,
        scheduled_at=datetime(2026, 3, 9, 3, 30, tzinfo=UTC),
        status=SessionStatus.ATTENDED,
    )
    _checkin(session, 5, 5, 5)
    page = _text(_get(login(therapist), "timeline", client_user))
    assert "1 check-in from 8 Mar 2026 to 8 Mar 2026" in page


# --- the therapist's own rating: the second view of the same hour ------------------------------


def test_the_therapists_own_rating_is_a_second_line_and_a_column(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    first = _session(episode, 1, date(2026, 3, 2))
    _checkin(first, 5, 5, 5)
    _rating(first, 6, 4, 5)  # mean 5.0
    second = _session(episode, 2, date(2026, 3, 9))  # rated by the therapist only
    _rating(second, 7, 7, 4)  # mean 6.0
    _checkin(_session(episode, 3, date(2026, 3, 16)), 3, 4, 2)  # by the client only: mean 3.0
    page = _text(_get(login(therapist), "timeline", client_user))
    assert page.count('class="rating-mark"') == 2
    assert page.count('class="line rating-line"') == 1
    assert page.count('class="dot"') == 2
    assert "Your own rating of 2 sessions, latest 6.0 on 9 Mar 2026." in page
    assert "◆ dashed: your view (your own rating, the mean)" in page
    assert '<th scope="col">Your view (your mean)</th>' in page
    rows = re.findall(
        r'<tr><th scope="row">(\d+ Mar 2026)</th><td>(\d)</td>((?:<td>[^<]*</td>){5})</tr>', page
    )
    assert rows == [
        ("16 Mar 2026", "3", "<td>3.0</td><td>3</td><td>4</td><td>2</td><td>—</td>"),
        ("9 Mar 2026", "2", "<td>—</td><td>—</td><td>—</td><td>—</td><td>6.0</td>"),
        ("2 Mar 2026", "1", "<td>5.0</td><td>5</td><td>5</td><td>5</td><td>5.0</td>"),
    ]
    listed = AuditEvent.objects.filter(
        actor=therapist, route="timeline", record_type=RecordType.THERAPIST_RATING
    ).count()
    assert listed == 2


def test_without_a_rating_there_is_no_second_line(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    _checkin(_session(episode, 1, date(2026, 3, 2)), 5, 5, 5)
    _checkin(_session(episode, 2, date(2026, 3, 9)), 6, 6, 6)
    page = _text(_get(login(therapist), "timeline", client_user))
    assert "rating-mark" not in page and "rating-line" not in page
    assert "your view (your own rating" not in page
    assert "Your own rating" not in page
    assert "<td>6.0</td><td>6</td><td>6</td><td>6</td><td>—</td>" in page


def test_the_client_and_other_therapists_never_reach_the_therapists_rating(
    episode: CareEpisode,
    login: Callable[[User], Client],
    client_user: User,
    other_therapist: User,
) -> None:
    _rating(_session(episode, 1, date(2026, 3, 2)), 2, 2, 2)
    for who in (client_user, other_therapist):
        response = _get(login(who), "timeline", client_user)
        assert response.status_code == 404
        assert "Your view" not in response.content.decode()


# --- planned absences --------------------------------------------------------------------------


def test_absences_are_shaded_bands_and_the_sessions_they_cancelled_say_so(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    away = _absence(episode, date(2026, 3, 9), date(2026, 3, 13))
    _absence(episode, date(2026, 3, 2), date(2026, 3, 4), cancelled=True)  # called off
    _session(episode, 1, date(2026, 3, 2), SessionStatus.ATTENDED)
    cancelled = _session(episode, 2, date(2026, 3, 10), SessionStatus.CANCELLED_THERAPIST)
    AbsenceCancellation.objects.create(absence=away, session=cancelled)
    _session(episode, 3, date(2026, 3, 16), SessionStatus.CANCELLED_THERAPIST)  # not the absence
    page = _text(_get(login(therapist), "timeline", client_user))
    assert page.count('class="away-band"') == 1
    assert "Therapist away (shaded): 9 Mar 2026 to 13 Mar 2026." in page
    assert "2 Mar 2026 to 4 Mar 2026" not in page
    assert "3 sessions in this period: 1 attended, 1 cancelled: therapist away, " in page
    assert "1 cancelled by therapist." in page
    row = r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td><td>([^<]+)</td></tr>'
    rows = re.findall(row, page)
    assert rows[-4:] == [
        ("16 Mar 2026", "3", "Cancelled by therapist"),
        ("10 Mar 2026", "2", "Cancelled: therapist away"),
        ("9 Mar 2026 to 13 Mar 2026", "—", "Therapist away (planned)"),
        ("2 Mar 2026", "1", "Attended"),
    ]
    assert "shaded band marked “away”" in page


def test_a_session_put_back_when_an_absence_was_called_off_is_not_away(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    away = _absence(episode, date(2026, 3, 9), date(2026, 3, 13), cancelled=True)
    session = _session(episode, 1, date(2026, 3, 10), SessionStatus.ATTENDED)
    AbsenceCancellation.objects.create(absence=away, session=session, restored_at=NOW)
    page = _text(_get(login(therapist), "timeline", client_user))
    assert "away-band" not in page and "therapist away" not in page.lower().replace(
        "the therapist away", ""
    )
    assert "1 session in this period: 1 attended." in page


def test_an_absence_is_clipped_to_the_window() -> None:
    # 10 days, 1 to 10 March: left 116, right 708, so a day is 59.2 units wide.
    axis = axis_for(Window(date(2026, 3, 1), date(2026, 3, 10)))
    lane = sessions_lane(
        axis,
        [],
        [
            AwayBand(date(2026, 2, 25), date(2026, 3, 2)),  # 1 and 2 March inside
            AwayBand(date(2026, 3, 10), date(2026, 3, 10)),  # the last day alone
        ],
    )
    bands = [(s.x, s.w) for s in lane.shapes if s.css == "away-band"]
    assert bands == [("116.0", "118.4"), ("648.8", "59.2")]
    assert [row[0].text for row in lane.table.rows] == ["10 Mar 2026", "25 Feb 2026 to 2 Mar 2026"]
    assert lane.desc.endswith("Therapist away (shaded): 25 Feb 2026 to 2 Mar 2026; 10 Mar 2026.")


def test_an_absence_outside_the_window_draws_nothing() -> None:
    axis = axis_for(Window(date(2026, 3, 1), date(2026, 3, 10)))
    lane = sessions_lane(axis, [], [AwayBand(date(2026, 3, 11), date(2026, 3, 12))])
    assert not [s for s in lane.shapes if s.css.startswith("away")]


# --- the safety plan in the session-prep summary -----------------------------------------------


def _plan(episode: CareEpisode, text: str, base: int = 0) -> None:
    safety_plan_save(
        episode=episode,
        actor=episode.client,
        texts={"warning_signs": text, "reasons_for_living": "My sister"},
        base_version=base,
    )


def test_the_prep_summary_says_when_there_is_no_safety_plan(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    page = _text(_get(login(therapist), "session_prep", client_user))
    assert "No safety plan yet." in page
    assert not AuditEvent.objects.filter(record_type=RecordType.SAFETY_PLAN).exists()


def test_the_prep_summary_gives_the_plans_state_and_not_its_words(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    _plan(episode, "<i>Racing thoughts</i>")
    browser = login(therapist)
    page = _text(_get(browser, "session_prep", client_user))
    assert "Version 1, written 20 Mar 2026." in page
    assert "Not yet gone through together." in page
    assert "Racing thoughts" not in page and "My sister" not in page
    assert "The plan’s own words are left out of this copy." in page
    assert AuditEvent.objects.filter(
        actor=therapist, record_type=RecordType.SAFETY_PLAN, action=AuditAction.VIEW
    ).exists()

    plan = episode.safety_plan
    safety_plan_review(plan=plan, therapist=therapist, version=1)
    page = _text(_get(browser, "session_prep", client_user))
    assert "You went through it together on 20 Mar 2026; it has not changed since." in page

    _plan(episode, "Racing thoughts, not sleeping", base=1)
    page = _text(_get(browser, "session_prep", client_user))
    assert "Version 2, written 20 Mar 2026." in page
    assert (
        "You last went through it together on 20 Mar 2026 (version 1); it has changed since."
        in page
    )


def test_the_plans_words_only_with_the_box_ticked(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    _plan(episode, "<i>Racing thoughts</i>")
    page = _text(_get(login(therapist), "session_prep", client_user, "?notes=1"))
    assert "&lt;i&gt;Racing thoughts&lt;/i&gt;" in page
    assert "My sister" in page
    assert "left out of this copy." not in page


def test_the_prep_pdf_reads_the_plan_through_the_audited_getter(
    episode: CareEpisode, login: Callable[[User], Client], therapist: User, client_user: User
) -> None:
    _plan(episode, "Racing thoughts")
    response = _get(login(therapist), "session_prep_pdf", client_user)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(
        actor=therapist,
        record_type=RecordType.SAFETY_PLAN,
        action=AuditAction.VIEW,
        route="session_prep_pdf",
    ).exists()
