from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from alliance import access
from alliance.access import AuthedRequest
from alliance.accounts.reauth import require_recent_auth
from alliance.audit.export import csv_lines
from alliance.audit.forms import AuditFilterForm
from alliance.audit.recorder import audit_export_record
from alliance.audit.selectors import audit_events, describe_for_client, no_events, seen_by_others
from alliance.people.models import Role, User

PAGE_SIZE = 50


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, Any]:
    """The filter form and the events it selects (none while the form has errors)."""
    admin: User = request.user  # type: ignore[assignment]
    form = AuditFilterForm(request.GET or None, clinic_id=admin.clinic_id)
    if form.is_bound and not form.is_valid():
        return form, no_events()
    filters = form.cleaned_data if form.is_bound else {}
    events = audit_events(clinic_id=admin.clinic_id, zone=admin.zone, **filters)
    return form, events


@require_GET
@access.role_required(Role.CLINIC_ADMIN)
def audit_log_view(request: AuthedRequest) -> HttpResponse:
    form, events = _filtered(request)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    subject = form.cleaned_data.get("client") if form.is_bound and form.is_valid() else None
    access.note_audit_log_read(request.user, subject=subject)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "audit/audit_log.html", {"form": form, "page": page, "query": query.urlencode()}
    )


@require_GET
@access.role_required(Role.CLINIC_ADMIN)
@require_recent_auth
def audit_export_view(request: AuthedRequest) -> HttpResponse:
    form, events = _filtered(request)
    if form.is_bound and not form.is_valid():
        # Not an empty file that looks like "nothing happened": the filter, with what to fix.
        page = Paginator(events, PAGE_SIZE).get_page(1)
        return render(
            request, "audit/audit_log.html", {"form": form, "page": page, "query": ""}, status=400
        )
    subject = form.cleaned_data.get("client") if form.is_bound and form.is_valid() else None
    audit_export_record(actor=request.user, subject=subject)
    name = f"alliance-audit-{timezone.localdate():%Y-%m-%d}.csv"
    response = StreamingHttpResponse(csv_lines(events.iterator()), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # Streamed: a clinic's whole log need not fit in memory. The decorators only pass it on.
    return response  # type: ignore[return-value]


@require_GET
@access.role_required(Role.CLIENT)
def access_log_view(request: AuthedRequest) -> HttpResponse:
    client: User = request.user
    access.note_audit_log_read(client, subject=client)
    page = Paginator(seen_by_others(client), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(event, describe_for_client(event)) for event in page]
    return render(request, "audit/access_log.html", {"page": page, "rows": rows})
