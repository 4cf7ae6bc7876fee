"""The client home pages its check-ins: the same queries and size however long the history."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.checkins.models import CheckIn
from alliance.checkins.selectors import HISTORY_PAGE
from alliance.people.models import Session, SessionStatus

LINK = re.compile(r'href="/checkins/([0-9a-f-]+)/thanks/"')


def history(episode, client_user, n, *, first=1, weeks_ago=1):
    """``n`` weekly attended sessions numbered from ``first`` with a check-in each, the latest
    ``weeks_ago`` weeks ago."""
    now = timezone.now()
    sessions = Session.objects.bulk_create(
        Session(
            episode=episode,
            number=first + i,
            scheduled_at=now - timedelta(days=7 * (n - i - 1 + weeks_ago)),
            status=SessionStatus.ATTENDED,
        )
        for i in range(n)
    )
    CheckIn.objects.bulk_create(
        CheckIn(
            session=s,
            episode=episode,
            client=client_user,
            bond=6,
            tasks=6,
            goals=6,
            tension=0,
            alliance=6.0,
            submitted_at=s.scheduled_at + timedelta(hours=1),
            form_token=uuid.uuid4(),
        )
        for s in sessions
    )
    return sessions


def test_the_home_shows_the_latest_page_and_a_link_to_older_ones(login, episode, client_user):
    sessions = history(episode, client_user, 25)
    carla = login(client_user)
    page = carla.get("/me/").content.decode()
    latest = [str(s.id) for s in reversed(sessions)]
    assert LINK.findall(page) == latest[:HISTORY_PAGE]
    assert 'href="?page=2#history-h">Older check-ins</a>' in page
    assert "Newer check-ins" not in page

    second = carla.get("/me/?page=2").content.decode()
    assert LINK.findall(second) == latest[HISTORY_PAGE : 2 * HISTORY_PAGE]
    assert 'href="?page=1#history-h">Newer check-ins</a>' in second
    assert 'href="?page=3#history-h">Older check-ins</a>' in second

    last = carla.get("/me/?page=3").content.decode()
    assert LINK.findall(last) == latest[2 * HISTORY_PAGE :]
    assert "Older check-ins" not in last and "Newer check-ins" in last


def test_a_page_past_the_end_or_a_bad_page_number_is_not_an_error(login, episode, client_user):
    history(episode, client_user, 3)
    carla = login(client_user)
    past = carla.get("/me/?page=9")
    assert past.status_code == 200
    assert "There are no older check-ins." in past.content.decode()
    for bad in ("abc", "0", "-3", "99999999999999999999"):
        response = carla.get(f"/me/?page={bad}")
        assert response.status_code == 200
    assert len(LINK.findall(carla.get("/me/?page=abc").content.decode())) == 3


def test_the_home_costs_the_same_for_5_and_200_check_ins(
    login, episode, client_user, django_assert_num_queries
):
    history(episode, client_user, 5, first=196)
    carla = login(client_user)
    carla.get("/me/")
    with CaptureQueriesContext(connection) as few:
        small = carla.get("/me/").content.decode()
    assert len(LINK.findall(small)) == 5

    history(episode, client_user, 195, first=1, weeks_ago=6)  # older sessions
    assert CheckIn.objects.filter(episode=episode).count() == 200
    with django_assert_num_queries(len(few.captured_queries)):
        large = carla.get("/me/").content.decode()
    assert len(LINK.findall(large)) == HISTORY_PAGE
    # The page does not grow with the history either: ten rows and an "older" link.
    assert len(large) < len(small) + 2_000
