"""The client's diary card: the day rule, one card per day, back-filling, drafts and safety.

Time is frozen with ``time_machine``; Carla (``client_user``) lives in America/Toronto.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from alliance.audit.models import AuditEvent
from alliance.diary.models import DiaryCard, DiaryStatus
from alliance.diary.services import diary_card_submit
from alliance.outcomes.safety import safety_set
from alliance.people.models import CareEpisode, User
from alliance.ruptures.models import Alert, AlertCategory

T0 = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
"""Tuesday 10 March 2026, noon in Toronto (EDT, two days after the clocks went forward)."""
TODAY = date(2026, 3, 10)
CALM = {"urge_suicide": "0", "urge_self_harm": "1", "anger": "2", "note": "An okay day."}
RISK = {"urge_suicide": "0", "urge_self_harm": "5"}


def text(response: Any) -> str:
    return response.content.decode()


def post_card(
    browser: Client,
    answers: dict[str, Any],
    *,
    day: date | None = None,
    token: str | None = None,
    action: str = "submit",
) -> Any:
    data: dict[str, Any] = {**answers, "action": action, "form_token": token or str(uuid.uuid4())}
    if day is not None:
        data["day"] = day.isoformat()
    return browser.post(reverse("diary"), data)


@pytest.fixture
def carla(login: Any, client_user: User, episode: CareEpisode) -> Client:
    episode.started_on = date(2026, 1, 5)
    episode.save(update_fields=["started_on"])
    return login(client_user)


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def card_of(user: User, day: date = TODAY) -> DiaryCard:
    return DiaryCard.objects.get(client=user, day=day)


# --- the day ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utc", "local_day"),
    [
        # 23:30 on Sunday 8 March (EDT, the day the clocks went forward) and 00:30 the next day.
        (datetime(2026, 3, 9, 3, 30, tzinfo=UTC), date(2026, 3, 8)),
        (datetime(2026, 3, 9, 4, 30, tzinfo=UTC), date(2026, 3, 9)),
        # 23:30 on Sunday 1 November (EST, the day the clocks went back) and 00:30 the next day.
        (datetime(2026, 11, 2, 4, 30, tzinfo=UTC), date(2026, 11, 1)),
        (datetime(2026, 11, 2, 5, 30, tzinfo=UTC), date(2026, 11, 2)),
    ],
)
def test_a_card_sent_late_at_night_belongs_to_the_clients_local_date(
    carla, client_user, utc, local_day
):
    with time_machine.travel(utc, tick=False):
        page = carla.get(reverse("diary"))
        assert f'name="day" value="{local_day.isoformat()}"' in text(page)
        response = post_card(carla, CALM)  # no day in the form: "today"
    assert response.status_code == 302
    assert list(DiaryCard.objects.values_list("day", flat=True)) == [local_day]


def test_the_card_says_which_day_it_is(carla, frozen):
    page = text(carla.get(reverse("diary")))
    assert "Today, Tuesday 10 March." in page
    assert "Teresa sees your card once you press “Done for today”." in page


# --- one card per day -------------------------------------------------------------------------


def test_a_replayed_form_saves_one_card_and_changes_nothing(carla, client_user, frozen):
    token = str(uuid.uuid4())
    first = post_card(carla, CALM, token=token)
    frozen.shift(timedelta(minutes=5))
    replay = post_card(carla, CALM, token=token)
    assert first.status_code == replay.status_code == 302
    card = card_of(client_user)
    assert DiaryCard.objects.count() == 1
    assert card.submitted_at == card.updated_at == T0
    assert AuditEvent.objects.filter(record_type="diary_card", action="create").count() == 1
    assert not AuditEvent.objects.filter(record_type="diary_card", action="update").exists()


def test_sending_the_card_again_updates_the_same_card(carla, client_user, frozen):
    post_card(carla, CALM)
    frozen.shift(timedelta(hours=3))
    post_card(carla, {**CALM, "anger": "4", "note": "Evening was harder."})
    card = card_of(client_user)
    assert DiaryCard.objects.count() == 1
    assert (card.anger, card.note, card.status) == (4, "Evening was harder.", DiaryStatus.SUBMITTED)
    assert card.submitted_at == T0  # first sent
    assert card.updated_at == T0 + timedelta(hours=3)


def test_the_database_refuses_a_second_card_for_the_same_day(client_user, episode):
    DiaryCard.objects.create(episode=episode, client=client_user, day=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        DiaryCard.objects.create(episode=episode, client=client_user, day=TODAY)


@pytest.mark.parametrize(
    ("field", "value"),
    [("urge_self_harm", 6), ("anger", 9), ("skills_code", 8), ("action_substance", 100)],
)
def test_the_database_refuses_numbers_out_of_range(client_user, episode, field, value):
    card = DiaryCard.objects.create(episode=episode, client=client_user, day=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        DiaryCard.objects.filter(pk=card.pk).update(**{field: value})


# --- back-filling -----------------------------------------------------------------------------


def test_a_card_seven_days_back_can_be_filled_in(carla, client_user, frozen):
    response = post_card(carla, CALM, day=TODAY - timedelta(days=7))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('diary_done')}?day=2026-03-03"
    assert card_of(client_user, date(2026, 3, 3)).status == DiaryStatus.SUBMITTED


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (date(2026, 3, 2), "so Monday 2 March is too far back now."),
        (date(2026, 3, 11), "Wednesday 11 March hasn&#x27;t come yet."),
    ],
)
def test_a_day_outside_the_week_is_refused_kindly(carla, frozen, day, message):
    response = post_card(carla, CALM, day=day)
    assert response.status_code == 400
    assert message in text(response)
    assert "Go to today's card" in text(response)
    assert not DiaryCard.objects.exists()
    page = carla.get(reverse("diary"), {"day": day.isoformat()})
    assert page.status_code == 200
    assert message in text(page)
    assert 'name="form_token"' not in text(page)


def test_a_card_sent_for_a_day_just_out_of_reach_shows_its_note_back(carla, frozen):
    """Sent a moment after the oldest day slipped out of the week: what was written isn't lost."""
    note = "A hard <evening>,\nbut I used TIPP."
    response = post_card(carla, {**CALM, "note": note}, day=date(2026, 3, 2))
    html = text(response)
    assert response.status_code == 400
    assert "Here is the note you wrote" in html
    assert "A hard &lt;evening&gt;,<br>but I used TIPP." in html
    assert not DiaryCard.objects.exists()


def test_an_unreadable_day_shows_todays_card_with_a_note(carla, frozen):
    response = carla.get(reverse("diary"), {"day": "next tuesday"})
    assert response.status_code == 400
    assert "That date doesn&#x27;t look right." in text(response)


# --- missed days --------------------------------------------------------------------------


def test_a_client_back_after_days_away_is_welcomed_with_links_to_the_missed_days(
    carla, client_user, episode, frozen
):
    with time_machine.travel(T0 - timedelta(days=4), tick=False):
        post_card(carla, CALM)  # Friday 6 March
    page = text(carla.get(reverse("diary")))
    assert "Welcome back. Want to fill in a day you missed?" in page
    for day in ("2026-03-03", "2026-03-04", "2026-03-05", "2026-03-07", "2026-03-08", "2026-03-09"):
        assert f'href="/diary/?day={day}"' in page
    assert 'href="/diary/?day=2026-03-06">' not in page.split("missed-days")[1]  # sent
    assert re.search(r"missed \d", page) is None  # never a count of days missed


def test_yesterday_filled_in_means_no_welcome_back(carla, frozen):
    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        post_card(carla, CALM)
    page = text(carla.get(reverse("diary")))
    assert "Welcome back" not in page
    assert "Want to fill in a day you missed?" in page


def test_days_before_care_started_are_not_missed(carla, episode, frozen):
    episode.started_on = TODAY
    episode.save(update_fields=["started_on"])
    page = text(carla.get(reverse("diary")))
    assert "missed" not in page


# --- drafts ----------------------------------------------------------------------------------


def test_save_draft_keeps_the_answers_without_sending(carla, client_user, frozen):
    response = post_card(carla, {**RISK, "note": "half done"}, action="draft")
    assert response.status_code == 302
    card = card_of(client_user)
    assert (card.status, card.urge_self_harm, card.draft_saved_at) == (DiaryStatus.DRAFT, None, T0)
    assert card.draft_answers()["urge_self_harm"] == "5"
    assert not Alert.objects.exists()  # a draft never alerts
    page = text(carla.get(reverse("diary")))
    assert "Draft saved at 12:00." in page
    assert 'name="urge_self_harm" value="5" checked' in page
    assert "half done</textarea>" in page


def test_the_autosave_endpoint_answers_in_json(carla, client_user, frozen):
    response = carla.post(
        reverse("diary_draft"),
        {"day": "2026-03-09", "form_token": str(uuid.uuid4()), "urge_self_harm": "5"},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["saved"], body["saved_at"]) == (True, "12:00")
    card = card_of(client_user, date(2026, 3, 9))
    assert body["version"] == card.updated_at.isoformat()
    assert not Alert.objects.exists()


def test_the_autosave_endpoint_refuses_a_day_outside_the_week_in_json(carla, frozen):
    response = carla.post(
        reverse("diary_draft"), {"day": "2026-03-01", "form_token": str(uuid.uuid4())}
    )
    assert response.status_code == 400
    assert response.json()["saved"] is False
    assert "too far back" in response.json()["message"]


def test_an_expired_login_sends_the_autosave_to_the_login_page(db):
    response = Client().post(reverse("diary_draft"), {"urge_self_harm": "5"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_autosave_arriving_after_the_card_was_sent_is_dropped(carla, client_user, frozen):
    token = str(uuid.uuid4())
    post_card(carla, CALM, token=token)
    late = carla.post(
        reverse("diary_draft"), {"form_token": token, "urge_self_harm": "4", "anger": "5"}
    )
    assert late.status_code == 200
    card = card_of(client_user)
    assert (card.draft, card.anger, card.urge_self_harm) == ("", 2, 1)


def test_sending_the_card_clears_its_draft(carla, client_user, frozen):
    post_card(carla, {"anger": "3"}, action="draft")
    post_card(carla, CALM)
    card = card_of(client_user)
    assert (card.draft, card.draft_saved_at, card.anger) == ("", None, 2)


def test_changes_to_a_sent_card_wait_as_a_draft_until_sent_again(carla, client_user, frozen):
    post_card(carla, CALM)
    carla.post(reverse("diary_draft"), {**CALM, "form_token": str(uuid.uuid4()), "anger": "5"})
    card = card_of(client_user)
    assert (card.anger, card.draft_answers()["anger"]) == (2, "5")  # the therapist still sees 2
    carla.post(reverse("diary_draft"), {**CALM, "form_token": str(uuid.uuid4())})
    assert card_of(client_user).draft == ""  # back to what was sent: nothing waiting


def test_drafts_and_notes_are_encrypted_in_the_database(carla, client_user, frozen):
    post_card(carla, {**CALM, "note": "private words"})
    post_card(carla, {"note": "draft words"}, action="draft")
    with connection.cursor() as cursor:
        cursor.execute("SELECT note, draft FROM diary_diarycard")
        note, draft = cursor.fetchone()
    assert note.startswith("enc1:") and "private" not in note
    assert draft.startswith("enc1:") and "draft words" not in draft


def test_answers_that_need_another_look_come_back_and_are_kept_as_a_draft(
    carla, client_user, frozen
):
    response = post_card(carla, {"anger": "4", "action_self_harm": "-2", "note": "keep me"})
    page = text(response)
    assert response.status_code == 400
    assert "Some answers need another look. Everything you wrote is still here." in page
    assert "Please choose a number, even if it&#x27;s 0." in page
    assert 'href="#q-urge_suicide"' in page
    assert 'name="anger" value="4" checked' in page
    assert "keep me</textarea>" in page
    card = card_of(client_user)
    assert (card.status, card.draft_answers()["note"]) == (DiaryStatus.DRAFT, "keep me")


def test_a_form_without_its_token_is_refused_and_kept(carla, client_user, frozen):
    response = carla.post(reverse("diary"), {**CALM, "action": "submit"})
    assert response.status_code == 400
    assert "missing its safety code" in text(response)
    assert card_of(client_user).draft_answers()["note"] == "An okay day."


# --- safety -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "alerts"),
    [
        ({"urge_suicide": "3", "urge_self_harm": "3"}, 0),
        ({"urge_suicide": "4", "urge_self_harm": "0"}, 1),
        ({"urge_suicide": "0", "urge_self_harm": "4"}, 1),
        ({"urge_suicide": "0", "urge_self_harm": "0", "action_self_harm": "1"}, 1),
        ({"urge_suicide": "2", "urge_self_harm": "0", "acted_suicide": "yes"}, 1),
        ({"urge_suicide": "0", "urge_self_harm": "0", "urge_substance": "5"}, 0),
        ({"urge_suicide": "0", "urge_self_harm": "0", "urge_quit": "5"}, 0),
    ],
)
def test_risk_answers_open_exactly_one_high_priority_alert(carla, frozen, answers, alerts):
    post_card(carla, answers)
    assert Alert.objects.count() == alerts
    if alerts:
        alert = Alert.objects.get()
        card = DiaryCard.objects.get()
        assert (alert.category, alert.severity, alert.source_key, alert.session_id) == (
            AlertCategory.RISK,
            3,
            f"diary:{card.id}",
            None,
        )
        assert alert.summary.startswith("Diary card for Tue 10 Mar: ")


def test_acting_on_the_suicide_urge_is_named_in_the_alert_s_words(carla, frozen):
    post_card(carla, {"urge_suicide": "2", "urge_self_harm": "0", "acted_suicide": "yes"})
    alert = Alert.objects.get()
    assert alert.summary.endswith("acted on the urge to end their life.")
    (signal,) = alert.signals
    assert signal["detail"]["acted_suicide"] is True
    assert alert.headline == (
        "Diary card: self-harm recorded (answer: 1); they acted on the urge to end their life."
    )


def test_the_crisis_page_follows_a_risk_answer_after_the_card_is_saved(carla, client_user, frozen):
    response = post_card(carla, RISK)
    assert response["Location"] == reverse("diary_done")
    assert card_of(client_user).urge_self_harm == 5  # saved before anything is shown
    page = text(carla.get(response["Location"]))
    assert "Your card is saved" in page
    assert "9-8-8" in page and "Call 911" in page
    assert "It is not watched around the clock" in page
    assert "Your therapist will see this the next time they check the app." in page
    assert "You and Teresa can write a safety plan together" in page


def test_a_calm_card_is_thanked_without_the_crisis_page(carla, frozen):
    page = text(carla.get(post_card(carla, CALM)["Location"]))
    assert "Your card for Tuesday 10 March is sent to Teresa." in page
    assert 'id="crisis-h"' not in page


def test_editing_a_risky_card_again_opens_no_second_alert(carla, frozen):
    post_card(carla, RISK)
    frozen.shift(timedelta(hours=1))
    post_card(carla, {**RISK, "urge_suicide": "5", "action_self_harm": "1"})
    assert Alert.objects.count() == 1


def test_a_card_made_risky_by_an_edit_opens_its_alert_then(carla, frozen):
    post_card(carla, CALM)
    assert not Alert.objects.exists()
    post_card(carla, RISK)
    assert Alert.objects.count() == 1


def test_the_risk_alert_puts_the_client_first_on_the_caseload(
    carla, login, therapist, make_user, frozen
):
    from alliance.people.models import Role

    for name in ("Aaron Archer", "Bea Bell"):
        other = make_user(f"{name.split()[0].lower()}@example.org", Role.CLIENT, name)
        CareEpisode.objects.create(clinic=therapist.clinic, client=other, therapist=therapist)
    post_card(carla, RISK)
    page = text(login(therapist).get(reverse("caseload")))
    names = [page.index(n) for n in ("Carla Client", "Aaron Archer", "Bea Bell")]
    assert names == sorted(names)
    assert "Risk answer to follow up (1)" in page


def test_the_clinics_own_crisis_resources_are_shown(carla, clinic, admin, frozen):
    safety_set(
        clinic=clinic,
        actor=admin,
        rules_json=None,
        resources_json='[{"name": "Harbour Crisis Line", "contact": "Call 555-0100", '
        '"description": "Staffed by the clinic, day and night."}]',
    )
    page = text(carla.get(post_card(carla, RISK)["Location"]))
    assert "Harbour Crisis Line" in page
    assert "9-8-8 Suicide Crisis Helpline" not in page.split("<footer")[0]  # the footer has it


def test_a_service_call_for_someone_elses_episode_is_refused(client_user, other_episode, frozen):
    from alliance.diary.services import DiaryError

    with pytest.raises(DiaryError, match="someone else"):
        diary_card_submit(
            client=client_user,
            episode=other_episode,
            day=TODAY,
            answers=CALM,
            form_token=uuid.uuid4(),
        )


# --- privacy and hostile input ---------------------------------------------------------------

HOSTILE = '<script>alert(1)</script> =HYPERLINK("http://x") 😔 & <b>bold</b>'


def test_a_note_with_html_formulas_and_emoji_is_stored_as_written_and_shown_escaped(
    carla, client_user, login, therapist, frozen
):
    post_card(carla, {**CALM, "note": HOSTILE})
    assert card_of(client_user).note == HOSTILE
    client_page = text(carla.get(reverse("diary")))
    therapist_page = text(login(therapist).get(reverse("diary_week", args=[client_user.id])))
    for page in (client_page, therapist_page):
        assert escape(HOSTILE) in page
        assert "<script>alert(1)</script>" not in page


def test_another_client_never_sees_carlas_card(carla, login, other_client, other_episode, frozen):
    post_card(carla, {**CALM, "note": "Carla's own words"})
    olivia = login(other_client)
    assert "Carla&#x27;s own words" not in text(olivia.get(reverse("diary")))
    assert olivia.get(reverse("diary_done"))["Location"] == reverse("diary")


def test_a_client_without_care_in_progress_is_told_kindly(login, client_user, frozen):
    page = login(client_user).get(reverse("diary"))
    assert page.status_code == 200
    assert "Your diary card lives here while you're in therapy at the clinic." in text(page)


def test_the_home_page_offers_todays_card(carla, frozen):
    page = text(carla.get(reverse("client_home")))
    assert "Fill in today's card" in page
    post_card(carla, CALM)
    assert "Today's card is sent. Thank you." in text(carla.get(reverse("client_home")))


def test_autosave_without_a_care_episode_says_why(client_user, login):
    from django.urls import reverse

    response = login(client_user).post(reverse("diary_draft"), {"urge_suicide": "1"})
    assert response.status_code == 400
    assert response.json() == {
        "saved": False,
        "message": "Your diary card opens while you're in therapy here. If that's a surprise, "
        "please tell your clinic.",
    }
