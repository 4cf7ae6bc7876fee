"""Alert reasons say what happened in plain words first, the statistics behind a <details>."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone, translation

from alliance.checkins.services import checkin_submit
from alliance.core.dropout import CANCELLED_CLIENT, MISSED, RuptureFact, SessionFact, assess
from alliance.core.signals import CheckinPoint, SignalSettings, detect
from alliance.ruptures.dropout import _signals as dropout_signals
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


# In French: every kind of signal has its own words; the stored summary is English.

FRENCH_RISK = (
    "Réponse à risque au questionnaire PHQ-9 sur la dépression\u00a0: PHQ-9, question 9\u00a0: "
    "pensées de mort ou d'automutilation (réponse\u00a0: 1)."
)


def test_every_reason_of_the_dropout_rule_reads_in_french():
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    risk = assess(
        sessions=[
            SessionFact(now - timedelta(weeks=1), MISSED),
            SessionFact(now - timedelta(weeks=2), MISSED),
            SessionFact(
                now - timedelta(days=3), CANCELLED_CLIENT, now - timedelta(days=3, hours=2)
            ),
        ],
        alliance=[6.0, 5.0, 4.0, 3.0, 2.0, 2.0],
        ruptures=[
            RuptureFact(now - timedelta(days=5), "confrontation"),
            RuptureFact(now - timedelta(days=9), "withdrawal"),
        ],
        started_at=now - timedelta(weeks=2),
        now=now,
    )
    signals = dropout_signals(risk)
    assert {s["kind"] for s in signals} == {
        "dropout_risk",
        "dropout_missed",
        "dropout_late_cancelled",
        "dropout_low_alliance",
        "dropout_falling_alliance",
        "dropout_unresolved_confrontation",
        "dropout_unresolved_rupture",
        "dropout_first_quarter",
    }
    with translation.override("fr-ca"):
        for signal in signals:
            (line,) = signal_lines([signal])
            assert line.plain != signal["summary"], signal["kind"]


def test_a_questionnaire_risk_answer_reads_in_french():
    signal = {
        "kind": "risk",
        "severity": 3,
        "summary": "Risk answer on the PHQ-9 (Patient Health Questionnaire-9): PHQ-9 item 9: "
        "thoughts of death or of self-harm (answer: 1).",
        "detail": {
            "response_id": str(uuid.uuid4()),
            "instrument_id": "phq9",
            "instrument_title": "PHQ-9 (Patient Health Questionnaire-9)",
            "answers": [{"label": "PHQ-9 item 9: thoughts of death or of self-harm", "value": 1}],
        },
    }
    (english,) = signal_lines([signal])
    assert english.plain == (
        "Risk answer on the PHQ-9 depression questionnaire: PHQ-9 item 9: thoughts of death or "
        "of self-harm (answer: 1)."
    )
    with translation.override("fr-ca"):
        (french,) = signal_lines([signal])
    assert french.plain == FRENCH_RISK
    # The plain words name each answer and its value: no English statistics behind them.
    assert (english.statistics, french.statistics) == ("", "")


def test_a_diary_risk_answer_reads_in_french_stored_before_its_label_was_kept_too():
    new = {
        "kind": "risk",
        "severity": 3,
        "summary": "Diary card: strong urge to self-harm (answer: 5)",
        "detail": {
            "field": "urge_self_harm",
            "value": 5.0,
            "day": "2026-06-10",
            "label": "Diary card: strong urge to self-harm",
        },
    }
    old = {**new, "detail": {"field": "urge_self_harm", "value": 5.0, "day": "2026-06-10"}}
    with translation.override("fr-ca"):
        lines = signal_lines([new, old])
    french = "Carte journalière\u00a0: forte envie de s'automutiler (réponse\u00a0: 5)."
    assert [line.plain for line in lines] == [french, french]
    acted = {**new, "detail": {**new["detail"], "field": "action_self_harm", "value": 1.0}}
    acted["detail"].update(label="Diary card: self-harm recorded", acted_suicide=True)
    assert signal_lines([acted])[0].plain == (
        "Diary card: self-harm recorded (answer: 1); they acted on the urge to end their life."
    )
    with translation.override("fr-ca"):
        assert signal_lines([acted])[0].plain == (
            "Carte journalière\u00a0: automutilation notée (réponse\u00a0: 1); la personne a agi "
            "selon l'envie de mettre fin à ses jours."
        )
    # A clinic's own rule reads as the clinic wrote it.
    own = {**new, "detail": {**new["detail"], "label": "Journal : envie forte"}}
    with translation.override("fr-ca"):
        assert signal_lines([own])[0].plain == "Journal : envie forte (réponse\u00a0: 5)."


def test_a_questionnaire_risk_alert_stored_before_its_answers_were_kept_keeps_its_summary():
    old = {
        "kind": "risk",
        "severity": 3,
        "summary": "Risk answer on the PHQ-9: PHQ-9 item 9: thoughts of death (answer: 2).",
        "detail": {"response_id": str(uuid.uuid4()), "instrument_id": "phq9"},
    }
    with translation.override("fr-ca"):
        (line,) = signal_lines([old])
    assert (line.plain, line.statistics) == (old["summary"], "")


def test_a_risk_alert_reads_in_french_on_a_french_page(login, phq9_due, therapist, client_user):
    submit(phq9_due, answers_for(PHQ9, 6, item9=1))
    alert = Alert.objects.get(category=AlertCategory.RISK)
    therapist.language = "fr-ca"
    therapist.save(update_fields=["language"])
    browser = login(therapist)
    # The account's language stays active in this thread after a request: put English back.
    with translation.override("en"):
        page = browser.get(reverse("alert_detail", args=[alert.id])).content.decode()
        client_page = browser.get(reverse("client_detail", args=[client_user.id])).content
    page = html.unescape(page)
    assert '<html lang="fr-ca"' in page
    assert FRENCH_RISK in page
    # The plain words say every answer: the stored English is not on the page at all.
    assert "Risk answer on the" not in page
    assert FRENCH_RISK in html.unescape(client_page.decode())
    assert "Risk answer on the" not in client_page.decode()
