from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from alliance import access
from alliance.access import AuthedRequest
from alliance.audit.recorder import audit_prep_export_record
from alliance.core.timeline import parse_range
from alliance.people.models import Role
from alliance.timeline import selectors
from alliance.timeline.lanes import WIDTH
from alliance.timeline.pdf import prep_pdf

# The zoom links, in the order of alliance.core.timeline.RANGES.
RANGE_LABELS = {"3m": _("3 months"), "1y": _("1 year"), "all": _("Everything")}


@require_GET
@access.role_required(Role.THERAPIST)
def timeline_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    episode = access.get_client_episode(request.user, client_id)
    asked = request.GET.get("range")
    context = {"episode": episode, "client": episode.client, "ranges": RANGE_LABELS}
    try:
        range_key = parse_range(asked)
    except ValueError:
        context["bad_range"] = asked
        return render(request, "timeline/timeline.html", context, status=400)
    found = selectors.episode_timeline(
        request.user, episode, range_key=range_key, now=timezone.now()
    )
    access.note_episode_records_listed(request.user, episode, found.shown)
    context.update(timeline=found, width=WIDTH, range_key=range_key)
    return render(request, "timeline/timeline.html", context)


def _wants_notes(request: AuthedRequest) -> bool:
    """Free text only when the therapist ticked the box (``?notes=1``)."""
    return request.GET.get("notes") == "1"


@require_GET
@access.role_required(Role.THERAPIST)
def session_prep_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    episode = access.get_client_episode(request.user, client_id)
    with_notes = _wants_notes(request)
    context = selectors.session_prep(
        request.user, episode, now=timezone.now(), with_notes=with_notes
    )
    access.note_session_prep_read(request.user, episode, with_notes=with_notes)
    access.note_episode_records_listed(request.user, episode, context["shown"])
    return render(request, "timeline/prep.html", context)


@require_GET
@access.role_required(Role.THERAPIST)
def session_prep_pdf_view(request: AuthedRequest, client_id: str) -> HttpResponse:
    episode = access.get_client_episode(request.user, client_id)
    with_notes = _wants_notes(request)
    now = timezone.now()
    context = selectors.session_prep(request.user, episode, now=now, with_notes=with_notes)
    pdf = prep_pdf(context)
    # Logged once the file exists: the row says a summary went out, with or without notes.
    access.note_episode_records_listed(request.user, episode, context["shown"])
    audit_prep_export_record(actor=request.user, episode=episode, with_notes=with_notes)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"session-prep-{timezone.localdate(now):%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@access.role_required(Role.THERAPIST)
def rupture_urges_view(request: AuthedRequest) -> HttpResponse:
    found = selectors.caseload_rupture_urges(request.user)
    access.note_listed(request.user, found.episodes)
    return render(request, "timeline/rupture_urges.html", {"found": found})
