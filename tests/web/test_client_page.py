"""The therapist's client page: sections with the latest first, session history ten a page,
and charts a phone can read (the latest points, drawn narrow; the table keeps every one)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from alliance.checkins.charts import ChartPoint, alliance_svg, recent_alliance_svg
from alliance.checkins.services import checkin_submit
from alliance.diary.charts import Series, line_chart_svg
from alliance.outcomes.charts import OutcomePoint, outcome_svg
from alliance.people.models import CareEpisode, Session, SessionStatus, User
from tests.conftest import GOOD_ANSWERS


@pytest.fixture
def history(episode: CareEpisode) -> CareEpisode:
    """25 sessions a week apart, the last one yesterday, and session 26 in six days."""
    now = timezone.now()
    for number in range(1, 26):
        Session.objects.create(
            episode=episode,
            number=number,
            scheduled_at=now - timedelta(days=1 + 7 * (25 - number)),
            status=SessionStatus.MISSED,
        )
    Session.objects.create(episode=episode, number=26, scheduled_at=now + timedelta(days=6))
    return episode


def page_of(browser: Client, client: User, query: str = "") -> str:
    response = browser.get(f"/clients/{client.id}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def listed_sessions(html: str) -> list[int]:
    table = html.split('<table class="sessions">')[1].split("</table>")[0]
    return [int(n) for n in re.findall(r'<th scope="row">(\d+)</th>', table)]


def test_sessions_are_listed_newest_first_ten_a_page(
    history: CareEpisode, therapist: User, client_user: User, login: Callable[[User], Client]
):
    browser = login(therapist)
    first = page_of(browser, client_user)
    assert listed_sessions(first) == list(range(26, 16, -1))
    assert "Sessions, newest first (1 to 10 of 26)" in first
    assert "Page 1 of 3" in first and "?sessions_page=2#sessions-h" in first
    assert listed_sessions(page_of(browser, client_user, "?sessions_page=2")) == list(
        range(16, 6, -1)
    )
    last = page_of(browser, client_user, "?sessions_page=3")
    assert listed_sessions(last) == list(range(6, 0, -1))
    assert "?sessions_page=2#sessions-h" in last and "Older sessions" not in last


@pytest.mark.parametrize(("query", "shown"), [("abc", 26), ("0", 6), ("-1", 6), ("99", 6)])
def test_a_page_number_that_cannot_be_used_shows_the_nearest_page(
    history: CareEpisode,
    therapist: User,
    client_user: User,
    login: Callable[[User], Client],
    query: str,
    shown: int,
):
    html = page_of(login(therapist), client_user, f"?sessions_page={query}")
    assert listed_sessions(html)[0] == shown


def test_a_short_history_has_no_pager(
    episode: CareEpisode, therapist: User, client_user: User, login: Callable[[User], Client]
):
    Session.objects.create(episode=episode, number=1, scheduled_at=timezone.now())
    html = page_of(login(therapist), client_user)
    assert listed_sessions(html) == [1]
    assert 'aria-label="Session pages"' not in html


def test_sections_come_latest_first_now_then_alliance_outcomes_diary_sessions(
    history: CareEpisode, therapist: User, client_user: User, login: Callable[[User], Client]
):
    html = page_of(login(therapist), client_user)
    ids = ["now-h", "alerts-h", "next-h", "chart-h", "outcomes-h", "diary-h", "sessions-h"]
    positions = [
        html.index(f'<h{2 if i != "alerts-h" and i != "next-h" else 3} id="{i}"') for i in ids
    ]
    assert positions == sorted(positions)
    now_section = html[positions[0] : positions[3]]
    assert "Session 26, " in now_section  # the next session, in the "Now" section
    for anchor in ("#now-h", "#chart-h", "#outcomes-h", "#diary-h", "#sessions-h"):
        assert f'href="{anchor}"' in html


def test_no_next_session_says_so(
    episode: CareEpisode, therapist: User, client_user: User, login: Callable[[User], Client]
):
    html = page_of(login(therapist), client_user)
    assert "None scheduled." in html
    assert "<caption>Sessions</caption>" in html and "No sessions yet." in html


def test_the_phone_chart_shows_the_latest_ten_check_ins_and_the_table_every_one(
    episode: CareEpisode,
    therapist: User,
    client_user: User,
    attend: Callable[..., Session],
    login: Callable[[User], Client],
):
    now = timezone.now()
    for number in range(1, 13):
        at = now - timedelta(days=7 * (12 - number), hours=1)
        checkin_submit(
            session=attend(episode, number, at),
            client=client_user,
            answers=GOOD_ANSWERS,
            form_token=uuid.uuid4(),
            now=at + timedelta(minutes=5),
        )
    html = page_of(login(therapist), client_user)
    wide = html.split('<svg class="chart chart-wide"')[1].split("</svg>")[0]
    narrow = html.split('<svg class="chart chart-recent"')[1].split("</svg>")[0]
    assert (wide.count('<circle class="dot"'), narrow.count('<circle class="dot"')) == (12, 10)
    assert 'id="chart-recent-title">Alliance, latest 10 of 12 check-ins</title>' in narrow
    assert "The latest 10 of 12 check-ins. The table below has every one." in html
    table = html.split("<caption>Alliance by session, newest first</caption>")[1]
    rows = re.findall(r'<th scope="row">Session (\d+),', table.split("</table>")[0])
    assert rows == [str(n) for n in range(12, 0, -1)]


def test_the_narrow_alliance_chart_is_narrow_and_keeps_its_ids_apart():
    points = [ChartPoint(n, 4.0, f"Session {n}") for n in range(1, 15)]
    wide, narrow = alliance_svg(points), recent_alliance_svg(points, title="Latest")
    assert 'viewBox="0 0 640 240"' in wide and 'aria-labelledby="chart-title chart-desc"' in wide
    assert 'viewBox="0 0 360 240"' in narrow
    assert 'aria-labelledby="chart-recent-title chart-recent-desc"' in narrow
    assert narrow.count('<circle class="dot"') == 10
    # The latest session is the last axis label, at the right edge of the narrow plot.
    assert '<text class="axis" x="348.0" y="222" text-anchor="middle">14</text>' in narrow


def test_the_narrow_outcome_chart_leaves_the_band_names_to_the_table():
    points = [OutcomePoint(float(v), f"p{v}", f"s{v}") for v in (20, 15, 10)]
    args = {"title": "PHQ-9", "low": 0, "high": 27, "bands": [(0, "Minimal"), (10, "Moderate")]}
    wide = outcome_svg(points, **args, higher_is_better=False, chart_id="phq9")
    narrow = outcome_svg(points, **args, higher_is_better=False, chart_id="phq9-r", narrow=True)
    assert "Moderate (10+)" in wide and "band-label" not in narrow
    assert (
        'viewBox="0 0 360 260"' in narrow and 'class="chart outcome-chart chart-recent"' in narrow
    )
    assert narrow.count('<rect class="band') == 2


def test_the_narrow_diary_chart_is_drawn_narrow():
    from datetime import date

    days = [date(2026, 3, 2) + timedelta(days=i) for i in range(14)]
    series = [Series("urge_suicide", "Suicide", [1] * 14)]
    svg = line_chart_svg(
        chart_id="u", title="Urges", days=days, series=series, y_max=5, what="Urges", narrow=True
    )
    assert 'class="chart diary-chart chart-recent" viewBox="0 0 360 220"' in svg
    assert '<polyline class="line series series-0" points="32.0,' in svg
    assert " 348.0," in svg.split("<polyline")[1].split("/>")[0]
