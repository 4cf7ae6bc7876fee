"""The client timeline on a phone (390 px): the page never scrolls sideways, each lane scrolls in
its own box and opens at the latest days, on the right; axe finds no WCAG A/AA violation."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from alliance.checkins.models import CheckIn
from alliance.diary.models import DiaryCard, DiaryStatus
from alliance.people.models import CareEpisode, Session, SessionStatus, User
from tests.browser.conftest import Traffic, assert_clean, log_in
from tests.browser.test_accessibility import Audit

pytestmark = pytest.mark.browser

LANES = """() => Array.from(document.querySelectorAll(".lane-scroll")).map((box) => {
  const lane = box.querySelector("svg").getBoundingClientRect();
  const seen = box.getBoundingClientRect();
  return {wide: box.scrollWidth > box.clientWidth, rightGap: Math.abs(lane.right - seen.right),
          leftHidden: seen.left - lane.left};
})"""


def _history(episode: CareEpisode) -> None:
    today = timezone.localdate()
    CareEpisode.objects.filter(pk=episode.pk).update(started_on=today - timedelta(days=200))
    for n in range(1, 27):
        when = timezone.now() - timedelta(days=7 * (27 - n))
        session = Session.objects.create(
            episode=episode, number=n, scheduled_at=when, status=SessionStatus.ATTENDED
        )
        CheckIn.objects.create(
            session=session,
            episode=episode,
            client=episode.client,
            bond=5,
            tasks=4 + n % 3,
            goals=5,
            tension=0,
            alliance=(9 + 4 + n % 3) / 3,
            form_token=uuid.uuid4(),
        )
    for offset in range(30):
        day: date = today - timedelta(days=offset)
        DiaryCard.objects.create(
            episode=episode,
            client=episode.client,
            day=day,
            status=DiaryStatus.SUBMITTED,
            submitted_at=timezone.now(),
            urge_self_harm=offset % 6,
            skills_code=offset % 8,
        )


def test_on_a_phone_each_lane_opens_at_the_latest_days(
    open_page: Any, traffic: Traffic, episode: CareEpisode, therapist: User, client_user: User
) -> None:
    _history(episode)
    page = open_page(phone=True)
    log_in(page, therapist.email)
    response = page.goto(f"/clients/{client_user.id}/timeline/")
    assert response is not None and response.status == 200
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    lanes = page.evaluate(LANES)
    assert len(lanes) == 4  # alliance, ruptures, diary card, sessions (no questionnaire here)
    for lane in lanes:
        assert lane["wide"]  # wider than the phone: it scrolls in its box
        assert lane["rightGap"] < 1  # the lane's right edge (today) is in view
        assert lane["leftHidden"] > 100  # the older days are off to the left
    audit = Audit()
    audit(page, "timeline on a phone")
    audit.assert_clean()
    assert_clean(traffic)
