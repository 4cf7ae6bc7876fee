"""Writes for people, invites, care episodes and sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from alliance.people.models import (
    CareEpisode,
    Clinic,
    Invite,
    Role,
    Session,
    SessionStatus,
    User,
    validate_timezone,
)


class PeopleError(Exception):
    """A request that cannot be carried out; the message is written for the person asking."""


@dataclass(frozen=True)
class NewPerson:
    user: User
    invite_token: str
    episode: CareEpisode | None = None


def _check_new_email(email: str) -> str:
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise PeopleError(f"Someone with the email {email} already has an account.")
    return email


def invite_create(*, user: User, created_by: User | None, now: datetime | None = None) -> str:
    """A new single-use invite link token for ``user``; earlier unused invites stop working."""
    now = now or timezone.now()
    with transaction.atomic():
        Invite.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now
        )
        token, token_hash = Invite.new_token()
        Invite.objects.create(
            user=user,
            token_hash=token_hash,
            created_by=created_by,
            created_at=now,
            expires_at=Invite.default_expiry(now),
        )
    return token


def client_add(
    *,
    therapist: User,
    full_name: str,
    email: str,
    timezone_name: str,
    now: datetime | None = None,
) -> NewPerson:
    """Add a client to the therapist's caseload and open a care episode with them."""
    if therapist.role != Role.THERAPIST:
        raise PeopleError("Only a therapist can add a client to their caseload.")
    now = now or timezone.now()
    try:
        validate_timezone(timezone_name)
    except ValidationError as error:
        raise PeopleError(error.messages[0]) from None
    with transaction.atomic():
        email = _check_new_email(email)
        try:
            client = User.objects.create_user(
                email,
                full_name=full_name.strip(),
                role=Role.CLIENT,
                clinic=therapist.clinic,
                timezone=timezone_name,
                date_joined=now,
            )
        except IntegrityError:
            raise PeopleError(f"Someone with the email {email} already has an account.") from None
        episode = CareEpisode.objects.create(
            clinic=therapist.clinic,
            client=client,
            therapist=therapist,
            started_on=timezone.localdate(now, therapist.zone),
        )
        token = invite_create(user=client, created_by=therapist, now=now)
    return NewPerson(user=client, invite_token=token, episode=episode)


def therapist_add(
    *,
    admin: User,
    full_name: str,
    email: str,
    role: str = Role.THERAPIST,
    now: datetime | None = None,
) -> NewPerson:
    """A clinic admin adds a therapist (or another admin) to their clinic."""
    if admin.role != Role.CLINIC_ADMIN:
        raise PeopleError("Only a clinic admin can add staff.")
    if role not in (Role.THERAPIST, Role.CLINIC_ADMIN):
        raise PeopleError("Staff must be a therapist or a clinic admin.")
    now = now or timezone.now()
    with transaction.atomic():
        email = _check_new_email(email)
        person = User.objects.create_user(
            email,
            full_name=full_name.strip(),
            role=role,
            clinic=admin.clinic,
            timezone=admin.clinic.timezone,
            date_joined=now,
        )
        token = invite_create(user=person, created_by=admin, now=now)
    return NewPerson(user=person, invite_token=token)


class InviteError(PeopleError):
    pass


def invite_lookup(*, token: str, now: datetime | None = None) -> Invite:
    """The usable invite for this token, or an InviteError saying plainly what is wrong."""
    now = now or timezone.now()
    invite = Invite.objects.select_related("user").filter(token_hash=Invite.hash(token)).first()
    if invite is None:
        raise InviteError(
            "This invitation link is not valid. Please check you copied the whole link, "
            "or ask your therapist for a new one."
        )
    if invite.used_at is not None:
        raise InviteError(
            "This invitation link has already been used. If you set your password, "
            "you can log in; otherwise ask your therapist for a new link."
        )
    if invite.revoked_at is not None:
        raise InviteError(
            "A newer invitation was sent, so this link no longer works. "
            "Please use the most recent link, or ask for a new one."
        )
    if now >= invite.expires_at:
        raise InviteError(
            "This invitation link has expired (links last 7 days). "
            "Please ask your therapist for a new one."
        )
    if not invite.user.is_active:
        raise InviteError("This account is no longer active. Please contact your clinic.")
    return invite


def invite_accept(*, token: str, password: str, now: datetime | None = None) -> User:
    """Set the person's password through a usable invite; the invite is then spent."""
    now = now or timezone.now()
    with transaction.atomic():
        invite = invite_lookup(token=token, now=now)
        # Lock the row so two simultaneous submissions cannot both use one invite.
        invite = Invite.objects.select_for_update().select_related("user").get(pk=invite.pk)
        if invite.used_at is not None:
            raise InviteError("This invitation link has already been used.")
        user = invite.user
        validate_password(password, user)  # raises ValidationError with the validators' words
        user.set_password(password)
        user.save(update_fields=["password"])
        invite.used_at = now
        invite.save(update_fields=["used_at"])
    return user


def session_schedule(*, episode: CareEpisode, scheduled_at: datetime, actor: User) -> Session:
    if actor.role != Role.THERAPIST or episode.therapist_id != actor.id:
        raise PeopleError("Only the client's therapist can schedule their sessions.")
    if timezone.is_naive(scheduled_at):
        raise PeopleError("The session time needs a time zone.")
    with transaction.atomic():
        last = Session.objects.filter(episode=episode).aggregate(n=Max("number"))["n"] or 0
        return Session.objects.create(episode=episode, number=last + 1, scheduled_at=scheduled_at)


def session_set_status(
    *, session: Session, status: str, actor: User, now: datetime | None = None
) -> Session:
    """Record what happened to a session. Marking it attended opens the client's check-in."""
    if status not in SessionStatus.values:
        raise PeopleError(f"Unknown session status {status!r}.")
    if actor.role != Role.THERAPIST or session.episode.therapist_id != actor.id:
        raise PeopleError("Only the client's therapist can record attendance.")
    now = now or timezone.now()
    with transaction.atomic():
        session = (
            Session.objects.select_for_update().select_related("episode__clinic").get(pk=session.pk)
        )
        if session.status == status:
            return session
        if hasattr(session, "checkin"):
            raise PeopleError(
                "The client has already answered this session's check-in, so it stays attended."
            )
        if status == SessionStatus.ATTENDED and session.scheduled_at > now + timedelta(hours=1):
            raise PeopleError("A session can't be marked attended before it has happened.")
        session.status = status
        session.status_changed_at = now
        if status == SessionStatus.ATTENDED:
            session.checkin_opens_at = now
            session.checkin_closes_at = now + timedelta(
                hours=session.episode.clinic.checkin_window_hours
            )
        else:
            session.checkin_opens_at = None
            session.checkin_closes_at = None
        session.save(
            update_fields=["status", "status_changed_at", "checkin_opens_at", "checkin_closes_at"]
        )
    return session


def clinic_create(*, name: str, timezone_name: str = "America/Toronto") -> Clinic:
    validate_timezone(timezone_name)
    return Clinic.objects.create(name=name, timezone=timezone_name)
