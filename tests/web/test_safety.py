"""Safety: risk answers show crisis resources at once and raise a high-priority alert.

The rules and resources are the clinic's (``ClinicSafety``), the defaults from
``alliance.core.safety`` otherwise.
"""

from __future__ import annotations

import html
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


# --- the safety page: a row per rule and per resource, no JSON --------------------------------


def _rows(prefix: str, rows: list[dict[str, Any]], **extra: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return {**data, **extra}


def _post(browser: Client, rules: list[dict[str, Any]], resources: list[dict[str, Any]] = (),
          **extra: str) -> Any:  # fmt: skip
    data = {**_rows("rules", rules), **_rows("resources", list(resources)), **extra}
    return browser.post(reverse("clinic_safety"), data)


GAD7_RULE = {"answer": "gad7:gad7_7", "comparison": ">=", "threshold": "3",
             "label": "GAD-7 item 7: afraid something awful might happen"}  # fmt: skip
LINE = {"name": "Harbour after-hours line", "contact": "Call 555-0100",
        "description": "Evenings and weekends."}  # fmt: skip


def test_the_safety_page_is_a_form_of_rows_not_json(login: Callable[[User], Client], admin: User):
    page = login(admin).get(reverse("clinic_safety")).content.decode()
    assert "<textarea" not in page and "JSON" not in page
    assert 'name="rules-0-answer"' in page and 'name="resources-0-name"' in page
    assert '<option value="phq9:phq9_9">PHQ-9' in page
    assert '<option value="diary:urge_suicide">Diary card: urge, suicide (0–5)</option>' in page
    assert "Add another rule" in page


def test_admin_saves_a_rule_and_a_resource_on_the_safety_page(
    login: Callable[[User], Client], admin: User, clinic: Clinic
):
    response = _post(login(admin), [GAD7_RULE], [LINE])
    assert response["Location"] == reverse("clinic_safety")
    stored = ClinicSafety.objects.get(clinic=clinic)
    assert stored.rules == [{"source": "gad7", "field": "gad7_7", "comparison": ">=",
                             "threshold": 3, "label": GAD7_RULE["label"]}]  # fmt: skip
    assert [r.name for r in crisis_resources_for(clinic)] == ["Harbour after-hours line"]
    # The answers the clinic's rule does not name keep their default rules.
    assert ("diary", "urge_suicide") in [(r.source, r.field) for r in rules_for(clinic)]


def test_the_page_shows_the_stored_rules_as_rows_in_words(
    login: Callable[[User], Client], admin: User, clinic: Clinic
):
    _post(login(admin), [GAD7_RULE])
    page = login(admin).get(reverse("clinic_safety")).content.decode()
    assert '<option value="gad7:gad7_7" selected>' in page
    assert 'name="rules-0-threshold" value="3"' in page
    assert "<td>is at least 3</td>" in page and "phq9_9</td>" not in page


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"threshold": "4"}, "threshold", "This answer goes from 0 to 3"),
        ({"threshold": "-1"}, "threshold", "This answer goes from 0 to 3"),
        ({"comparison": ">", "threshold": "3"}, "threshold", "No answer is more than 3"),
        ({"threshold": "two"}, "threshold", "Enter a whole number."),
        ({"label": ""}, "label", "This field is required."),
        ({"answer": "gad7:nope"}, "answer", "Select a valid choice."),
        ({"comparison": "<"}, "comparison", "Select a valid choice."),
    ],
)
def test_a_rule_that_does_not_make_sense_is_refused_at_its_field_and_nothing_is_saved(
    login: Callable[[User], Client], admin: User, row: dict[str, str], field: str, message: str
):
    response = _post(login(admin), [{**GAD7_RULE, **row}])
    assert response.status_code == 400
    page = response.content.decode()
    assert "Some rows need another look" in page
    assert f'id="id_rules-0-{field}_error">{message}' in page
    assert not ClinicSafety.objects.exists()


def test_an_empty_row_as_the_browser_sends_it_is_left_out(
    login: Callable[[User], Client], admin: User, clinic: Clinic
):
    empty = {"answer": "", "comparison": ">=", "threshold": "", "label": ""}
    response = _post(
        login(admin), [GAD7_RULE, empty], [{"name": "", "contact": "", "description": ""}]
    )
    assert response.status_code == 302
    assert len(ClinicSafety.objects.get(clinic=clinic).rules) == 1
    assert crisis_resources_for(clinic) == DEFAULT_CRISIS_RESOURCES


def test_two_rules_for_the_same_answer_are_refused(login: Callable[[User], Client], admin: User):
    response = _post(login(admin), [GAD7_RULE, {**GAD7_RULE, "threshold": "2"}])
    assert response.status_code == 400
    assert "Another rule already reads this answer" in response.content.decode()
    assert not ClinicSafety.objects.exists()


def test_an_incomplete_resource_is_refused(login: Callable[[User], Client], admin: User):
    response = _post(login(admin), [], [{**LINE, "contact": ""}])
    assert response.status_code == 400
    assert 'id="id_resources-0-contact_error">This field is required.' in response.content.decode()
    assert not ClinicSafety.objects.exists()


def test_adding_a_row_without_javascript_shows_one_more_and_saves_nothing(
    login: Callable[[User], Client], admin: User
):
    browser = login(admin)
    response = _post(browser, [GAD7_RULE], add_rule="1")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="rules-1-answer"' in page and 'name="rules-2-answer"' not in page
    assert '<option value="gad7:gad7_7" selected>' in page  # what was typed is kept
    assert not ClinicSafety.objects.exists()
    # The new row's comparison shows its first option; sent back as it is, the row is empty.
    select = page.split('name="rules-1-comparison"')[1]
    first_option = html.unescape(select.split('<option value="')[1].split('"')[0])
    empty = {"answer": "", "comparison": first_option, "threshold": "", "label": ""}
    assert _post(browser, [GAD7_RULE, empty]).status_code == 302


def test_removing_every_row_goes_back_to_the_defaults(
    login: Callable[[User], Client], admin: User, clinic: Clinic
):
    browser = login(admin)
    _post(browser, [GAD7_RULE], [LINE])
    response = _post(browser, [{**GAD7_RULE, "DELETE": "on"}], [{**LINE, "DELETE": "on"}])
    assert response.status_code == 302
    assert rules_for(clinic) == DEFAULT_RULES
    assert crisis_resources_for(clinic) == DEFAULT_CRISIS_RESOURCES


def test_a_stored_rule_for_a_questionnaire_no_longer_there_is_kept_when_saving(
    login: Callable[[User], Client], admin: User, clinic: Clinic
):
    rule = {"source": "core10", "field": "core10_6", "comparison": ">=", "threshold": 2,
            "label": "CORE-10 risk item"}  # fmt: skip
    safety_set(clinic=clinic, actor=None, rules_json=json.dumps([rule]), resources_json=None)
    browser = login(admin)
    page = browser.get(reverse("clinic_safety")).content.decode()
    assert '<option value="core10:core10_6" selected>' in page
    row = {"answer": "core10:core10_6", "comparison": ">=", "threshold": "2",
           "label": "CORE-10 risk item"}  # fmt: skip
    assert _post(browser, [row, GAD7_RULE]).status_code == 302
    assert ClinicSafety.objects.get().rules[0] == rule


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
