"""Supervision: assignments, the figures, hidden names, no notes, and fair comparisons."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import AuditEvent, RecordType
from alliance.checkins.services import checkin_submit
from alliance.core.supervision import rate
from alliance.people.models import CareEpisode, User
from alliance.ruptures.models import Alert
from alliance.ruptures.services import RepairInput, alert_acknowledge, alert_record_repair
from alliance.supervision.models import SupervisorAssignment
from alliance.supervision.selectors import TherapistFigures, comparisons, therapist_figures
from alliance.supervision.services import (
    SupervisionError,
    supervision_names_set,
    supervisor_assign,
)
from tests.conftest import GOOD_ANSWERS

SECRET_COMMENT = "My private words about the session"
SECRET_NOTE = "Therapist's private repair note"


@pytest.fixture
def assigned(supervisor: User, therapist: User, admin: User) -> SupervisorAssignment:
    return supervisor_assign(admin=admin, supervisor=supervisor, therapist=therapist)[0]


def _tense_checkin(session: Any, client: User, **more: str) -> Alert:
    checkin_submit(
        session=session,
        client=client,
        answers={**GOOD_ANSWERS, "tension": "2", "comment": SECRET_COMMENT, **more},
        form_token=uuid.uuid4(),
    )
    return Alert.objects.get(session=session)


def _repair(alert: Alert, therapist: User) -> None:
    alert_record_repair(
        alert=alert,
        actor=therapist,
        repair=RepairInput(
            rupture_type="withdrawal",
            markers=[],
            strategies=["clarify"],
            notes=SECRET_NOTE,
            next_session_plan=SECRET_NOTE,
        ),
    )


def test_figures_by_hand(
    episode: CareEpisode, attend: Any, therapist: User, client_user: User
) -> None:
    start = timezone.now()
    first = _tense_checkin(attend(episode, 1, at=start - timedelta(minutes=2)), client_user)
    second = _tense_checkin(
        attend(episode, 2, at=start - timedelta(minutes=1)), client_user, followup_resolved="0"
    )
    alert_acknowledge(alert=first, actor=therapist, now=first.created_at + timedelta(hours=3))
    alert_acknowledge(alert=second, actor=therapist, now=second.created_at + timedelta(hours=5))
    _repair(first, therapist)
    figures = therapist_figures(therapist, now=start + timedelta(hours=6))
    assert (figures.cases, figures.ruptures) == (1, 2)
    assert figures.acknowledged == rate(2, 2)
    assert figures.median_hours_to_acknowledge == pytest.approx(4.0)  # (3 + 5) / 2
    assert figures.repaired == rate(1, 2)
    assert figures.resolved_by_client == rate(0, 2)
    assert figures.alliance_recent == pytest.approx(6.0)
    assert (figures.alliance_recent_n, figures.alliance_before_n) == (2, 0)
    assert figures.dropout_proxy == rate(0, 1)  # in care, seen within 30 days


def test_the_dropout_proxy_counts_ended_care_and_no_contact(
    episode: CareEpisode, attend: Any, therapist: User
) -> None:
    attend(episode, 1, at=timezone.now() - timedelta(days=31))
    assert therapist_figures(therapist, now=timezone.now()).dropout_proxy == rate(1, 1)


def test_the_supervisor_sees_figures_without_names_or_notes(
    login: Callable[[User], Any],
    assigned: SupervisorAssignment,
    supervisor: User,
    episode: CareEpisode,
    attend: Any,
    therapist: User,
    client_user: User,
) -> None:
    alert = _tense_checkin(attend(episode, 1), client_user)
    alert_acknowledge(alert=alert, actor=therapist)
    _repair(alert, therapist)
    browser = login(supervisor)
    for url in (reverse("supervision"), reverse("supervision_therapist", args=[therapist.id])):
        text = browser.get(url).content.decode()
        assert "Teresa Tran" in text
        assert "Ruptures detected" in text
        assert "95 % interval" in text
        for secret in (SECRET_COMMENT, SECRET_NOTE, client_user.full_name, client_user.email):
            assert secret not in text
    assert "Client A" in text


def test_names_show_only_when_the_clinic_enables_it(
    login: Callable[[User], Any],
    assigned: SupervisorAssignment,
    supervisor: User,
    admin: User,
    episode: CareEpisode,
    therapist: User,
) -> None:
    supervision_names_set(admin=admin, show=True)
    text = login(supervisor).get(reverse("supervision_therapist", args=[therapist.id]))
    assert "Carla Client" in text.content.decode()


def test_a_supervisor_never_reaches_an_unassigned_therapist_or_any_record(
    login: Callable[[User], Any],
    assigned: SupervisorAssignment,
    supervisor: User,
    other_therapist: User,
    episode: CareEpisode,
    other_episode: CareEpisode,
    attend: Any,
    client_user: User,
) -> None:
    alert = _tense_checkin(attend(episode, 1), client_user)
    browser = login(supervisor)
    assert (
        browser.get(reverse("supervision_therapist", args=[other_therapist.id])).status_code == 404
    )
    overview = browser.get(reverse("supervision")).content.decode()
    assert "Omar Osei" not in overview
    for url in (
        reverse("client_detail", args=[client_user.id]),
        reverse("client_detail", args=[other_episode.client_id]),
        reverse("alert_detail", args=[alert.id]),
        reverse("diary_week", args=[client_user.id]),
    ):
        assert browser.get(url).status_code == 404


def test_an_ended_assignment_ends_access(
    login: Callable[[User], Any],
    assigned: SupervisorAssignment,
    supervisor: User,
    therapist: User,
    admin: User,
) -> None:
    browser = login(supervisor)
    url = reverse("supervision_therapist", args=[therapist.id])
    assert browser.get(url).status_code == 200
    response = login(admin).post(reverse("supervisor_unassign", args=[assigned.id]))
    assert response.status_code == 302
    assert browser.get(url).status_code == 404
    assert AuditEvent.objects.filter(
        actor=admin, record_type=RecordType.SUPERVISION, detail="unassigned", subject=therapist
    ).exists()


def test_the_admin_assigns_on_the_people_page(
    login: Callable[[User], Any], admin: User, supervisor: User, therapist: User
) -> None:
    browser = login(admin)
    page = browser.get(reverse("clinic_people")).content.decode()
    assert 'action="/clinic/supervision/assign/"' in page
    response = browser.post(
        reverse("supervisor_assign"),
        {"supervisor": str(supervisor.id), "therapist": str(therapist.id)},
        follow=True,
    )
    assert "Sue Supervisor now supervises Teresa Tran." in response.content.decode()
    assert (
        SupervisorAssignment.objects.filter(
            supervisor=supervisor, therapist=therapist, ended_at__isnull=True
        ).count()
        == 1
    )
    assert AuditEvent.objects.filter(
        actor=admin, record_type=RecordType.SUPERVISION, detail="assigned", subject=therapist
    ).exists()


def test_bad_assignments_are_refused(
    login: Callable[[User], Any],
    admin: User,
    supervisor: User,
    therapist: User,
    stranger: User,
) -> None:
    browser = login(admin)
    # the roles swapped, or someone of another clinic: the person is not found as that role
    swapped = browser.post(
        reverse("supervisor_assign"),
        {"supervisor": str(therapist.id), "therapist": str(supervisor.id)},
    )
    elsewhere = browser.post(
        reverse("supervisor_assign"),
        {"supervisor": str(supervisor.id), "therapist": str(stranger.id)},
    )
    missing = browser.post(reverse("supervisor_assign"), {"supervisor": str(supervisor.id)})
    assert (swapped.status_code, elsewhere.status_code, missing.status_code) == (404, 404, 302)
    assert not SupervisorAssignment.objects.exists()
    with pytest.raises(SupervisionError):
        supervisor_assign(admin=therapist, supervisor=supervisor, therapist=therapist)


def _figures(name: str, acknowledged: tuple[int, int]) -> TherapistFigures:
    none = rate(0, 0)
    return TherapistFigures(
        therapist=User(full_name=name, email=f"{name}@example.org"),
        cases=acknowledged[1],
        ruptures=acknowledged[1],
        acknowledged=rate(*acknowledged),
        median_hours_to_acknowledge=None,
        repaired=none,
        resolved_by_client=none,
        alliance_recent=None,
        alliance_recent_n=0,
        alliance_before=None,
        alliance_before_n=0,
        not_on_track=0,
        risk=0,
        discrepancy=0,
        dropout_proxy=none,
        episode_ids=(),
        client_ids=(),
    )


def test_comparisons_need_ten_cases_each_and_keep_name_order() -> None:
    enough = comparisons([_figures("Zoe", (9, 10)), _figures("Ann", (3, 12))])
    acknowledged = next(c for c in enough if c.key == "acknowledged")
    assert acknowledged.shown
    # By name, not by rate: Ann's 25 % comes first because of her name.
    assert [t.full_name for t, _ in acknowledged.rows] == ["Ann", "Zoe"]
    few = comparisons([_figures("Zoe", (9, 10)), _figures("Ann", (3, 9))])
    assert not next(c for c in few if c.key == "acknowledged").shown


@time_machine.travel("2026-11-01 02:30:00-04:00", tick=False)  # the night clocks go back
def test_the_overview_renders_on_a_dst_day(
    login: Callable[[User], Any], assigned: SupervisorAssignment, supervisor: User
) -> None:
    assert login(supervisor).get(reverse("supervision")).status_code == 200


def test_one_therapists_figures_take_four_queries_however_many_clients(
    episode: CareEpisode,
    other_episode: CareEpisode,
    attend: Any,
    therapist: User,
    client_user: User,
    django_assert_num_queries: Any,
) -> None:
    _tense_checkin(attend(episode, 1), client_user)
    with django_assert_num_queries(4):
        therapist_figures(therapist, now=timezone.now())
