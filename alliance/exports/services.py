"""Writes of the exports: each export is audited in the same transaction as the work it logs."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import Entry, about_person, audit_record, audit_record_bulk
from alliance.exports.client import client_export_zip
from alliance.exports.models import ExportStatus, ResearchExport
from alliance.exports.research import export_folder, research_export_write
from alliance.people.models import Role, User

logger = logging.getLogger(__name__)


def client_export_create(*, client: User) -> bytes:
    """The client's own ZIP (``alliance.exports.client``), audited as an export of their record."""
    data = client_export_zip(client)
    audit_record(actor=client, entry=about_person(client, AuditAction.EXPORT, "client_export"))
    return data


def _entry(export: ResearchExport, detail: str) -> Entry:
    return Entry(
        action=AuditAction.EXPORT,
        record_type=RecordType.RESEARCH_EXPORT,
        record_id=export.id,
        subject_id=None,
        clinic_id=export.clinic_id,
        detail=detail,
    )


def research_export_request(*, admin: User) -> ResearchExport:
    """Queue a research export of the admin's clinic; the worker builds it."""
    from alliance.exports.tasks import build_research_export

    with transaction.atomic():
        export = ResearchExport.objects.create(clinic_id=admin.clinic_id, requested_by=admin)
        audit_record(actor=admin, entry=_entry(export, "requested"))
        transaction.on_commit(lambda: build_research_export.enqueue(str(export.id)))
    return export


def research_export_build(*, export_id: uuid.UUID) -> ResearchExport:
    """Build the file (in the worker). Each client whose numbers it holds gets an export row in
    the audit log, so "who has seen my records" can answer for research exports too."""
    export = ResearchExport.objects.select_related("clinic").get(id=export_id)
    if export.status not in (ExportStatus.QUEUED, ExportStatus.FAILED):
        return export
    export.status, export.started_at = ExportStatus.RUNNING, timezone.now()
    export.save(update_fields=["status", "started_at"])
    target = export_folder() / f"{export.id}.zip"
    try:
        fingerprint, rows = research_export_write(export.clinic, target, made=export.requested_at)
    except Exception as error:
        logger.exception("research export %s failed", export.id)
        target.unlink(missing_ok=True)
        export.status, export.error = ExportStatus.FAILED, str(error)[:300]
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        return export
    with transaction.atomic():
        export.status, export.finished_at = ExportStatus.READY, timezone.now()
        export.key_fingerprint, export.rows = fingerprint, rows
        export.size_bytes = target.stat().st_size
        export.save(
            update_fields=["status", "finished_at", "key_fingerprint", "rows", "size_bytes"]
        )
        clients = User.objects.filter(clinic_id=export.clinic_id, role=Role.CLIENT)
        audit_record_bulk(
            actor=None,
            entries=(
                about_person(client, AuditAction.EXPORT, "research")
                for client in clients.only("id", "clinic_id").iterator(chunk_size=2000)
            ),
        )
    return export


def research_exports_expire(*, now: datetime | None = None) -> int:
    """Delete the files of ready exports older than ``ALLIANCE_RESEARCH_EXPORT_DAYS``: a study
    downloads its file once; a copy left in the data folder is one more copy to lose."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ALLIANCE_RESEARCH_EXPORT_DAYS)
    old = list(
        ResearchExport.objects.filter(
            status__in=(ExportStatus.READY, ExportStatus.FAILED), finished_at__lt=cutoff
        )
    )
    for export in old:
        (export_folder() / f"{export.id}.zip").unlink(missing_ok=True)
    ResearchExport.objects.filter(id__in=[e.id for e in old]).update(status=ExportStatus.EXPIRED)
    return len(old)


def research_export_download(*, admin: User, export: ResearchExport) -> str:
    """The path of a ready export's file, the download audited."""
    audit_record(actor=admin, entry=_entry(export, "downloaded"))
    return str(export_folder() / f"{export.id}.zip")
