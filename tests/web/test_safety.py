"""Safety: risk answers show crisis resources at once and raise a high-priority alert.

The rules and resources are the clinic's (``ClinicSafety``), the defaults from
``alliance.core.safety`` otherwise.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alliance.core.safety import DEFAULT_CRISIS_RESOURCES, DEFAULT_RULES
from alliance.outcomes.models import ClinicSafety, OutcomeResponse
from alliance.outcomes.safety import SafetyError, crisis_resources_for, rules_for, safety_set
from alliance.people.models import CareEpisode, Clinic, User
from alliance.people.selectors import caseload
from alliance.ruptures.models import Alert, AlertCategory
from tests.web.test_outcomes import (
    GAD7,
    PHQ9,
    answers_for,
    gad7_due,
    phq9_due,
    post_answers,
    questionnaire_url,
    schedule,
    submit,
)

__all__ = ["gad7_due", "phq9_due"]  # fixtures, imported for pytest

CRISIS = 'id="crisis-h"'
NOT_WATCHED = "It is not watched around the clock"
DANGER = 'If you are in danger now, call <a href="tel:911">911</a>.'


def _risk_alerts() -> list[Alert]:
    return list(Alert.objects.filter(category=AlertCategory.RISK))


# --- The rule fires exactly when it should -------------------------------------------------


def test_item9_zero_shows_no_crisis_page_and_raises_no_alert(
    login: Callable[[User], Client], phq9_due: CareEpisode, client_user: User
):
    browser = login(client_user)
    response = post_answers(browser, questionnaire_url(phq9_due), answers_for(PHQ9, 14, item9=0))
    page = browser.get(response["Location"]).content.decode()
    assert (CRISIS in page, _risk_alerts()) == (False, [])


def test_item9_one_shows_the_crisis_page_and_raises_a_high_alert(
    login: Callable[[User], Client], phq9_due: CareEpisode, client_user: User
):
    browser = login(client_user)
    response = post_answers(browser, questionnaire_url(phq9_due), answers_for(PHQ9, 14, item9=1))
    saved = OutcomeResponse.objects.get()
    page = browser.get(response["Location"]).content.decode()
    assert CRISIS in page and DANGER in page and NOT_WATCHED in page
    assert "9-8-8 Suicide Crisis Helpline" in page
    [alert] = _risk_alerts()
    assert (alert.severity, alert.source_key, alert.state) == (3, f"response:{saved.id}", "open")
    assert alert.summary == (
        "Risk answer on the PHQ-9 (Patient Health Questionnaire-9): PHQ-9 item 9: thoughts of "
        "death or of self-harm (answer: 1)."
    )


def test_risk_answer_is_saved_even_with_questions_left_blank(phq9_due: CareEpisode):
    """Safety first: the blank-question step would delay the crisis resources."""
    answers = {"phq9_1": "2", "phq9_9": "2"}
    result = submit(phq9_due, answers)
    assert (result.response.composite, result.response.risk[0]["field"]) == (None, "phq9_9")
    assert len(_risk_alerts()) == 1


def test_risk_answer_is_saved_before_the_alert(
    phq9_due: CareEpisode, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    """Saving never depends on what comes after it: a failing alert loses no answers."""

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("alert table unavailable")

    monkeypatch.setattr("alliance.outcomes.services.risk_alert_raise", broken)
    with caplog.at_level(logging.ERROR):
        result = submit(phq9_due, answers_for(PHQ9, 9, item9=1))
    assert OutcomeResponse.objects.filter(id=result.response.id, risk__isnull=False).exists()
    assert "Could not raise an alert" in caplog.text


def test_replayed_risk_submission_raises_one_alert(phq9_due: CareEpisode):
    import uuid

    token = uuid.uuid4()
    submit(phq9_due, answers_for(PHQ9, 9, item9=1), token=token)
    submit(phq9_due, answers_for(PHQ9, 9, item9=1), token=token)
    assert len(_risk_alerts()) == 1


def test_gad7_has_no_risk_rule_by_default(gad7_due: CareEpisode):
    submit(gad7_due, answers_for(GAD7, 21), instrument_id="gad7")
    assert _risk_alerts() == []


def test_risk_alert_comes_first_on_the_caseload(
    phq9_due: CareEpisode,
    therapist: User,
    make_user: Callable[..., User],
    clinic: Clinic,
    attend: Any,
):
    other = make_user("bea@example.org", "client", "Aaron Able")
    aaron = CareEpisode.objects.create(clinic=clinic, client=other, therapist=therapist)
    Alert.objects.create(
        episode=aaron,
        session=attend(aaron, 1),
        severity=3,
        summary="Older high rupture alert",
        created_at=timezone.now() - timezone.timedelta(days=5),
    )
    submit(phq9_due, answers_for(PHQ9, 6, item9=1))
    rows = caseload(therapist, now=timezone.now())
    assert [r.episode.client.full_name for r in rows] == ["Carla Client", "Aaron Able"]
    assert rows[0].reasons[0] == "Risk answer to follow up (1)"


def test_therapist_opens_the_risk_alert(
    login: Callable[[User], Client], phq9_due: CareEpisode, therapist: User
):
    submit(phq9_due, answers_for(PHQ9, 6, item9=1))
    [alert] = _risk_alerts()
    page = login(therapist).get(reverse("alert_detail", args=[alert.id]))
    assert page.status_code == 200
    assert "PHQ-9 item 9: thoughts of death or of self-harm (answer: 1)" in page.content.decode()


def test_caseload_row_shows_the_risk_badge(
    login: Callable[[User], Client], phq9_due: CareEpisode, therapist: User
):
    submit(phq9_due, answers_for(PHQ9, 6, item9=1))
    page = login(therapist).get(reverse("caseload")).content.decode()
    assert "Risk answer</span>" in page


# --- Clinic settings -------------------------------------------------------------------------


def test_defaults_without_clinic_settings(clinic: Clinic):
    assert (rules_for(clinic), crisis_resources_for(clinic)) == (
        DEFAULT_RULES,
        DEFAULT_CRISIS_RESOURCES,
    )


def test_clinic_rule_adds_a_risk_answer_to_another_questionnaire(
    clinic: Clinic, gad7_due: CareEpisode
):
    rules = [
        {"source": "gad7", "field": "gad7_7", "comparison": ">=", "threshold": 3, "label": "x"}
    ]
    safety_set(clinic=clinic, actor=None, rules_json=json.dumps(rules), resources_json="")
    submit(gad7_due, answers_for(GAD7, 21), instrument_id="gad7")
    assert len(_risk_alerts()) == 1


def test_clinic_rules_cannot_drop_the_phq9_risk_item(clinic: Clinic, phq9_due: CareEpisode):
    rules = [{"source": "diary", "field": "urge_suicide", "comparison": ">=", "threshold": 4,
              "label": "Diary card: strong urge to die by suicide"}]  # fmt: skip
    safety_set(clinic=clinic, actor=None, rules_json=json.dumps(rules), resources_json=None)
    submit(phq9_due, answers_for(PHQ9, 6, item9=1))
    assert len(_risk_alerts()) == 1


def test_clinic_crisis_resources_are_shown(
    login: Callable[[User], Client], clinic: Clinic, phq9_due: CareEpisode, client_user: User
):
    resources = [{"name": "Harbour after-hours line", "contact": "Call 555-0100",
                  "description": "Evenings and weekends."}]  # fmt: skip
    safety_set(clinic=clinic, actor=None, rules_json=None, resources_json=json.dumps(resources))
    browser = login(client_user)
    response = post_answers(browser, questionnaire_url(phq9_due), answers_for(PHQ9, 6, item9=1))
    page = browser.get(response["Location"]).content.decode()
    assert "Harbour after-hours line" in page and "9-8-8" not in page.split("<footer")[0]
    assert DANGER in page


@pytest.mark.parametrize(
    ("rules", "resources", "message"),
    [
        ("[", None, "rules: not valid JSON at line 1, column 2"),
        ("[]", None, "rules: expected a non-empty list of rules"),
        (
            '[{"source": "phq9", "field": "phq9_9", "comparison": "<", "threshold": 0, '
            '"label": "x"}]',
            None,
            "rules[0].comparison: expected one of >, >=, ==, got '<'",
        ),
        (
            '[{"source": "phq9", "field": "phq9_9", "comparison": ">", "threshold": "0", '
            '"label": "x"}]',
            None,
            "rules[0].threshold: expected a number, got '0'",
        ),
        (None, '[{"name": "Line", "contact": ""}]', "resources[0].contact: expected a non-empty"),
    ],
)
def test_invalid_settings_are_refused_with_the_field(
    clinic: Clinic, rules: str | None, resources: str | None, message: str
):
    with pytest.raises(SafetyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        safety_set(clinic=clinic, actor=None, rules_json=rules, resources_json=resources)
    assert not ClinicSafety.objects.exists()


def test_settings_broken_in_the_database_fall_back_to_the_defaults(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
):
    ClinicSafety.objects.create(clinic=clinic, rules=[{"oops": 1}], crisis_resources="nope")
    with caplog.at_level(logging.ERROR):
        assert rules_for(clinic) == DEFAULT_RULES
        assert crisis_resources_for(clinic) == DEFAULT_CRISIS_RESOURCES
    assert "do not load; using the defaults" in caplog.text


def test_admin_saves_settings_on_the_safety_page(
    login: Callable[[User], Client], admin: User, clinic: Clinic
):
    resources = '[{"name": "Line", "contact": "Call 1", "description": "Any time."}]'
    browser = login(admin)
    response = browser.post(reverse("clinic_safety"), {"rules": "", "crisis_resources": resources})
    assert response["Location"] == reverse("clinic_safety")
    assert [r.name for r in crisis_resources_for(clinic)] == ["Line"]
    assert rules_for(clinic) == DEFAULT_RULES


def test_admin_sees_the_defect_and_nothing_is_saved(
    login: Callable[[User], Client], admin: User, clinic: Clinic
):
    response = login(admin).post(reverse("clinic_safety"), {"rules": "[{}]"})
    assert response.status_code == 400
    assert "rules[0]" in response.content.decode()
    assert not ClinicSafety.objects.exists()


def test_only_a_clinic_admin_may_change_the_settings(clinic: Clinic, therapist: User):
    with pytest.raises(SafetyError, match="Only a clinic admin"):
        safety_set(clinic=clinic, actor=therapist, rules_json=None, resources_json=None)


def test_help_page_shows_the_resources_and_says_it_is_not_watched(
    login: Callable[[User], Client], client_user: User
):
    page = login(client_user).get(reverse("crisis_help")).content.decode()
    assert DANGER in page and "nobody watches it around the clock" in page and "9-8-8" in page


def test_crisis_include_renders_for_other_pages(clinic: Clinic):
    """The diary card uses the same include with the clinic's resources."""
    from django.template.loader import render_to_string

    html = render_to_string(
        "outcomes/crisis.html", {"crisis_resources": crisis_resources_for(clinic)}
    )
    assert DANGER in html and NOT_WATCHED in html
    assert '<a class="button" href="tel:988">Call 9-8-8</a>' in html
    assert '<a class="button" href="sms:988">Text 9-8-8</a>' in html


def test_schedule_helper_is_shared(episode: CareEpisode):
    schedule(episode, "gad7", at_intake=True)
    assert episode.outcome_schedules.get().instrument_id == "gad7"


def test_a_rule_set_without_diary_rules_keeps_the_diary_defaults(clinic: Clinic):
    rules = [
        {"source": "gad7", "field": "gad7_7", "comparison": ">=", "threshold": 3, "label": "x"}
    ]
    safety_set(clinic=clinic, actor=None, rules_json=json.dumps(rules), resources_json="")
    fields = [(r.source, r.field) for r in rules_for(clinic)]
    assert fields[0] == ("gad7", "gad7_7")
    assert ("diary", "urge_suicide") in fields and ("diary", "action_self_harm") in fields
    assert ("phq9", "phq9_9") in fields


def test_a_diary_rule_the_clinic_wrote_replaces_the_default_for_that_answer(clinic: Clinic):
    rules = [
        {"source": "diary", "field": "urge_self_harm", "comparison": ">=", "threshold": 3,
         "label": "Diary card: urge to self-harm"}
    ]  # fmt: skip
    safety_set(clinic=clinic, actor=None, rules_json=json.dumps(rules), resources_json="")
    mine = [r for r in rules_for(clinic) if r.field == "urge_self_harm"]
    assert [(r.comparison, r.threshold) for r in mine] == [(">=", 3)]
