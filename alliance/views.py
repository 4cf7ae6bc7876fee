from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from alliance import __version__
from alliance.accounts.services import second_factor_given
from alliance.core.safety import CRISIS_LINES, CrisisLines
from alliance.ops.periodic import worker_status
from alliance.outcomes.safety import crisis_lines_for
from alliance.people.models import Role


@require_GET
def home_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    role = getattr(user, "role", None)
    if role == Role.THERAPIST:
        return redirect("caseload")
    if role == Role.CLIENT:
        return redirect("client_home")
    if role == Role.CLINIC_ADMIN:
        return redirect("clinic_people")
    if role == Role.SUPERVISOR:
        return redirect("supervision")
    return render(request, "404.html", status=404)


def _sees_health_details(user: object) -> bool:
    # Which database and which version run here help an attacker more than a monitor: only a
    # clinic admin who has given their second factor sees them.
    return (
        getattr(user, "is_authenticated", False)
        and getattr(user, "role", None) == Role.CLINIC_ADMIN
        and second_factor_given(user)
    )


@require_GET
def healthz_view(request: HttpRequest) -> JsonResponse:
    """For monitors: ``{"status": "ok"}`` (200); ``"degraded"`` (200) when no task-queue worker
    has beaten in the last two minutes, so reminders and mail are not going out; or
    ``"unavailable"`` (503) when the database does not answer. A signed-in clinic admin also sees
    which part, and when the worker was last seen."""
    worker: dict[str, object] = {"ok": False, "last_seen": None, "workers": []}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        ok = True
        worker = worker_status()
    except Exception:
        ok = False
    status = "unavailable" if not ok else ("ok" if worker["ok"] else "degraded")
    body: dict[str, object] = {"status": status}
    if _sees_health_details(request.user):
        last_seen = worker["last_seen"]
        body.update(
            database="ok" if ok else "unavailable",
            vendor=connection.vendor,
            version=__version__,
            worker="ok" if worker["ok"] else "not seen in the last two minutes",
            worker_last_seen=last_seen.isoformat() if isinstance(last_seen, datetime) else None,
            workers=worker["workers"],
        )
    return JsonResponse(body, status=200 if ok else 503)


@require_GET
def favicon_view(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for on their own: the icon in the static files.

    A temporary redirect, kept for a day: a static file's name may change with its content.
    """
    response = HttpResponseRedirect(static("alliance/favicon.ico"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


def server_error_view(request: HttpRequest) -> HttpResponse:
    """The 500 page, with the crisis lines of the person's region.

    The page may be shown because the database is down: if the person's clinic can't be read,
    or nobody is signed in, it lists the lines of every region.
    """
    regions: list[CrisisLines] = list(CRISIS_LINES.values())
    try:
        user = request.user
        if user.is_authenticated:
            regions = [crisis_lines_for(user.clinic)]
    except Exception:  # whatever failed, the page must still show the numbers
        regions = list(CRISIS_LINES.values())
    return HttpResponseServerError(render_to_string("500.html", {"regions": regions}))
