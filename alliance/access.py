"""The one access layer: who may see which record.

Every view gets its records through these functions. A record the user may not see is reported
as missing (404), so the existence of another person's record is never revealed. Views never
filter by owner themselves.

Rules:
- a client sees their own care episodes, sessions and check-ins, and nothing of any alert or
  repair record beyond the fact that their therapist has read their check-in;
- a therapist sees the care episodes they are the primary therapist of, and everything in them;
- a clinic admin manages the clinic's people and invites, and sees no clinical record.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from alliance.checkins.models import CheckIn
from alliance.people.models import CareEpisode, Role, Session, User
from alliance.ruptures.models import Alert

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def role_required(*roles: str) -> Callable[[ViewFunc], ViewFunc]:
    """Anonymous users go to the login page; a logged-in user of another role gets 404."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_active or getattr(user, "role", None) not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = tuple(roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def _uuid(value: object) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None


# --- care episodes -------------------------------------------------------------------------


def episodes_for(user: User) -> QuerySet[CareEpisode]:
    if user.role == Role.THERAPIST:
        return CareEpisode.objects.filter(therapist=user, clinic_id=user.clinic_id)
    if user.role == Role.CLIENT:
        return CareEpisode.objects.filter(client=user, clinic_id=user.clinic_id)
    return CareEpisode.objects.none()


def get_episode(user: User, episode_id: object) -> CareEpisode:
    try:
        return (
            episodes_for(user)
            .select_related("client", "therapist", "clinic")
            .get(id=_uuid(episode_id))
        )
    except CareEpisode.DoesNotExist:
        raise Http404 from None


def get_client_episode(user: User, client_id: object) -> CareEpisode:
    """The therapist's current (or latest) episode with this client."""
    episode = (
        episodes_for(user)
        .filter(client_id=_uuid(client_id))
        .select_related("client", "therapist", "clinic")
        .order_by("-status", "-started_on")  # "active" sorts after "ended": reversed
        .first()
    )
    if episode is None:
        raise Http404
    return episode


# --- sessions and check-ins ----------------------------------------------------------------


def sessions_for(user: User) -> QuerySet[Session]:
    return Session.objects.filter(episode__in=episodes_for(user))


def get_session(user: User, session_id: object) -> Session:
    try:
        return (
            sessions_for(user)
            .select_related("episode", "episode__client", "episode__therapist", "episode__clinic")
            .get(id=_uuid(session_id))
        )
    except Session.DoesNotExist:
        raise Http404 from None


def get_session_for_checkin(user: User, session_id: object) -> Session:
    """Only the client of the session may answer its check-in."""
    if user.role != Role.CLIENT:
        raise Http404
    return get_session(user, session_id)


def get_session_for_therapist(user: User, session_id: object) -> Session:
    if user.role != Role.THERAPIST:
        raise Http404
    return get_session(user, session_id)


def checkins_for(user: User) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(episode__in=episodes_for(user))


# --- alerts --------------------------------------------------------------------------------


def alerts_for(user: User) -> QuerySet[Alert]:
    """Clients never see alerts themselves, only the read receipt on their check-in."""
    if user.role != Role.THERAPIST:
        return Alert.objects.none()
    return Alert.objects.filter(episode__in=episodes_for(user))


def get_alert(user: User, alert_id: object) -> Alert:
    try:
        return (
            alerts_for(user)
            .select_related(
                "episode", "episode__client", "episode__therapist", "session", "checkin"
            )
            .get(id=_uuid(alert_id))
        )
    except Alert.DoesNotExist:
        raise Http404 from None


# --- people --------------------------------------------------------------------------------


def people_for(user: User) -> QuerySet[User]:
    """The people a clinic admin manages: everyone in their clinic."""
    if user.role != Role.CLINIC_ADMIN:
        return User.objects.none()
    return User.objects.filter(clinic_id=user.clinic_id)


def get_person(user: User, person_id: object) -> User:
    try:
        return people_for(user).get(id=_uuid(person_id))
    except User.DoesNotExist:
        raise Http404 from None


def get_client_for_invite(user: User, client_id: object) -> User:
    """A therapist may re-send an invite to their own client; an admin to anyone in the clinic."""
    if user.role == Role.CLINIC_ADMIN:
        return get_person(user, client_id)
    return get_client_episode(user, client_id).client
