"""The therapist's side of the diary card: the weekly grid, the trends and the targets."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from alliance.audit.models import AuditEvent
from alliance.diary.models import DiaryTarget
from alliance.diary.services import (
    MAX_ACTIVE_TARGETS,
    diary_card_submit,
    diary_draft_save,
    diary_target_add,
)
from alliance.people.models import CareEpisode, EpisodeStatus, User

T0 = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
"""Tuesday 10 March 2026, noon in Toronto."""


def text(response: Any) -> str:
    return response.content.decode()


class GridReader(HTMLParser):
    """The diary grid as {(group, row label): [cell texts]}, screen-reader text included."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[tuple[str, str], list[str]] = {}
        self.header: list[str] = []
        self.in_grid = False
        self.group = ""
        self.current: list[str] | None = None
        self.buffer: list[str] | None = None
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", "diary-grid") in attrs:
            self.in_grid = True
        if not self.in_grid:
            return
        if tag == "thead":
            self.in_head = True
        if tag == "tr":
            self.current = []
        if tag in {"th", "td"}:
            self.buffer = []

    def handle_endtag(self, tag: str) -> None:
        if not self.in_grid:
            return
        if tag in {"th", "td"} and self.buffer is not None and self.current is not None:
            self.current.append("".join(self.buffer).strip())
            self.buffer = None
        elif tag == "tr" and self.current is not None:
            if self.in_head:
                self.header = self.current
            elif len(self.current) == 1:
                self.group = self.current[0]
            else:
                self.rows[(self.group, self.current[0])] = self.current[1:]
            self.current = None
        elif tag == "thead":
            self.in_head = False
        elif tag == "table":
            self.in_grid = False

    def handle_data(self, data: str) -> None:
        if self.buffer is not None:
            self.buffer.append(data)


def grid(html: str) -> GridReader:
    reader = GridReader()
    reader.feed(html)
    return reader


def send(client: User, episode: CareEpisode, day: date, answers: dict[str, Any]) -> None:
    """Send the card for ``day`` at noon that day, through the service."""
    noon = datetime(day.year, day.month, day.day, 12, 0, tzinfo=client.zone)
    diary_card_submit(
        client=client,
        episode=episode,
        day=day,
        answers=answers,
        form_token=uuid.uuid4(),
        now=noon,
    )


@pytest.fixture
def week(client_user: User, episode: CareEpisode, therapist: User) -> dict[str, Any]:
    """Carla's week of Monday 2 March 2026: Monday, Wednesday and Sunday sent, Thursday a
    draft, the rest empty. "Bingeing" is one of her targets."""
    episode.started_on = date(2026, 1, 5)
    episode.save(update_fields=["started_on"])
    with time_machine.travel(datetime(2026, 3, 1, 17, 0, tzinfo=UTC), tick=False):
        target, _ = diary_target_add(therapist=therapist, episode=episode, name="Bingeing")
    send(client_user, episode, date(2026, 3, 2), {"urge_suicide": "0", "urge_self_harm": "1"})
    send(
        client_user,
        episode,
        date(2026, 3, 4),
        {
            "urge_suicide": "2",
            "urge_self_harm": "5",
            "acted_self_harm": "yes",
            "action_self_harm": "2",
            "urge_substance": "3",
            "acted_substance": "no",
            f"target-{target.id}-urge": "4",
            f"target-{target.id}-acted": "yes",
            f"target-{target.id}-count": "1",
            "urge_quit": "4",
            "anger": "4",
            "shame": "5",
            "emotional_misery": "5",
            "physical_misery": "2",
            "medication": "no",
            "skills_code": "3",
            "skills": ["tipp", "wise_mind", "dear_man"],
            "note": "Rough night.\nCalled my sister.",
        },
    )
    send(
        client_user,
        episode,
        date(2026, 3, 8),
        {"urge_suicide": "0", "urge_self_harm": "0", "medication": "na", "skills_code": "7"},
    )
    with time_machine.travel(datetime(2026, 3, 5, 17, 0, tzinfo=UTC), tick=False):
        diary_draft_save(
            client=client_user,
            episode=episode,
            day=date(2026, 3, 5),
            answers={"urge_self_harm": "5", "note": "draft only"},
        )
    return {"target": target}


@pytest.fixture
def teresa(login: Any, therapist: User) -> Any:
    return login(therapist)


def week_page(teresa: Any, client: User, week: str | None = "2026-03-04") -> str:
    with time_machine.travel(T0, tick=False):
        response = teresa.get(
            reverse("diary_week", args=[client.id]), {"week": week} if week else {}
        )
    assert response.status_code == 200
    return text(response)


NOT_FILLED = "—not filled in"


def test_the_weekly_grid_shows_a_known_week(teresa, client_user, week):
    page = week_page(teresa, client_user)
    table = grid(page)
    assert "Diary card, Mon 2 Mar to Sun 8 Mar 2026" in page
    assert table.header == [
        "Question",
        "Mon 2 Mar",
        "Tue 3 Marnot filled in",
        "Wed 4 Mar",
        "Thu 5 Marnot filled in",  # a draft is the client's alone
        "Fri 6 Marnot filled in",
        "Sat 7 Marnot filled in",
        "Sun 8 Mar",
    ]
    rows = table.rows
    assert rows[("Urges (0 to 5)", "Suicide")] == ["0", NOT_FILLED, "2", *[NOT_FILLED] * 3, "0"]
    assert rows[("Urges (0 to 5)", "Self-harm")] == [
        "1",
        NOT_FILLED,
        "5 (risk answer)",
        *[NOT_FILLED] * 3,
        "0",
    ]
    assert rows[("Urges (0 to 5)", "Alcohol or drugs")][::2] == [
        "—no answer",
        "3",
        NOT_FILLED,
        "—no answer",
    ]
    assert rows[("Urges (0 to 5)", "Bingeing")][2] == "4"
    assert rows[("Acted on the urge", "Self-harm")][2] == "Yes, 2× (risk answer)"
    assert rows[("Acted on the urge", "Alcohol or drugs")][2] == "No"
    assert rows[("Acted on the urge", "Bingeing")][2] == "Yes, 1×"
    assert rows[("Emotions (0 to 5)", "Shame")][2] == "5"
    assert rows[("Emotions (0 to 5)", "Joy")][2] == "—no answer"
    assert rows[("Skills", "Skills code (0 to 7)")] == [
        "—no answer",
        NOT_FILLED,
        "3",
        *[NOT_FILLED] * 3,
        "7",
    ]
    assert rows[("Skills", "Mindfulness")][2] == "Wise mind"
    assert rows[("Skills", "Distress tolerance")][2] == "TIPP"
    assert rows[("Skills", "Interpersonal effectiveness")][2] == "DEAR MAN"
    assert rows[("Medication", "Taken as prescribed")][::2] == [
        "—no answer",
        "No",
        NOT_FILLED,
        "None prescribed",
    ]
    assert rows[("Urge to quit therapy", "Quit therapy (0 to 5)")][2] == "4"
    assert "3 of 7 days filled in." in page
    assert "Rough night.<br>Called my sister." in page
    assert "draft only" not in page


def test_the_grid_headers_have_scopes(teresa, client_user, week):
    page = (
        week_page(teresa, client_user).split('<table class="diary-grid">')[1].split("</table>")[0]
    )
    assert page.count('<th scope="col"') == 8  # the corner and seven days
    assert '<th scope="row">Self-harm</th>' in page
    group = '<th scope="rowgroup" colspan="8"><span class="stick">Emotions (0 to 5)</span></th>'
    assert group in page


def test_the_grid_links_to_the_weeks_around_it(teresa, client_user, week):
    page = week_page(teresa, client_user)
    assert 'href="?week=2026-02-23">← Previous week' in page
    assert 'href="?week=2026-03-09">Next week →' in page
    assert 'href="?week=2026-03-09">This week' in page
    current = week_page(teresa, client_user, week=None)
    assert "Week of Monday 9 March 2026" in current
    assert "Next week" not in current and ">This week<" not in current


def test_future_days_of_this_week_say_not_yet(teresa, client_user, week):
    rows = grid(week_page(teresa, client_user, week=None)).rows
    assert rows[("Urges (0 to 5)", "Suicide")][2:] == ["—not yet"] * 5  # Wed 11 to Sun 15


def test_an_unreadable_week_shows_this_week(teresa, client_user, week):
    page = week_page(teresa, client_user, week="soon")
    assert "That week couldn't be read, so this is the current week." in page
    assert "Week of Monday 9 March 2026" in page


def test_the_trends_chart_urges_and_misery_with_a_text_alternative(teresa, client_user, week):
    page = week_page(teresa, client_user)
    assert page.count('<svg class="chart diary-chart"') == 2
    assert (
        "Urges from 0 to 5, Mon 19 Jan to Sun 15 Mar: 3 of 56 days filled in. "
        "Suicide: highest 2 (Wed 4 Mar). Self-harm: highest 5 (Wed 4 Mar)." in page
    )
    assert "Alcohol or drugs: highest 3 (Wed 4 Mar)." in page
    assert "Emotional misery: highest 5 (Wed 4 Mar). Physical misery: highest 2" in page
    assert "<caption>Urges by day, last 8 weeks: weekly averages</caption>" in page
    # Week of 2 March: self-harm 1, 5 and 0 -> 2.0
    assert '<th scope="row">Mon 2 Mar</th><td>3</td><td>0.7</td><td>2.0</td>' in page


def test_reading_the_grid_is_audited_per_card(teresa, client_user, therapist, week):
    week_page(teresa, client_user)
    views = AuditEvent.objects.filter(
        actor=therapist, subject=client_user, record_type="diary_card", action="view"
    )
    assert views.count() == 3


def test_another_therapist_gets_404(login, other_therapist, client_user, week):
    browser = login(other_therapist)
    assert browser.get(reverse("diary_week", args=[client_user.id])).status_code == 404
    assert browser.get(reverse("diary_targets", args=[client_user.id])).status_code == 404


def test_the_client_page_links_to_the_diary(teresa, client_user, episode):
    page = text(teresa.get(reverse("client_detail", args=[client_user.id])))
    assert f'href="/clients/{client_user.id}/diary/"' in page
    assert f'href="/clients/{client_user.id}/diary/targets/"' in page


# --- targets ----------------------------------------------------------------------------------


def targets_url(client: User) -> str:
    return reverse("diary_targets", args=[client.id])


def test_a_target_added_by_the_therapist_appears_on_the_clients_card(
    teresa, login, client_user, episode
):
    response = teresa.post(targets_url(client_user), {"action": "add", "name": " Skipping  meals"})
    assert response.status_code == 302
    target = DiaryTarget.objects.get()
    assert (target.name, target.active) == ("Skipping meals", True)
    card = text(login(client_user).get(reverse("diary")))
    assert f'id="q-target-{target.id}-urge"' in card
    assert "<legend>Skipping meals <span" in card


def test_the_same_target_twice_is_refused(teresa, client_user, episode):
    teresa.post(targets_url(client_user), {"action": "add", "name": "Bingeing"})
    response = teresa.post(targets_url(client_user), {"action": "add", "name": "BINGEING"})
    assert response.status_code == 400
    assert "“Bingeing” is already on the card." in text(response)
    assert DiaryTarget.objects.count() == 1


def test_stopping_a_target_keeps_its_answers_and_takes_it_off_new_cards(
    teresa, login, client_user, episode, therapist
):
    target, _ = diary_target_add(therapist=therapist, episode=episode, name="Lashing out")
    with time_machine.travel(T0, tick=False):
        send(
            client_user,
            episode,
            date(2026, 3, 9),
            {"urge_suicide": "0", "urge_self_harm": "0", f"target-{target.id}-urge": "3"},
        )
        response = teresa.post(
            targets_url(client_user), {"action": "stop", "target": str(target.id)}
        )
        assert response.status_code == 302
        assert not DiaryTarget.objects.get().active
        carla = login(client_user)
        assert f"q-target-{target.id}-urge" not in text(carla.get(reverse("diary")))
        # The card that has an answer for it still shows it.
        old = text(carla.get(reverse("diary"), {"day": "2026-03-09"}))
        assert f'name="target-{target.id}-urge" value="3" checked' in old
        grid_page = week_page(teresa, client_user, week="2026-03-09")
    assert grid(grid_page).rows[("Urges (0 to 5)", "Lashing out")][0] == "3"


def test_adding_a_stopped_target_again_starts_it(teresa, client_user, episode, therapist):
    target, _ = diary_target_add(therapist=therapist, episode=episode, name="Bingeing")
    teresa.post(targets_url(client_user), {"action": "stop", "target": str(target.id)})
    response = teresa.post(targets_url(client_user), {"action": "add", "name": "bingeing"})
    assert response.status_code == 302
    assert list(DiaryTarget.objects.values_list("active", flat=True)) == [True]


def test_at_most_eight_targets_at_once(teresa, client_user, episode, therapist):
    for n in range(MAX_ACTIVE_TARGETS):
        diary_target_add(therapist=therapist, episode=episode, name=f"Target {n}")
    response = teresa.post(targets_url(client_user), {"action": "add", "name": "One more"})
    assert response.status_code == 400
    assert "Up to 8 targets can be on the card at once." in text(response)


def test_another_clients_target_cannot_be_changed_from_this_page(
    teresa, client_user, episode, therapist, make_user, clinic
):
    from alliance.people.models import Role

    ben = make_user("ben@example.org", Role.CLIENT, "Ben Brown")
    bens = CareEpisode.objects.create(clinic=clinic, client=ben, therapist=therapist)
    target, _ = diary_target_add(therapist=therapist, episode=bens, name="Bingeing")
    response = teresa.post(targets_url(client_user), {"action": "stop", "target": str(target.id)})
    assert response.status_code == 404
    assert DiaryTarget.objects.get().active


def test_someone_elses_target_is_404(
    login, other_therapist, other_client, client_user, episode, therapist
):
    target, _ = diary_target_add(therapist=therapist, episode=episode, name="Bingeing")
    omar = login(other_therapist)
    response = omar.post(
        reverse("diary_targets", args=[other_client.id]),
        {"action": "stop", "target": str(target.id)},
    )
    assert response.status_code == 404


def test_targets_of_ended_care_stay_as_they_were(teresa, client_user, episode):
    episode.status = EpisodeStatus.ENDED
    episode.ended_on = date(2026, 3, 1)
    episode.save(update_fields=["status", "ended_on"])
    response = teresa.post(targets_url(client_user), {"action": "add", "name": "Bingeing"})
    assert response.status_code == 400
    assert "This course of therapy has ended" in text(response)


def test_target_names_are_encrypted_in_the_database(therapist, episode):
    diary_target_add(therapist=therapist, episode=episode, name="Purging")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM diary_diarytarget")
        (stored,) = cursor.fetchone()
    assert stored.startswith("enc1:") and "Purging" not in stored


def test_an_empty_target_name_is_refused(teresa, client_user, episode):
    response = teresa.post(targets_url(client_user), {"action": "add", "name": "  "})
    assert response.status_code == 400
    assert "Please give the target a name" in text(response)
