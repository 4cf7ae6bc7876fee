"""Alert reasons say what happened in plain words first, the statistics behind a <details>."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from alliance.checkins.services import checkin_submit
from alliance.core.signals import CheckinPoint, SignalSettings, detect
from alliance.ruptures.models import Alert, AlertCategory
from alliance.ruptures.wording import headline, questionnaire_name, signal_lines
from tests.conftest import GOOD_ANSWERS
from tests.web.test_outcomes import PHQ9, answers_for, phq9_due, submit

__all__ = ["phq9_due"]  # a fixture, imported for pytest


def _scores(episode, client_user, attend, scores):
    now = timezone.now()
    for number, score in enumerate(scores, start=1):
        at = now - timedelta(days=len(scores) - number, hours=1)
        checkin_submit(
            session=attend(episode, number, at),
            client=client_user,
            answers={**GOOD_ANSWERS, "bond": score, "tasks": score, "goals": score},
            form_token=uuid.uuid4(),
            now=at,
        )


def _stored(scores):
    points = [
        CheckinPoint(key=n, index=n, alliance=float(s), tension=0, resolved=None, talked=None)
        for n, s in enumerate(scores, start=1)
    ]
    # As alerts store them (alliance.ruptures.services).
    return [
        {"kind": str(s.kind), "severity": int(s.severity), "summary": s.summary, "detail": s.detail}
        for s in detect(points, SignalSettings())
    ]


def test_a_reliable_drop_reads_in_plain_words_with_the_statistics_behind_details(
    login, therapist, client_user, episode, attend
):
    _scores(episode, client_user, attend, ["6", "6", "6", "3"])
    alert = Alert.objects.get()
    page = login(therapist).get(reverse("alert_detail", args=[alert.id])).content.decode()
    assert "Alliance fell from 6.0 to 3.0, a reliable drop." in page
    details = re.search(r"<details class=\"statistics\">(.*?)</details>", page, re.S)
    assert details is not None and "RCI" in details.group(1)
    # Outside the <details>, no statistics.
    assert "RCI" not in page.replace(details.group(0), "")
    client_page = login(therapist).get(reverse("client_detail", args=[client_user.id]))
    assert "Alliance fell from 6.0 to 3.0, a reliable drop." in client_page.content.decode()
    assert "RCI" not in client_page.content.decode()


def test_each_kind_of_signal_has_plain_words():
    lines: dict[str, str] = {}
    for signal in _stored([6, 6, 6, 6, 6, 3, 3, 3]):  # the first signal of each kind
        lines.setdefault(signal["kind"], signal_lines([signal])[0].plain)
    assert lines["reliable_drop"] == "Alliance fell from 6.0 to 3.0, a reliable drop."
    assert lines["sudden_loss"] == "Alliance fell suddenly from 6.0 to 3.0 and stayed low."
    assert lines["rupture_repair_2sd"] == (
        "Alliance dipped to 3.0, well below this client's usual 6.0; not back yet."
    )
    (weak,) = signal_lines(_stored([3, 3]))
    assert weak.plain == "A weak start: alliance 3.0 at the first check-in."
    assert "below 4.0" in weak.statistics


def test_the_client_reported_tension_needs_no_statistics():
    signal = {
        "kind": "client_reported",
        "severity": 3,
        "summary": "Client reported a lot of tension; talked about it: no; feels not at all "
        "resolved.",
        "detail": {"tension": 4, "talked": 0, "resolved": 0},
    }
    (line,) = signal_lines([signal])
    assert line.plain == (
        "The client said there was a lot of tension with you in this session; you did not talk "
        "about it; it feels not at all resolved."
    )
    assert line.statistics == signal["summary"]


def test_a_signal_without_its_numbers_keeps_its_summary():
    old = {"kind": "reliable_drop", "severity": 2, "summary": "Alliance dropped.", "detail": {}}
    (line,) = signal_lines([old])
    assert (line.plain, line.statistics) == ("Alliance dropped.", "")
    assert headline([], "fallback") == "fallback"


def test_questionnaires_are_named_by_title_never_by_key():
    assert questionnaire_name("phq9") == "PHQ-9 depression questionnaire"
    assert questionnaire_name("gad7") == "GAD-7 anxiety questionnaire"
    assert questionnaire_name("bsl23", "BSL-23 (Borderline Symptom List)") == (
        "BSL-23 (Borderline Symptom List)"
    )
    not_on_track = {
        "kind": "not_on_track",
        "severity": 2,
        "summary": "GAD-7 (...): At session 5 the score of 14 is above the expected range.",
        "detail": {"instrument_id": "gad7", "rule": "outside_band", "score": 14.0},
    }
    (line,) = signal_lines([not_on_track])
    assert line.plain == "GAD-7 anxiety questionnaire: not improving as expected (score 14)."
    assert "gad7" not in line.plain


def test_a_risk_alert_names_its_questionnaire_and_links_the_answers(login, phq9_due, therapist):
    submit(phq9_due, answers_for(PHQ9, 6, item9=1))
    alert = Alert.objects.get(category=AlertCategory.RISK)
    page = login(therapist).get(reverse("alert_detail", args=[alert.id])).content.decode()
    response_id = alert.signals[0]["detail"]["response_id"]
    assert (
        f'<a href="{reverse("response_detail", args=[response_id])}">'
        "The client's answers to the PHQ-9 depression questionnaire</a>"
    ) in page
    assert "phq9" not in page
