"""A clinic admin assigns supervisors to therapists and decides whether names are shown."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import Entry, audit_record
from alliance.people.models import Role, User
from alliance.supervision.models import SupervisionSettings, SupervisorAssignment


class SupervisionError(Exception):
    """Something a clinic admin asked for that cannot be done; the message says why."""


def _entry(assignment: SupervisorAssignment, detail: str) -> Entry:
    return Entry(
        action=AuditAction.UPDATE,
        record_type=RecordType.SUPERVISION,
        record_id=assignment.id,
        subject_id=assignment.therapist_id,
        clinic_id=assignment.clinic_id,
        detail=detail,
    )


def _check_admin(admin: User) -> None:
    if admin.role != Role.CLINIC_ADMIN:
        raise SupervisionError(_("Only a clinic admin can change supervision."))


def supervisor_assign(
    *, admin: User, supervisor: User, therapist: User, now: datetime | None = None
) -> tuple[SupervisorAssignment, bool]:
    """Assign ``supervisor`` to ``therapist``; the current assignment if there is one already."""
    _check_admin(admin)
    if supervisor.clinic_id != admin.clinic_id or therapist.clinic_id != admin.clinic_id:
        raise SupervisionError(_("Both people must be in your clinic."))
    if supervisor.role != Role.SUPERVISOR or not supervisor.is_active:
        raise SupervisionError(_("Please choose an active supervisor."))
    if therapist.role != Role.THERAPIST or not therapist.is_active:
        raise SupervisionError(_("Please choose an active therapist."))
    now = now or timezone.now()
    current = SupervisorAssignment.objects.filter(
        supervisor=supervisor, therapist=therapist, ended_at__isnull=True
    ).first()
    if current is not None:
        return current, False
    try:
        with transaction.atomic():
            assignment = SupervisorAssignment.objects.create(
                clinic_id=admin.clinic_id,
                supervisor=supervisor,
                therapist=therapist,
                assigned_by=admin,
                assigned_at=now,
            )
            audit_record(actor=admin, entry=_entry(assignment, "assigned"))
    except IntegrityError:  # the same pair assigned at the same moment: keep the first
        return SupervisorAssignment.objects.get(
            supervisor=supervisor, therapist=therapist, ended_at__isnull=True
        ), False
    return assignment, True


def supervisor_unassign(
    *, admin: User, assignment: SupervisorAssignment, now: datetime | None = None
) -> SupervisorAssignment:
    _check_admin(admin)
    if assignment.clinic_id != admin.clinic_id:
        raise SupervisionError(_("This assignment is not in your clinic."))
    now = now or timezone.now()
    with transaction.atomic():
        assignment = SupervisorAssignment.objects.select_for_update().get(pk=assignment.pk)
        if assignment.ended_at is not None:
            return assignment
        assignment.ended_at = now
        assignment.ended_by = admin
        assignment.save(update_fields=["ended_at", "ended_by"])
        audit_record(actor=admin, entry=_entry(assignment, "unassigned"))
    return assignment


def supervision_names_set(*, admin: User, show: bool, now: datetime | None = None) -> bool:
    """Let supervisors see client names (``show``), or hide them again. Returns the setting."""
    _check_admin(admin)
    now = now or timezone.now()
    with transaction.atomic():
        settings, _created = SupervisionSettings.objects.select_for_update().get_or_create(
            clinic_id=admin.clinic_id
        )
        if settings.show_client_names == show:
            return show
        settings.show_client_names = show
        settings.changed_at = now
        settings.changed_by = admin
        settings.save(update_fields=["show_client_names", "changed_at", "changed_by"])
        audit_record(
            actor=admin,
            entry=Entry(
                action=AuditAction.UPDATE,
                record_type=RecordType.SUPERVISION,
                record_id=admin.clinic_id,
                subject_id=None,
                clinic_id=admin.clinic_id,
                detail="names_shown" if show else "names_hidden",
            ),
        )
    return show
