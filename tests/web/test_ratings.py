"""The therapist's view of a session, and the discrepancy signal it makes with the client's."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from alliance.audit.models import AuditEvent, RecordType
from alliance.checkins.services import checkin_submit
from alliance.people.models import CareEpisode, Session, User
from alliance.ratings.models import TherapistRating
from alliance.ratings.services import RatingError, rating_submit
from alliance.ruptures.models import Alert, AlertCategory, AlertState
from alliance.ruptures.services import alert_acknowledge
from tests.conftest import GOOD_ANSWERS

WARM = {"bond": "7", "tasks": "6", "goals": "7"}  # mean 6.67


def _checkin(session: Session, client: User, value: str) -> None:
    checkin_submit(
        session=session,
        client=client,
        answers={**GOOD_ANSWERS, "bond": value, "tasks": value, "goals": value},
        form_token=uuid.uuid4(),
    )


def _rate(session: Session, therapist: User, answers: dict[str, str] = WARM) -> Any:
    return rating_submit(
        session=session, therapist=therapist, answers=answers, form_token=uuid.uuid4()
    )


def test_the_form_saves_the_three_ratings_and_goes_back_to_the_session(
    login: Callable[[User], Any], episode: CareEpisode, attend: Any, therapist: User
) -> None:
    session = attend(episode, 1)
    browser = login(therapist)
    page = browser.get(reverse("session_rating", args=[session.id]))
    assert page.status_code == 200
    assert "Your client never sees them" in page.content.decode()
    response = browser.post(
        reverse("session_rating", args=[session.id]), {**WARM, "form_token": str(uuid.uuid4())}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#session-{session.id}")
    rating = TherapistRating.objects.get(session=session)
    assert (rating.bond, rating.tasks, rating.goals) == (7, 6, 7)
    assert rating.alliance == pytest.approx(20 / 3)
    assert AuditEvent.objects.filter(
        actor=therapist, record_type=RecordType.THERAPIST_RATING, record_id=str(rating.id)
    ).exists()


def test_a_missing_or_out_of_range_answer_is_refused_with_the_answers_kept(
    login: Callable[[User], Any], episode: CareEpisode, attend: Any, therapist: User
) -> None:
    session = attend(episode, 1)
    response = login(therapist).post(
        reverse("session_rating", args=[session.id]),
        {"bond": "9", "tasks": "5", "form_token": str(uuid.uuid4())},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="5" checked' in page
    assert not TherapistRating.objects.exists()


def test_a_replayed_form_saves_once_and_a_second_rating_is_refused(
    episode: CareEpisode, attend: Any, therapist: User
) -> None:
    session = attend(episode, 1)
    token = uuid.uuid4()
    first = rating_submit(session=session, therapist=therapist, answers=WARM, form_token=token)
    again = rating_submit(session=session, therapist=therapist, answers=WARM, form_token=token)
    assert (first.created, again.created, again.rating.id) == (True, False, first.rating.id)
    with pytest.raises(RatingError, match="already rated"):
        _rate(session, therapist)


def test_only_an_attended_session_of_ones_own_client_can_be_rated(
    episode: CareEpisode, attend: Any, therapist: User, other_therapist: User
) -> None:
    scheduled = Session.objects.create(
        episode=episode, number=1, scheduled_at=attend(episode, 2).scheduled_at
    )
    with pytest.raises(RatingError, match="attended"):
        _rate(scheduled, therapist)
    with pytest.raises(RatingError, match="client's therapist"):
        _rate(attend(episode, 3), other_therapist)


def test_two_sessions_in_a_row_rated_warmer_open_one_discrepancy_alert(
    episode: CareEpisode, attend: Any, therapist: User, client_user: User
) -> None:
    first, second = attend(episode, 1), attend(episode, 2)
    _checkin(first, client_user, "5")
    _rate(first, therapist)  # gap 6.67 - 5 = 1.67 > 1.07: one session is not enough
    assert not Alert.objects.filter(category=AlertCategory.DISCREPANCY).exists()
    _rate(second, therapist)
    _checkin(second, client_user, "5")  # the client's view completes the second pair
    alert = Alert.objects.get(category=AlertCategory.DISCREPANCY)
    assert alert.source_key == f"discrepancy:{first.id}"
    assert [s["kind"] for s in alert.signals] == ["discrepancy"]
    assert alert.signals[0]["detail"]["sessions"] == [1, 2]
    assert "sessions 1, 2 were warmer than your client's" in alert.headline
    # The repair loop: the therapist acknowledges it like any other alert.
    assert alert_acknowledge(alert=alert, actor=therapist).state == AlertState.ACKNOWLEDGED


def test_a_growing_run_joins_the_open_alert(
    episode: CareEpisode, attend: Any, therapist: User, client_user: User
) -> None:
    for number in (1, 2, 3):
        session = attend(episode, number)
        _checkin(session, client_user, "4")
        _rate(session, therapist)
    alert = Alert.objects.get(category=AlertCategory.DISCREPANCY)
    assert alert.signals[-1]["detail"]["sessions"] == [1, 2, 3]


def test_close_views_raise_nothing(
    episode: CareEpisode, attend: Any, therapist: User, client_user: User
) -> None:
    for number in (1, 2):
        session = attend(episode, number)
        _checkin(session, client_user, "6")  # 6.67 - 6 = 0.67: within the reliable difference
        _rate(session, therapist)
    assert not Alert.objects.filter(category=AlertCategory.DISCREPANCY).exists()


def test_the_client_never_sees_the_therapists_rating(
    login: Callable[[User], Any],
    episode: CareEpisode,
    attend: Any,
    therapist: User,
    client_user: User,
) -> None:
    sessions = [attend(episode, n) for n in (1, 2, 3)]
    for session in sessions[:2]:
        _checkin(session, client_user, "3")
        _rate(session, therapist, {"bond": "7", "tasks": "7", "goals": "2"})  # mean 5.33
    browser = login(client_user)
    pages = [
        browser.get(reverse("client_home")),
        browser.get(reverse("checkin_thanks", args=[sessions[0].id])),
        browser.get(reverse("checkin", args=[sessions[2].id])),
        browser.get(reverse("access_log")),
        browser.get(reverse("session_rating", args=[sessions[0].id])),
    ]
    assert [p.status_code for p in pages] == [200, 200, 200, 200, 404]
    for page in pages[:4]:
        text = page.content.decode()
        assert "5.3" not in text
        assert "Your view" not in text
        assert "warmer" not in text
        assert "rating" not in text.lower()


def test_the_client_page_shows_the_therapists_view_or_a_link_to_give_it(
    login: Callable[[User], Any], episode: CareEpisode, attend: Any, therapist: User
) -> None:
    rated, unrated = attend(episode, 1), attend(episode, 2)
    _rate(rated, therapist)
    page = login(therapist).get(reverse("client_detail", args=[episode.client_id]))
    text = page.content.decode()
    assert "Your view: 6.7" in text
    assert reverse("session_rating", args=[unrated.id]) in text
    assert reverse("session_rating", args=[rated.id]) not in text


def test_the_clinics_own_reliability_sets_the_threshold(
    episode: CareEpisode, attend: Any, therapist: User, client_user: User
) -> None:
    # 1.96 * 1.0 * sqrt(2 * 0.5) = 1.96: a gap of 1.67 is no longer reliable
    episode.clinic.signal_settings = {"reliability": 0.5, "reference_sd": 1.0}
    episode.clinic.save(update_fields=["signal_settings"])
    for number in (1, 2):
        session = attend(episode, number)
        _checkin(session, client_user, "5")
        _rate(session, therapist)
    assert not Alert.objects.filter(category=AlertCategory.DISCREPANCY).exists()


def test_the_chart_draws_both_lines_for_the_therapist_only(
    login: Callable[[User], Any],
    episode: CareEpisode,
    attend: Any,
    therapist: User,
    client_user: User,
) -> None:
    session = attend(episode, 1)
    _checkin(session, client_user, "5")
    _rate(session, therapist)
    text = login(therapist).get(reverse("client_detail", args=[client_user.id])).content.decode()
    assert 'class="line-therapist"' in text
    assert "your view 6.7" in text
    assert "latest 6.7 against the client&#x27;s 5.0" in text
    home = login(client_user).get(reverse("client_home")).content.decode()
    assert "line-therapist" not in home


def test_the_therapist_opens_the_discrepancy_alert_and_the_supervisor_cannot(
    login: Callable[[User], Any],
    episode: CareEpisode,
    attend: Any,
    therapist: User,
    client_user: User,
    supervisor: User,
    admin: User,
) -> None:
    from alliance.supervision.services import supervisor_assign

    supervisor_assign(admin=admin, supervisor=supervisor, therapist=therapist)
    for number in (1, 2):
        session = attend(episode, number)
        _checkin(session, client_user, "4")
        _rate(session, therapist)
    alert = Alert.objects.get(category=AlertCategory.DISCREPANCY)
    page = login(therapist).get(reverse("alert_detail", args=[alert.id]))
    assert page.status_code == 200
    assert "Two views differ alert" in page.content.decode()
    assert "do not resolve by themselves" in page.content.decode()
    assert login(supervisor).get(reverse("alert_detail", args=[alert.id])).status_code == 404
    caseload = login(therapist).get(reverse("caseload"))
    assert caseload.status_code == 200


def test_the_caseload_offers_the_rating_for_a_session_just_attended(
    login: Callable[[User], Any], episode: CareEpisode, attend: Any, therapist: User
) -> None:
    session = attend(episode, 1)
    text = login(therapist).get(reverse("caseload")).content.decode()
    assert reverse("session_rating", args=[session.id]) in text
