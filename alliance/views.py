from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from alliance import __version__
from alliance.accounts.services import second_factor_given
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
    """``{"status": "ok"}`` (200) or ``{"status": "unavailable"}`` (503), for monitors."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        ok = True
    except Exception:
        ok = False
    body: dict[str, str] = {"status": "ok" if ok else "unavailable"}
    if _sees_health_details(request.user):
        body.update(
            database="ok" if ok else "unavailable",
            vendor=connection.vendor,
            version=__version__,
        )
    return JsonResponse(body, status=200 if ok else 503)
