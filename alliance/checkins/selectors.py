"""Reads for the client page (therapist) and the client's own home."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from alliance import access
from alliance.checkins.charts import RECENT, ChartPoint, alliance_svg, describe, recent_alliance_svg
from alliance.checkins.models import CheckIn
from alliance.people.models import CareEpisode, Session, SessionStatus, User
from alliance.ratings.selectors import ratings_by_session
from alliance.ruptures.models import ACTIVE_STATES, Alert


def checkin_of(session: Session) -> CheckIn | None:
    """The session's check-in, or None: from the check-in pages' lookup when it said so
    (``known_checkin``, alliance/rawsql.py), else asked."""
    try:
        known: CheckIn | None = session.known_checkin  # type: ignore[attr-defined]
    except AttributeError:
        return CheckIn.objects.filter(session_id=session.id).first()
    return known


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
    # The therapist's own view of each session (alliance/ratings): the second line.
    ratings = ratings_by_session(episode)
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
                label=_("Session %(number)s, %(when)s")
                % {"number": s.number, "when": date_format(local, "d M Y")},
                marker=marker,
                therapist=ratings[s.id].alliance if s.id in ratings else None,
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
                "rating": ratings.get(s.id),
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
        "chart_has_therapist": any(p.therapist is not None for p in points),
        "session_rows": rows,
        "active_alerts": [a for a in alerts if a.state in ACTIVE_STATES],
        "past_alerts": [a for a in alerts if a.state not in ACTIVE_STATES],
        "status_choices": SessionStatus.choices,
    }


# Check-ins listed per page of the client's home, latest first.
HISTORY_PAGE = 10


def client_home(client: User, *, now: datetime, page: int = 1) -> dict[str, Any]:
    """The client's open check-ins and one page of their own history (``page`` 1 is the latest).

    The same few queries however long the history: the database picks the open check-ins and
    the page, and the rest of the history is never loaded.
    """
    open_sessions = list(
        access.sessions_for(client)
        .filter(
            status=SessionStatus.ATTENDED,
            checkin_opens_at__lte=now,
            checkin_closes_at__gt=now,
            checkin__isnull=True,
        )
        .select_related("episode__therapist")
        .order_by("-scheduled_at")
    )
    page = max(page, 1)
    start = (page - 1) * HISTORY_PAGE
    # One more than a page: whether there are older ones, without counting them all.
    rows = list(
        access.checkins_for(client)
        .filter(session__status=SessionStatus.ATTENDED)
        .select_related("session__episode__therapist")
        .only(
            "session__scheduled_at",
            "session__episode__therapist__display_name",
            "therapist_read_at",
        )
        .order_by("-session__scheduled_at", "-id")[start : start + HISTORY_PAGE + 1]
    )
    history = rows[:HISTORY_PAGE]
    upcoming = (
        access.sessions_for(client)
        .filter(status=SessionStatus.SCHEDULED, scheduled_at__gte=now)
        .order_by("scheduled_at")
        .first()
    )
    return {
        "open_sessions": open_sessions,
        "history": history,
        "upcoming": upcoming,
        "page": page,
        "older_page": page + 1 if len(rows) > HISTORY_PAGE else None,
        "newer_page": page - 1 if page > 1 else None,
    }


def followup_answered(checkin: CheckIn) -> Alert | None:
    """The earlier rupture this check-in's answer resolved ("Resolved for me"), if any."""
    if checkin.followup_resolved != 2:
        return None
    return Alert.objects.filter(resolved_by_checkin=checkin).select_related("session").first()
