"""Reads for the client page (therapist) and the client's own home."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from alliance import access
from alliance.checkins.charts import RECENT, ChartPoint, alliance_svg, describe, recent_alliance_svg
from alliance.checkins.models import CheckIn
from alliance.people.models import CareEpisode, Session, SessionStatus, User
from alliance.ruptures.models import ACTIVE_STATES, Alert


def _local(dt: datetime, user: User) -> datetime:
    return dt.astimezone(user.zone)


def _recent_title(count: int) -> str:
    if count <= RECENT:
        return _("Alliance across sessions")
    return _("Alliance, latest %(shown)d of %(total)d check-ins") % {
        "shown": RECENT,
        "total": count,
    }


def client_timeline(episode: CareEpisode, *, now: datetime) -> dict[str, Any]:
    """Everything the therapist's client page shows, in a handful of queries."""
    sessions = list(
        Session.objects.filter(episode=episode).select_related("checkin").order_by("-number")
    )
    alerts = list(
        Alert.objects.filter(episode=episode).select_related("session").order_by("-created_at")
    )
    alert_by_session = {a.session_id: a for a in alerts}
    points = []
    for s in reversed(sessions):
        checkin: CheckIn | None = getattr(s, "checkin", None)
        if checkin is None:
            continue
        alert = alert_by_session.get(s.id)
        marker = ""
        if alert is not None:
            marker = "open" if alert.state in ACTIVE_STATES else "repaired"
        local = _local(s.scheduled_at, episode.therapist)
        points.append(
            ChartPoint(
                number=s.number,
                alliance=checkin.alliance,
                label=f"Session {s.number}, {local:%d %b %Y}",
                marker=marker,
            )
        )
    rows = []
    for s in sessions:
        rows.append(
            {
                "session": s,
                "checkin": getattr(s, "checkin", None),
                "alert": alert_by_session.get(s.id),
                "checkin_open": s.checkin_is_open(now),
            }
        )
    return {
        "episode": episode,
        "client": episode.client,
        "chart_svg": mark_safe(  # noqa: S308 -- built with escape()
            alliance_svg(points, css="chart chart-wide")
        ),
        # On a phone: the latest check-ins only, drawn narrow; the table keeps every one.
        "chart_recent_svg": mark_safe(  # noqa: S308 -- built with escape()
            recent_alliance_svg(points, title=_recent_title(len(points)))
        ),
        "chart_recent_count": min(len(points), RECENT),
        "chart_text": describe(points),
        "chart_points": points,
        "session_rows": rows,
        "active_alerts": [a for a in alerts if a.state in ACTIVE_STATES],
        "past_alerts": [a for a in alerts if a.state not in ACTIVE_STATES],
        "status_choices": SessionStatus.choices,
    }


def client_home(client: User, *, now: datetime) -> dict[str, Any]:
    """The client's open check-ins and their own history."""
    sessions = list(
        access.sessions_for(client)
        .filter(status=SessionStatus.ATTENDED)
        .select_related("checkin", "episode__therapist")
        .order_by("-scheduled_at")
    )
    open_sessions = [
        s for s in sessions if s.checkin_is_open(now) and getattr(s, "checkin", None) is None
    ]
    history = [s.checkin for s in sessions if getattr(s, "checkin", None) is not None]
    upcoming = (
        access.sessions_for(client)
        .filter(status=SessionStatus.SCHEDULED, scheduled_at__gte=now)
        .order_by("scheduled_at")
        .first()
    )
    return {"open_sessions": open_sessions, "history": history, "upcoming": upcoming}
