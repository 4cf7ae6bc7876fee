"""The client's own safety plan: versions, stale forms, review, risk pages, offline copy, audit."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

import alliance
from alliance.audit.models import AuditAction, AuditEvent, RecordType
from alliance.core.safety_plan import SECTION_KEYS, SECTION_MAX
from alliance.demo import seed_demo
from alliance.people.models import CareEpisode, Clinic, EpisodeStatus, User
from alliance.ruptures.models import Alert, AlertCategory
from alliance.safetyplan import services
from alliance.safetyplan.models import Author, SafetyPlan, SafetyPlanVersion
from alliance.safetyplan.services import (
    SafetyPlanError,
    StalePlan,
    safety_plan_review,
    safety_plan_save,
)
from tests.web.test_crisis_lines import set_region
from tests.web.test_diary import RISK, post_card
from tests.web.test_outcomes import PHQ9, answers_for, post_answers, questionnaire_url, schedule

T0 = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
EDIT = reverse("my_safety_plan_edit")
MINE = reverse("my_safety_plan")


def _form(version: int, **texts: str) -> dict[str, str]:
    return {"version": str(version), **dict.fromkeys(SECTION_KEYS, ""), **texts}


def _html(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def plan(episode: CareEpisode, client_user: User) -> SafetyPlan:
    safety_plan_save(
        episode=episode,
        actor=client_user,
        texts={"warning_signs": "Not sleeping", "reasons_for_living": "My sister"},
        base_version=0,
    )
    return SafetyPlan.objects.get(episode=episode)


def _therapist_page(therapist: User, login: Callable[[User], Client], client: User) -> str:
    return _html(login(therapist).get(reverse("safety_plan", args=[client.id])))


# --- versions ----------------------------------------------------------------------------------


def test_the_client_writes_the_first_version_in_their_own_words(
    login, client_user, episode, frozen
):
    browser = login(client_user)
    response = browser.post(EDIT, _form(0, warning_signs="Not sleeping", on_my_own="Cold water"))
    assert (response.status_code, response["Location"]) == (302, MINE)
    [version] = SafetyPlanVersion.objects.all()
    assert (version.number, version.author, version.written_by, version.written_at) == (
        1,
        Author.CLIENT,
        client_user,
        T0,
    )
    assert version.changed == ["warning_signs", "on_my_own"]
    page = _html(browser.get(MINE))
    assert "Not sleeping" in page and "Cold water" in page
    assert "Last changed by you on 10 March 2026." in page


def test_each_save_adds_a_version_with_who_wrote_it_and_the_parts_it_changed(
    login, therapist, client_user, episode, plan
):
    response = login(therapist).post(
        reverse("safety_plan_edit", args=[client_user.id]),
        _form(1, warning_signs="Not sleeping", reasons_for_living="My sister, and Pickle the cat"),
    )
    assert response["Location"] == reverse("safety_plan", args=[client_user.id])
    versions = list(plan.versions.order_by("number").values_list("number", "author", "changed"))
    assert versions == [
        (1, "client", ["warning_signs", "reasons_for_living"]),
        (2, "therapist", ["reasons_for_living"]),
    ]
    plan.refresh_from_db()
    assert plan.version == 2
    # The first version's words are kept as they were.
    assert plan.versions.get(number=1).reasons_for_living == "My sister"


def test_a_save_that_changes_nothing_adds_no_version(login, client_user, plan):
    response = login(client_user).post(
        EDIT, _form(1, warning_signs="Not sleeping \n", reasons_for_living="My sister")
    )
    assert response.status_code == 302
    assert plan.versions.count() == 1


def test_the_plan_text_is_encrypted_in_the_database(plan):
    with connection.cursor() as cursor:
        cursor.execute("SELECT warning_signs FROM safetyplan_safetyplanversion")
        [(stored,)] = cursor.fetchall()
    assert stored.startswith("enc1:") and "Not sleeping" not in stored


# --- a form someone else saved in between ------------------------------------------------------


def test_a_stale_form_keeps_every_word_typed_and_saves_nothing(
    login, client_user, therapist, episode, plan
):
    # Teresa saves while Carla still has version 1 open.
    safety_plan_save(
        episode=episode,
        actor=therapist,
        texts={"warning_signs": "Not sleeping", "professionals": "Teresa, Tuesdays"},
        base_version=1,
    )
    response = login(client_user).post(
        EDIT, _form(1, warning_signs="Not sleeping, skipping meals", on_my_own="Ice in my hand")
    )
    page = _html(response)
    assert response.status_code == 409
    assert "Someone saved this plan while you were writing" in page
    assert "Not sleeping, skipping meals" in page and "Ice in my hand" in page
    assert "The plan as it is now (version 2)" in page and "Teresa, Tuesdays" in page
    assert 'name="version" value="2"' in page
    assert plan.versions.count() == 2


def test_saving_again_from_the_refreshed_form_goes_through(login, client_user, therapist, plan):
    safety_plan_save(
        episode=plan.episode, actor=therapist, texts={"on_my_own": "Walk"}, base_version=1
    )
    response = login(client_user).post(EDIT, _form(2, on_my_own="Walk, and ice"))
    assert response.status_code == 302
    assert plan.versions.get(number=3).on_my_own == "Walk, and ice"


def test_the_service_refuses_a_version_that_is_not_the_newest(client_user, plan):
    with pytest.raises(StalePlan):
        safety_plan_save(
            episode=plan.episode, actor=client_user, texts={"on_my_own": "x"}, base_version=0
        )
    with pytest.raises(StalePlan):
        safety_plan_save(
            episode=plan.episode, actor=client_user, texts={"on_my_own": "x"}, base_version=5
        )


def test_a_first_save_on_a_form_for_an_existing_plan_is_stale(client_user, episode):
    with pytest.raises(StalePlan):
        safety_plan_save(
            episode=episode, actor=client_user, texts={"on_my_own": "x"}, base_version=1
        )


def test_a_save_that_loses_a_race_on_a_database_without_row_locks_is_stale(
    monkeypatch, client_user, plan
):
    """SQLite takes no row lock: the other save lands between this one's read and its write."""
    real = services.changed_sections

    def other_save_lands(before, after):
        SafetyPlan.objects.filter(pk=plan.pk).update(version=2)
        return real(before, after)

    monkeypatch.setattr(services, "changed_sections", other_save_lands)
    with pytest.raises(StalePlan):
        safety_plan_save(
            episode=plan.episode, actor=client_user, texts={"on_my_own": "x"}, base_version=1
        )
    assert plan.versions.count() == 1


def test_the_second_of_two_first_saves_racing_is_stale(monkeypatch, client_user, episode):
    def other_first_save_lands(values):
        SafetyPlan.objects.create(episode=episode)
        return False

    monkeypatch.setattr(services, "is_empty", other_first_save_lands)
    with pytest.raises(StalePlan):
        safety_plan_save(
            episode=episode, actor=client_user, texts={"on_my_own": "x"}, base_version=0
        )
    # The other save was made inside this one's transaction here, so it rolls back with it; in
    # real life it is committed, and it is the plan this save refused to write over.
    assert SafetyPlanVersion.objects.count() == 0


# --- bad input ---------------------------------------------------------------------------------


def test_a_new_plan_with_nothing_written_is_refused_kindly(login, client_user, episode):
    response = login(client_user).post(EDIT, _form(0))
    assert response.status_code == 400
    assert "Write something in at least one part of the plan" in _html(response)
    assert not SafetyPlan.objects.exists()


def test_a_part_too_long_is_refused_and_the_text_kept(login, client_user, episode):
    long = "a" * (SECTION_MAX + 1)
    response = login(client_user).post(EDIT, _form(0, on_my_own=long, warning_signs="Kept"))
    page = _html(response)
    assert response.status_code == 400
    assert f"at most {SECTION_MAX} characters" in page
    assert ">\nKept</textarea>" in page
    assert not SafetyPlan.objects.exists()


def test_html_in_the_plan_is_shown_as_text_everywhere(
    login, client_user, therapist, episode, frozen
):
    evil = '<script>alert("x")</script><b>bold</b>'
    login(client_user).post(EDIT, _form(0, warning_signs=evil))
    pages = [
        _html(login(client_user).get(MINE)),
        _therapist_page(therapist, login, client_user),
        _html(login(therapist).get(reverse("client_detail", args=[client_user.id]))),
        _html(login(client_user).get(EDIT)),
    ]
    for page in pages[:2]:
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in page
    for page in pages:
        assert "<script>alert" not in page and "<b>bold</b>" not in page


def test_someone_else_cannot_write_into_a_plan(other_client, other_therapist, episode):
    for stranger in (other_client, other_therapist):
        with pytest.raises(SafetyPlanError):
            safety_plan_save(
                episode=episode, actor=stranger, texts={"on_my_own": "x"}, base_version=0
            )
    assert not SafetyPlan.objects.exists()


def test_after_care_ends_the_plan_is_read_only(login, client_user, episode, plan):
    CareEpisode.objects.filter(pk=episode.pk).update(status=EpisodeStatus.ENDED)
    browser = login(client_user)
    assert "Not sleeping" in _html(browser.get(MINE))
    assert "Change my plan" not in _html(browser.get(MINE))
    response = browser.post(EDIT, _form(1, on_my_own="x"))
    assert response.status_code == 400
    assert plan.versions.count() == 1


# --- reviewed together -------------------------------------------------------------------------


def test_the_therapist_stamps_the_version_they_went_through_together(
    login, therapist, client_user, plan, frozen
):
    response = login(therapist).post(
        reverse("safety_plan_review", args=[client_user.id]), {"version": "1"}
    )
    assert response["Location"] == reverse("safety_plan", args=[client_user.id])
    version = plan.versions.get()
    assert (version.reviewed_at, version.reviewed_by) == (T0, therapist)
    assert "Last gone through together</dt><dd>Tue 10 Mar 2026, version 1" in _therapist_page(
        therapist, login, client_user
    )
    assert "You last went through it together on 10 March 2026." in _html(
        login(client_user).get(MINE)
    )


def test_a_review_of_a_version_that_is_no_longer_the_newest_is_refused(
    login, therapist, client_user, plan
):
    safety_plan_save(
        episode=plan.episode, actor=client_user, texts={"on_my_own": "Walk"}, base_version=1
    )
    browser = login(therapist)
    browser.post(reverse("safety_plan_review", args=[client_user.id]), {"version": "1"})
    assert not plan.versions.filter(reviewed_at__isnull=False).exists()
    page = _html(browser.get(reverse("safety_plan", args=[client_user.id])))
    assert "The plan changed since you opened it." in page


def test_the_therapist_page_shows_the_history_and_a_change_since_the_review(
    login, therapist, client_user, plan
):
    safety_plan_review(plan=plan, therapist=therapist, version=1)
    safety_plan_save(
        episode=plan.episode,
        actor=therapist,
        texts={
            "warning_signs": "Not sleeping",
            "reasons_for_living": "My sister",
            "on_my_own": "W",
        },
        base_version=1,
    )
    page = _therapist_page(therapist, login, client_user)
    rows = re.findall(r'<tr><th scope="row">(\d+)</th>.*?</tr>', page)
    assert rows == ["2", "1"]
    assert "Things I can do on my own</td>" in page
    assert "How I know things are getting hard; My reasons for living</td>" in page
    assert "changed since" in page


def test_only_the_clients_therapist_may_review(other_therapist, plan):
    with pytest.raises(SafetyPlanError):
        safety_plan_review(plan=plan, therapist=other_therapist, version=1)


# --- shown first after any risk answer ---------------------------------------------------------


def test_after_a_phq9_risk_answer_the_plan_comes_before_the_crisis_lines(
    login, client_user, episode, plan
):
    schedule(episode, "phq9", at_intake=True)
    browser = login(client_user)
    response = post_answers(browser, questionnaire_url(episode), answers_for(PHQ9, 14, item9=1))
    page = _html(browser.get(response["Location"]))
    assert 'id="plan-now-h"' in page and "Not sleeping" in page
    assert page.index('id="plan-now-h"') < page.index('id="crisis-h"')


def test_after_a_diary_risk_answer_the_plan_comes_before_the_crisis_lines(
    login, client_user, episode, plan, frozen
):
    browser = login(client_user)
    episode.started_on = datetime(2026, 1, 5).date()
    episode.save(update_fields=["started_on"])
    response = post_card(browser, RISK)
    page = _html(browser.get(response["Location"]))
    assert page.index('id="plan-now-h"') < page.index('id="crisis-h"')
    assert "My sister" in page


def test_a_calm_answer_shows_no_plan_and_reads_none(login, client_user, episode, plan):
    schedule(episode, "phq9", at_intake=True)
    browser = login(client_user)
    response = post_answers(browser, questionnaire_url(episode), answers_for(PHQ9, 3, item9=0))
    page = _html(browser.get(response["Location"]))
    assert 'id="plan-now-h"' not in page
    assert not AuditEvent.objects.filter(
        record_type=RecordType.SAFETY_PLAN, route="questionnaire_done"
    ).exists()


def test_without_a_plan_a_risk_answer_still_shows_the_crisis_lines(login, client_user, episode):
    schedule(episode, "phq9", at_intake=True)
    browser = login(client_user)
    response = post_answers(browser, questionnaire_url(episode), answers_for(PHQ9, 14, item9=2))
    page = _html(browser.get(response["Location"]))
    assert 'id="plan-now-h"' not in page and 'id="crisis-h"' in page


# --- the therapist's pages ---------------------------------------------------------------------


def _risk_alert(login, client_user, episode) -> Alert:
    schedule(episode, "phq9", at_intake=True)
    post_answers(login(client_user), questionnaire_url(episode), answers_for(PHQ9, 14, item9=1))
    return Alert.objects.get(category=AlertCategory.RISK)


def test_a_risk_alert_on_a_client_without_a_plan_says_so_with_a_link_to_start_one(
    login, therapist, client_user, episode
):
    alert = _risk_alert(login, client_user, episode)
    page = _html(login(therapist).get(reverse("alert_detail", args=[alert.id])))
    assert "No safety plan yet." in page
    assert f'href="{reverse("safety_plan_edit", args=[client_user.id])}"' in page


def test_a_risk_alert_shows_when_the_plan_was_last_gone_through(
    login, therapist, client_user, episode, plan
):
    safety_plan_review(plan=plan, therapist=therapist, version=1, now=T0)
    alert = _risk_alert(login, client_user, episode)
    page = _html(login(therapist).get(reverse("alert_detail", args=[alert.id])))
    assert "Last gone through together on 10 Mar 2026." in page
    assert "No safety plan yet." not in page


def test_the_client_page_shows_the_plan_at_a_glance(login, therapist, client_user, plan):
    page = _html(login(therapist).get(reverse("client_detail", args=[client_user.id])))
    assert 'id="safety-plan-h"' in page and "Not yet gone through together." in page
    assert f'href="{reverse("safety_plan", args=[client_user.id])}"' in page


def test_the_therapist_starts_a_plan_from_the_empty_page(login, therapist, client_user, episode):
    page = _therapist_page(therapist, login, client_user)
    assert "No safety plan yet." in page
    response = login(therapist).post(
        reverse("safety_plan_edit", args=[client_user.id]), _form(0, professionals="Teresa")
    )
    assert response.status_code == 302
    assert SafetyPlanVersion.objects.get().author == Author.THERAPIST


# --- one tap from every client page ------------------------------------------------------------


@pytest.mark.parametrize("route", ["client_home", "diary", "crisis_help", "access_log"])
def test_every_client_page_links_to_the_plan(login, client_user, episode, route):
    page = _html(login(client_user).get(reverse(route)))
    assert f'<a href="{MINE}"' in page


def test_a_client_without_a_plan_is_invited_to_write_one(login, client_user, episode):
    page = _html(login(client_user).get(MINE))
    assert "You and Teresa can write it together" in page
    assert f'href="{EDIT}"' in page


# --- crisis lines of the clinic's region -------------------------------------------------------


@pytest.mark.parametrize(("region", "call"), [("UK", "116123"), ("AU", "131114"), ("US", "988")])
def test_the_plan_page_shows_the_regions_lines_with_tap_to_call(
    login, clinic: Clinic, client_user, plan, region, call
):
    set_region(clinic, region)
    page = _html(login(client_user).get(MINE)).split("<footer")[0]
    assert f'href="tel:{call}"' in page


# --- offline copy -------------------------------------------------------------------------------


def test_the_client_plan_page_is_marked_for_the_offline_copy(login, client_user, plan):
    response = login(client_user).get(MINE)
    assert response["Alliance-Offline"] == "keep"  # alliance/offline: the worker may keep it
    assert f'data-service-worker="{reverse("service_worker")}"' in _html(response)
    assert "safetyplan/plan.js" in _html(response)


def test_staff_plan_pages_are_never_stored(login, therapist, client_user, plan):
    browser = login(therapist)
    for url in (
        reverse("safety_plan", args=[client_user.id]),
        reverse("safety_plan_edit", args=[client_user.id]),
    ):
        response = browser.get(url)
        assert (response.status_code, response["Cache-Control"]) == (200, "no-store")
        assert "data-service-worker" not in _html(response)
        assert "Alliance-Offline" not in response


# --- audit --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "route"),
    [
        ("client_user", "my_safety_plan"),
        ("client_user", "my_safety_plan_edit"),
        ("therapist", "safety_plan"),
        ("therapist", "safety_plan_edit"),
        ("therapist", "client_detail"),
    ],
)
def test_every_read_of_the_plan_is_audited(request, login, client_user, plan, who, route):
    user = request.getfixturevalue(who)
    url = reverse(route, args=[client_user.id]) if who == "therapist" else reverse(route)
    login(user).get(url)
    assert AuditEvent.objects.filter(
        actor=user,
        action=AuditAction.VIEW,
        record_type=RecordType.SAFETY_PLAN,
        record_id=str(plan.id),
        subject=client_user,
        route=route,
    ).exists()


def test_saves_and_reviews_are_audited(therapist, client_user, plan):
    safety_plan_review(plan=plan, therapist=therapist, version=1)
    rows = list(
        AuditEvent.objects.filter(record_type=RecordType.SAFETY_PLAN)
        .order_by("id")
        .values_list("action", "detail")
    )
    assert rows == [("create", "version 1"), ("transition", "reviewed")]


def test_a_form_without_its_version_keeps_the_text_and_says_what_to_do(login, client_user, plan):
    data = _form(1, on_my_own="Hold ice")
    del data["version"]
    response = login(client_user).post(EDIT, data)
    page = _html(response)
    assert response.status_code == 400
    assert "This form lost track of which version" in page and "Hold ice" in page
    assert 'name="version" value="1"' in page
    assert plan.versions.count() == 1


# --- print and demo -----------------------------------------------------------------------------


def test_the_stylesheet_prints_the_plan_without_the_site_around_it():
    css = (Path(alliance.__file__).parent / "static/alliance/alliance.css").read_text()
    printed = css.split("@media print {", 1)[1].split("\n}\n", 1)[0]
    assert ".top, .foot, .skip, .messages, .no-print, .plan-actions, form" in printed
    assert ".plan-part" in printed and ".crisis" in printed


@pytest.mark.django_db
def test_the_demo_client_has_a_plan_changed_since_it_was_last_gone_through():
    seed_demo(seed=2026, password="demo-password-1", now=datetime(2026, 11, 23, 15, tzinfo=UTC))
    plan = SafetyPlan.objects.get(episode__client__email="client@demo.example")
    versions = list(plan.versions.order_by("number").values_list("number", "author", "reviewed_at"))
    assert [(n, a) for n, a, _ in versions] == [(1, "client"), (2, "therapist"), (3, "client")]
    assert [r is not None for _, _, r in versions] == [False, True, False]


def test_no_code_outside_the_crisis_table_writes_a_crisis_number():
    """Templates are checked in test_crisis_lines; this checks the strings of the Python code
    (form hints, messages) and the scripts: any number there is one region's, wrong for the
    others. Docstrings may name the numbers they describe."""
    root = Path(alliance.__file__).parent
    pattern = re.compile(r"9-8-8|\b988\b|\b911\b|\b999\b|116 ?123|13 ?11 ?14|\btel:\d|\bsms:\d")
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts or path == root / "core" / "safety.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        found += [
            f"{path.relative_to(root)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and pattern.search(node.value)
        ]
    found += [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.js"))
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_a_plan_emptied_by_its_client_says_so_and_lists_every_part_as_open(
    login, client_user, therapist, plan
):
    response = login(client_user).post(EDIT, _form(1))
    assert response.status_code == 302 and plan.versions.count() == 2
    assert "Your plan is empty at the moment." in _html(login(client_user).get(MINE))
    page = _therapist_page(therapist, login, client_user)
    assert "Not filled in yet: How I know things are getting hard; " in page
    assert "; My reasons for living.</p>" in page


def test_the_same_version_can_be_gone_through_again_on_a_later_day(therapist, plan):
    first = safety_plan_review(plan=plan, therapist=therapist, version=1, now=T0)
    later = datetime(2026, 6, 1, 15, tzinfo=UTC)
    again = safety_plan_review(plan=plan, therapist=therapist, version=1, now=later)
    assert (first.pk, again.reviewed_at) == (again.pk, later)
