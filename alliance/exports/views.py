from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alliance import access
from alliance.access import AuthedRequest
from alliance.accounts import services as accounts
from alliance.accounts.forms import ReauthForm
from alliance.accounts.reauth import require_recent_auth
from alliance.accounts.views import reauth_check
from alliance.exports import selectors, services
from alliance.exports.fhir import fhir_export_client_record
from alliance.exports.models import ExportStatus
from alliance.people.models import Role


@require_http_methods(["GET", "POST"])
@access.role_required(Role.CLIENT)
def client_export_view(request: AuthedRequest) -> HttpResponse:
    """The password is asked for every time, whenever the client last signed in: the file holds
    everything, and a phone left unlocked should not hand it over."""
    client = request.user
    form = ReauthForm(request.POST or None, needs_code=accounts.two_factor_required(client))
    if request.method == "POST" and form.is_valid():
        confirmed = reauth_check(request, form)
        if isinstance(confirmed, HttpResponse):
            return confirmed
        if confirmed:
            data = services.client_export_create(client=client)
            response = HttpResponse(data, content_type="application/zip")
            name = f"alliance-my-records-{timezone.localdate():%Y-%m-%d}.zip"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            response["Cache-Control"] = "no-store"
            return response
    status = 400 if request.method == "POST" else 200
    return render(request, "exports/client_export.html", {"form": form}, status=status)


@require_GET
@access.role_required(Role.THERAPIST)
@require_recent_auth
def client_fhir_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    episode = access.get_client_episode(request.user, client_id)
    bundle = fhir_export_client_record(actor=request.user, client=episode.client)
    response = HttpResponse(
        json.dumps(bundle, ensure_ascii=False), content_type="application/fhir+json"
    )
    name = f"alliance-fhir-{episode.client.id.hex[:8]}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@access.role_required(Role.CLINIC_ADMIN)
@require_recent_auth
def research_exports_view(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        services.research_export_request(admin=request.user)
        messages.success(
            request, _("The export is on its way. It is listed here once it is ready.")
        )
        return redirect("research_exports")
    context = {
        "exports": selectors.research_exports_page(request.user),
        "keep_days": settings.ALLIANCE_RESEARCH_EXPORT_DAYS,
    }
    return render(request, "exports/research_exports.html", context)


@require_GET
@access.role_required(Role.CLINIC_ADMIN)
@require_recent_auth
def research_export_download_view(request: AuthedRequest, export_id: str) -> HttpResponse:
    export = access.get_research_export(request.user, export_id)
    if export.status != ExportStatus.READY:
        raise Http404
    path = services.research_export_download(admin=request.user, export=export)
    try:
        handle = open(path, "rb")  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=export.file_name)
    response["Cache-Control"] = "no-store"
    return response  # type: ignore[return-value]
