"""Reads for reaching out: the public pages, and the requests staff see (``alliance.access``)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from alliance.people.models import Role, User
from alliance.reachout.models import ReachOutPage, ReachOutRequest, RequestStatus

# Answered requests shown under the waiting ones; older ones stay until they are deleted.
ANSWERED_SHOWN = 50


def open_page(slug: str) -> ReachOutPage | None:
    """The open page at ``slug``: a therapist's whose account is active, or a clinic's."""
    return (
        ReachOutPage.objects.filter(slug=slug, is_open=True)
        .filter(Q(therapist__isnull=True) | Q(therapist__is_active=True))
        .select_related("clinic", "therapist")
        .first()
    )


def page_of(user: User) -> ReachOutPage | None:
    """The page ``user`` looks after: a therapist's own, a clinic admin's clinic's."""
    if user.role == Role.THERAPIST:
        return ReachOutPage.objects.filter(therapist=user).first()
    if user.role == Role.CLINIC_ADMIN:
        return ReachOutPage.objects.filter(clinic_id=user.clinic_id, therapist__isnull=True).first()
    return None


def slug_taken(slug: str, *, other_than: ReachOutPage | None) -> bool:
    pages = ReachOutPage.objects.filter(slug=slug)
    if other_than is not None:
        pages = pages.exclude(pk=other_than.pk)
    return pages.exists()


def already_received(page: ReachOutPage, form_token: uuid.UUID) -> bool:
    """Whether this form was sent before (a second press, the back button)."""
    return ReachOutRequest.objects.filter(page=page, form_token=form_token).exists()


def requests_listed(requests: QuerySet[ReachOutRequest]) -> list[ReachOutRequest]:
    """Every waiting request, oldest first (who has waited longest), then the latest answered."""
    rows = requests.select_related("page", "answered_by")
    waiting = list(rows.filter(status=RequestStatus.WAITING).order_by("received_at"))
    answered = list(
        rows.exclude(status=RequestStatus.WAITING).order_by("-answered_at")[:ANSWERED_SHOWN]
    )
    return waiting + answered


def waiting_count(requests: QuerySet[ReachOutRequest]) -> int:
    """How many requests wait for an answer: one query."""
    return requests.filter(status=RequestStatus.WAITING).count()


def intake_therapists(admin: User) -> QuerySet[User]:
    """Whose caseload a clinic admin may invite someone to: the clinic's active therapists."""
    return User.objects.filter(
        clinic_id=admin.clinic_id, role=Role.THERAPIST, is_active=True
    ).order_by("full_name")


def past_retention(now: datetime) -> QuerySet[ReachOutRequest]:
    """Requests received more than ``ALLIANCE_REACH_OUT_RETENTION_DAYS`` before ``now``; one
    received exactly that long ago is not past it yet."""
    cutoff = now - timedelta(days=settings.ALLIANCE_REACH_OUT_RETENTION_DAYS)
    return ReachOutRequest.objects.filter(received_at__lt=cutoff)
