"""Writes for people, invites, care episodes and sessions."""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alliance.accounts.mail import send_notice
from alliance.accounts.services import sessions_end
from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import (
    Entry,
    about_episode,
    about_person,
    audit_record,
    audit_record_bulk,
)
from alliance.people.models import (
    CareEpisode,
    Clinic,
    EpisodeStatus,
    Invite,
    Region,
    Role,
    Session,
    SessionStatus,
    User,
    validate_timezone,
)
from alliance.people.recurrence import MAX_SERIES, day_problem
from alliance.ruptures.dropout import dropout_check_quietly
from alliance.ruptures.models import ACTIVE_STATES, Alert, CloseReason
from alliance.ruptures.services import close_locked


class PeopleError(Exception):
    """A request that cannot be carried out; the message is written for the person asking."""


@dataclass(frozen=True)
class NewPerson:
    user: User
    invite_token: str
    episode: CareEpisode | None = None


class AddressInUse(PeopleError):
    """The address already has an account (in this clinic or another).

    Only services see this: what staff are shown must not say whether an address has an
    account anywhere (see ``client_invite``).
    """


def _address_in_use(email: str) -> str:
    return _("Someone with the email %(email)s already has an account.") % {"email": email}


def _check_new_email(email: str) -> str:
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise AddressInUse(_address_in_use(email))
    return email


def invite_create(*, user: User, created_by: User | None, now: datetime | None = None) -> str:
    """A new single-use invite link token for ``user``; earlier unused invites stop working."""
    now = now or timezone.now()
    with transaction.atomic():
        Invite.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now
        )
        token, token_hash = Invite.new_token()
        invite = Invite.objects.create(
            user=user,
            token_hash=token_hash,
            created_by=created_by,
            created_at=now,
            expires_at=Invite.default_expiry(now),
        )
        audit_record(actor=created_by, entry=_invite_entry(invite, AuditAction.CREATE))
    return token


def invite_send(
    *, user: User, created_by: User, site: str, resent: bool = False, now: datetime | None = None
) -> str:
    """A new invite for ``user``, sent by mail to their address; returns the token.

    The link goes only to the person's own address: staff never see it, so nobody but the
    person can use it to set their password (and read their records).
    """
    now = now or timezone.now()
    with transaction.atomic():
        token = invite_create(user=user, created_by=created_by, now=now)
        _mail_invite(user=user, token=token, created_by=created_by, site=site, resent=resent)
    return token


def _mail_invite(*, user: User, token: str, created_by: User, site: str, resent: bool) -> None:
    therapist = created_by
    if user.role == Role.CLIENT and created_by.role != Role.THERAPIST:
        # A clinic admin sent it: the mail names the therapist who will read the check-ins.
        episode = (
            CareEpisode.objects.filter(client=user, status=EpisodeStatus.ACTIVE)
            .select_related("therapist")
            .first()
        )
        therapist = episode.therapist if episode is not None else created_by
    send_notice(
        to=user.email,
        name="invite",
        context={
            "person": user,
            "inviter": created_by,
            "therapist": therapist,
            "clinic": user.clinic,
            "link": site + reverse("invite_accept", args=[token]),
            "days": settings.ALLIANCE_INVITE_DAYS,
            "resent": resent,
            "for_client": user.role == Role.CLIENT,
        },
        # Someone invited has seldom chosen a language: then the inviter's is the best guess.
        language=user.language,
    )


def _address_in_use_notice(
    *,
    email: str,
    added_by: User,
    now: datetime,
    full_name: str = "",
    keep_waiting: bool = False,
    waiting_on: User | None = None,
) -> Invite | None:
    """Tell the owner of ``email`` that someone tried to add them; staff are told nothing.

    With ``keep_waiting`` (a client added to a caseload) an invite with no account is kept, so
    the caseload of ``waiting_on`` (the therapist; ``added_by`` by default) shows the invitation
    waiting exactly as it would for a new address. Its token is made and thrown away: no link
    to it exists anywhere.
    """
    owner = User.objects.filter(email__iexact=email).first()
    send_notice(
        to=email,
        name="invite_address_in_use",
        context={"inviter": added_by, "clinic": added_by.clinic},
        language=owner.language if owner is not None else "",
    )
    waiting = None
    if keep_waiting:
        _token, token_hash = Invite.new_token()
        waiting = Invite.objects.create(
            email=email,
            full_name=full_name.strip()[:200],
            token_hash=token_hash,
            # The caseload lists the invitations waiting that its therapist made (access.py).
            created_by=waiting_on or added_by,
            created_at=now,
            expires_at=Invite.default_expiry(now),
        )
    audit_record(
        actor=added_by,
        entry=Entry(
            action=AuditAction.CREATE,
            record_type=RecordType.INVITE,
            record_id=waiting.id if waiting is not None else "",
            # Not the existing account: it may belong to another clinic.
            subject_id=None,
            clinic_id=added_by.clinic_id,
            detail="address_in_use",
        ),
    )
    return waiting


def invitation_resend(
    *, invite: Invite, actor: User, site: str, now: datetime | None = None
) -> str:
    """Send a waiting invitation again (a new link, or the notice again); returns the address.

    Both kinds answer alike (see ``_address_in_use_notice``).
    """
    now = now or timezone.now()
    if not invite.is_usable(now) or (invite.user is not None and invite.user.has_usable_password()):
        raise InviteError(_("This invitation is no longer waiting."))
    with transaction.atomic():
        if invite.user is not None:
            invite_send(user=invite.user, created_by=actor, site=site, resent=True, now=now)
            return invite.user.email
        Invite.objects.filter(pk=invite.pk).update(revoked_at=now)
        _address_in_use_notice(
            email=invite.email,
            added_by=actor,
            now=now,
            full_name=invite.full_name,
            keep_waiting=True,
        )
    return invite.email


def invitation_withdraw(*, invite: Invite, actor: User, now: datetime | None = None) -> Invite:
    """Stop a waiting invitation; its link (if it has one) no longer works."""
    now = now or timezone.now()
    with transaction.atomic():
        invite = (
            Invite.objects.select_for_update(of=("self",)).select_related("user").get(pk=invite.pk)
        )
        if not invite.is_usable(now):
            raise InviteError(_("There is no open invitation to withdraw."))
        invite.revoked_at = now
        invite.save(update_fields=["revoked_at"])
        audit_record(actor=actor, entry=_invite_entry(invite, AuditAction.TRANSITION, "revoked"))
    return invite


def invite_revoke(*, user: User, revoked_by: User, now: datetime | None = None) -> int:
    """Stop ``user``'s open invitation links working; returns how many were open."""
    now = now or timezone.now()
    with transaction.atomic():
        invites = list(
            Invite.objects.select_for_update()
            .select_related("user")
            .filter(user=user, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
        )
        if not invites:
            raise InviteError(_("There is no open invitation to withdraw."))
        for invite in invites:
            invite.revoked_at = now
            invite.save(update_fields=["revoked_at"])
            audit_record(
                actor=revoked_by, entry=_invite_entry(invite, AuditAction.TRANSITION, "revoked")
            )
    return len(invites)


def _invite_entry(invite: Invite, action: str, detail: str = "") -> Entry:
    # An invite with no account belongs to the clinic of whoever made it.
    owner = invite.user or invite.created_by
    return Entry(
        action=action,
        record_type=RecordType.INVITE,
        record_id=invite.id,
        subject_id=invite.user_id,
        clinic_id=owner.clinic_id if owner is not None else None,
        detail=detail,
    )


def _display_name(chosen: str, full_name: str) -> str:
    # The whole name when none was chosen: a name is never split to guess a first name.
    return (chosen.strip() or full_name.strip())[:80]


def client_add(
    *,
    therapist: User,
    full_name: str,
    email: str,
    timezone_name: str,
    display_name: str = "",
    started_on: date | None = None,
    added_by: User | None = None,
    now: datetime | None = None,
) -> NewPerson:
    """Add a client to the therapist's caseload and open a care episode with them.

    ``started_on`` (default: the therapist's today) may be earlier, for a client added after
    their first sessions; not in the future and not more than two years back. ``added_by`` is
    who does it: the therapist (the default), or a clinic admin of their clinic taking someone
    from the clinic's reach-out requests (alliance/reachout).
    """
    if therapist.role != Role.THERAPIST or not therapist.is_active:
        raise PeopleError(_("Only a therapist can add a client to their caseload."))
    actor = _adder(therapist, added_by)
    now = now or timezone.now()
    today = timezone.localdate(now, therapist.zone)
    started_on = started_on or today
    if started_on > today:
        raise PeopleError(_("Care can't start after today: leave the date empty for today."))
    if started_on < today - timedelta(days=730):
        raise PeopleError(_("Care can start at most two years back."))
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
                display_name=_display_name(display_name, full_name),
                role=Role.CLIENT,
                clinic=therapist.clinic,
                timezone=timezone_name,
                date_joined=now,
            )
        except IntegrityError:
            raise AddressInUse(_address_in_use(email)) from None
        episode = CareEpisode.objects.create(
            clinic=therapist.clinic,
            client=client,
            therapist=therapist,
            started_on=started_on,
        )
        audit_record(actor=actor, entry=about_person(client, AuditAction.CREATE))
        audit_record(
            actor=actor,
            entry=about_episode(episode, AuditAction.CREATE, RecordType.CARE_EPISODE),
        )
        token = invite_create(user=client, created_by=actor, now=now)
    return NewPerson(user=client, invite_token=token, episode=episode)


def _adder(therapist: User, added_by: User | None) -> User:
    """Who adds a client to ``therapist``'s caseload: the therapist, or an admin of the clinic."""
    if added_by is None or added_by.pk == therapist.pk:
        return therapist
    if added_by.role != Role.CLINIC_ADMIN or added_by.clinic_id != therapist.clinic_id:
        raise PeopleError(
            _("Only the therapist or a clinic admin of their clinic can add a client.")
        )
    return added_by


def client_invite(
    *,
    therapist: User,
    full_name: str,
    email: str,
    timezone_name: str,
    site: str,
    display_name: str = "",
    started_on: date | None = None,
    added_by: User | None = None,
    now: datetime | None = None,
) -> str:
    """Add a client and mail them their invitation; returns the address as typed (normalised).

    The answer is the same whether or not the address already has an account somewhere: then
    nothing is created here, and the owner of the address gets a message saying who tried to
    add them. A therapist cannot use this form to learn who uses Alliance. ``added_by`` as in
    ``client_add``; either way the invitation waits on the therapist's caseload.
    """
    now = now or timezone.now()
    email = email.strip().lower()
    actor = _adder(therapist, added_by)
    try:
        with transaction.atomic():
            added = client_add(
                therapist=therapist,
                full_name=full_name,
                email=email,
                timezone_name=timezone_name,
                display_name=display_name,
                started_on=started_on,
                added_by=actor,
                now=now,
            )
            _mail_first_invite(added, created_by=actor, site=site, now=now)
    except AddressInUse:
        _address_in_use_notice(
            email=email,
            added_by=actor,
            now=now,
            full_name=full_name,
            keep_waiting=True,
            waiting_on=therapist,
        )
    return email


def staff_invite(
    *,
    admin: User,
    full_name: str,
    email: str,
    site: str,
    role: str = Role.THERAPIST,
    display_name: str = "",
    now: datetime | None = None,
) -> str:
    """``client_invite`` for staff: a clinic admin adds a therapist or another admin."""
    now = now or timezone.now()
    email = email.strip().lower()
    try:
        with transaction.atomic():
            added = therapist_add(
                admin=admin,
                full_name=full_name,
                email=email,
                role=role,
                display_name=display_name,
                now=now,
            )
            _mail_first_invite(added, created_by=admin, site=site, now=now)
    except AddressInUse:
        _address_in_use_notice(email=email, added_by=admin, now=now)
    return email


def _mail_first_invite(added: NewPerson, *, created_by: User, site: str, now: datetime) -> None:
    _mail_invite(
        user=added.user, token=added.invite_token, created_by=created_by, site=site, resent=False
    )


def therapist_add(
    *,
    admin: User,
    full_name: str,
    email: str,
    role: str = Role.THERAPIST,
    display_name: str = "",
    now: datetime | None = None,
) -> NewPerson:
    """A clinic admin adds a therapist (or another admin) to their clinic."""
    if admin.role != Role.CLINIC_ADMIN:
        raise PeopleError(_("Only a clinic admin can add staff."))
    if role not in (Role.THERAPIST, Role.CLINIC_ADMIN, Role.SUPERVISOR):
        raise PeopleError(_("Staff must be a therapist, a clinic admin or a supervisor."))
    now = now or timezone.now()
    with transaction.atomic():
        email = _check_new_email(email)
        person = User.objects.create_user(
            email,
            full_name=full_name.strip(),
            display_name=_display_name(display_name, full_name),
            role=role,
            clinic=admin.clinic,
            timezone=admin.clinic.timezone,
            date_joined=now,
        )
        audit_record(actor=admin, entry=about_person(person, AuditAction.CREATE))
        token = invite_create(user=person, created_by=admin, now=now)
    return NewPerson(user=person, invite_token=token)


def _check_admin_of(admin: User, person: User) -> None:
    if admin.role != Role.CLINIC_ADMIN or person.clinic_id != admin.clinic_id:
        raise PeopleError(_("Only a clinic admin of the same clinic can change this account."))


def person_deactivate(*, admin: User, person: User) -> User:
    """Stop someone logging in. Their sessions end at once, not at their next timeout."""
    _check_admin_of(admin, person)
    if person.pk == admin.pk:
        raise PeopleError(_("You can't deactivate your own account. Ask another clinic admin."))
    in_care = CareEpisode.objects.filter(therapist=person, status=EpisodeStatus.ACTIVE).count()
    if in_care:
        # Their clients would go on checking in, and their alerts would reach nobody.
        raise PeopleError(
            ngettext(
                "%(name)s still has %(n)d client in care. Their care needs to end before this "
                "account is deactivated, so that no check-in or alert goes unseen.",
                "%(name)s still has %(n)d clients in care. Their care needs to end before this "
                "account is deactivated, so that no check-in or alert goes unseen.",
                in_care,
            )
            % {"name": person.full_name or person.email, "n": in_care}
        )
    with transaction.atomic():
        person.is_active = False
        person.save(update_fields=["is_active"])
        audit_record(actor=admin, entry=about_person(person, AuditAction.UPDATE, "deactivated"))
        sessions_end(user=person)
    return person


def person_reactivate(*, admin: User, person: User) -> User:
    _check_admin_of(admin, person)
    with transaction.atomic():
        person.is_active = True
        person.save(update_fields=["is_active"])
        audit_record(actor=admin, entry=about_person(person, AuditAction.UPDATE, "reactivated"))
    return person


class InviteError(PeopleError):
    pass


def invite_lookup(*, token: str, now: datetime | None = None) -> Invite:
    """The usable invite for this token, or an InviteError saying plainly what is wrong."""
    now = now or timezone.now()
    invite = Invite.objects.select_related("user").filter(token_hash=Invite.hash(token)).first()
    # An invite with no account has no link: nobody holds its token (see Invite).
    if invite is None or invite.user is None:
        raise InviteError(
            _(
                "This invitation link is not valid. Please check you copied the whole link, "
                "or ask your therapist for a new one."
            )
        )
    # A client's invitation comes from their therapist; a staff member's from a clinic admin.
    client = invite.user.role == Role.CLIENT
    if invite.used_at is not None:
        raise InviteError(
            _(
                "This invitation link has already been used. If you set your password, you "
                "can log in; otherwise ask your therapist for a new link."
            )
            if client
            else _(
                "This invitation link has already been used. If you set your password, you "
                "can log in; otherwise ask your clinic admin for a new link."
            )
        )
    if invite.revoked_at is not None:
        raise InviteError(
            _(
                "This link no longer works: a newer invitation was sent, or this one was "
                "withdrawn. Please use the most recent link, or ask for a new one."
            )
        )
    if now >= invite.expires_at:
        raise InviteError(
            _(
                "This invitation link has expired (links last 7 days). Please ask your "
                "therapist for a new one."
            )
            if client
            else _(
                "This invitation link has expired (links last 7 days). Please ask your "
                "clinic admin for a new one."
            )
        )
    if not invite.user.is_active:
        raise InviteError(_("This account is no longer active. Please contact your clinic."))
    return invite


def invite_accept(
    *, token: str, password: str, display_name: str = "", now: datetime | None = None
) -> User:
    """Set the person's password through a usable invite; the invite is then spent."""
    now = now or timezone.now()
    with transaction.atomic():
        invite = invite_lookup(token=token, now=now)
        # Lock the row so two simultaneous submissions cannot both use one invite.
        invite = (
            Invite.objects.select_for_update(of=("self",)).select_related("user").get(pk=invite.pk)
        )
        if invite.used_at is not None:
            raise InviteError(_("This invitation link has already been used."))
        user = invite.user
        if user is None:
            raise InviteError(_("This invitation link is not valid."))
        validate_password(password, user)  # raises ValidationError with the validators' words
        user.set_password(password)
        fields = ["password"]
        if display_name.strip() and display_name.strip() != user.display_name:
            user.display_name = display_name.strip()[:80]
            fields.append("display_name")
        user.save(update_fields=fields)
        invite.used_at = now
        invite.save(update_fields=["used_at"])
        audit_record(actor=user, entry=_invite_entry(invite, AuditAction.TRANSITION, "accepted"))
        audit_record(actor=user, entry=about_person(user, AuditAction.UPDATE, "password_set"))
    return user


def _check_therapist_of(episode: CareEpisode, actor: User) -> None:
    if actor.role != Role.THERAPIST or episode.therapist_id != actor.id:
        raise PeopleError(_("Only the client's therapist can schedule their sessions."))


def _check_when(episode: CareEpisode, when: datetime, actor: User, now: datetime) -> None:
    if timezone.is_naive(when):
        raise PeopleError(_("The session time needs a time zone."))
    try:
        day = timezone.localdate(when, actor.zone)
    except OverflowError:
        raise PeopleError(_("That date is out of range. Please check the year.")) from None
    problem = day_problem(
        day, started_on=episode.started_on, today=timezone.localdate(now, actor.zone)
    )
    if problem:
        raise PeopleError(problem)


def _renumber(*, episode: CareEpisode, actor: User, created: Collection[uuid.UUID]) -> None:
    """Number the episode's sessions 1, 2, 3… in the order they are scheduled.

    A session booked on an earlier date than others takes its place and the later ones move
    up. ``(episode, number)`` is unique and checked row by row, so the sessions that move are
    first lifted above every number in use, then set to their new numbers. Everything else
    refers to a session by its id (check-ins, alerts), or asks for the order live (signals,
    earlier ruptures), so it follows. The caller holds the episode's row lock.
    """
    rows = list(
        Session.objects.filter(episode=episode)
        .order_by("scheduled_at", "number")
        .values_list("id", "number")
    )
    moving = [
        (session_id, old, new) for new, (session_id, old) in enumerate(rows, start=1) if old != new
    ]
    if not moving:
        return
    lift = max(max(number for _id, number in rows), len(rows)) + 1
    Session.objects.filter(id__in=[m[0] for m in moving]).update(number=F("number") + lift)
    Session.objects.bulk_update(
        [Session(id=session_id, number=new) for session_id, _old, new in moving], ["number"]
    )
    audit_record_bulk(
        actor=actor,
        entries=[
            about_episode(episode, AuditAction.UPDATE, RecordType.SESSION, session_id, "renumbered")
            for session_id, _old, _new in moving
            if session_id not in created
        ],
    )


def _lock_episode(episode: CareEpisode) -> CareEpisode:
    # One booking or move at a time per episode, so two cannot hand out the same numbers.
    return CareEpisode.objects.select_for_update().get(pk=episode.pk)


def sessions_schedule(
    *,
    episode: CareEpisode,
    times: Sequence[datetime],
    actor: User,
    attended: bool = False,
    now: datetime | None = None,
) -> list[Session]:
    """Book one session, or a recurring series (the sessions share a ``series_id``).

    Each session is numbered by its date among the episode's sessions, so a session booked
    in the past takes its place. ``attended`` records a session that already happened in one
    step: it is marked attended at once and the client's check-in opens.
    """
    _check_therapist_of(episode, actor)
    if not times:
        raise PeopleError(_("Please give the session's date and time."))
    if len(times) > MAX_SERIES:
        raise PeopleError(_("At most %(n)s sessions can be booked at once.") % {"n": MAX_SERIES})
    if attended and len(times) != 1:
        raise PeopleError(_("Only a single session can be recorded as attended."))
    now = now or timezone.now()
    for when in times:
        _check_when(episode, when, actor, now)
    with transaction.atomic():
        episode = _lock_episode(episode)
        top = Session.objects.filter(episode=episode).aggregate(n=Max("number"))["n"] or 0
        series_id = uuid.uuid4() if len(times) > 1 else None
        created = Session.objects.bulk_create(
            [
                Session(episode=episode, number=top + i, scheduled_at=when, series_id=series_id)
                for i, when in enumerate(times, start=1)
            ]
        )
        audit_record_bulk(
            actor=actor,
            entries=[
                about_episode(episode, AuditAction.CREATE, RecordType.SESSION, s.id)
                for s in created
            ],
        )
        _renumber(episode=episode, actor=actor, created={s.id for s in created})
        if not attended:
            _cancel_if_away(created, actor, now)
        if attended:
            _status_change(
                Session.objects.select_for_update()
                .select_related("episode__clinic")
                .get(pk=created[0].pk),
                SessionStatus.ATTENDED,
                actor,
                now,
            )
    return list(
        Session.objects.filter(id__in=[s.id for s in created])
        .select_related("episode")
        .order_by("scheduled_at")
    )


def session_schedule(
    *,
    episode: CareEpisode,
    scheduled_at: datetime,
    actor: User,
    attended: bool = False,
    now: datetime | None = None,
) -> Session:
    """Book one session (see ``sessions_schedule``)."""
    [session] = sessions_schedule(
        episode=episode, times=[scheduled_at], actor=actor, attended=attended, now=now
    )
    return session


def _check_movable(session: Session) -> None:
    if session.status != SessionStatus.SCHEDULED:
        raise PeopleError(
            _(
                "Session %(number)s is already recorded as %(status)s, so it stays where it is. "
                "Only an upcoming session can be moved or cancelled here."
            )
            % {"number": session.number, "status": session.get_status_display().lower()}
        )


def sessions_move(
    *,
    moves: Sequence[tuple[Session, datetime]],
    actor: User,
    now: datetime | None = None,
) -> list[Session]:
    """Move upcoming sessions of one episode to new times; the episode is renumbered by date."""
    if not moves:
        raise PeopleError(_("There is no session to move."))
    episode = moves[0][0].episode
    _check_therapist_of(episode, actor)
    now = now or timezone.now()
    for session, when in moves:
        if session.episode_id != episode.id:
            raise PeopleError(_("These sessions belong to different clients."))
        _check_when(episode, when, actor, now)
    with transaction.atomic():
        episode = _lock_episode(episode)
        locked = {
            s.id: s
            for s in Session.objects.select_for_update().filter(
                id__in=[session.id for session, _when in moves]
            )
        }
        for session, when in moves:
            current = locked[session.id]
            _check_movable(current)
            current.scheduled_at = when
            current.save(update_fields=["scheduled_at"])
            audit_record(
                actor=actor,
                entry=about_episode(
                    episode, AuditAction.UPDATE, RecordType.SESSION, current.id, "rescheduled"
                ),
            )
        _renumber(episode=episode, actor=actor, created=())
        _cancel_if_away(list(locked.values()), actor, now)
    return list(Session.objects.filter(id__in=list(locked)).order_by("scheduled_at"))


def _cancel_if_away(sessions: list[Session], actor: User, now: datetime) -> None:
    """A session booked or moved onto a day of the therapist's planned absence is cancelled
    (by the absence, so it reads as such: docs/absences.md)."""
    from alliance.absences.services import absence_cancel_sessions

    absence_cancel_sessions(sessions=sessions, therapist=actor, now=now)


def sessions_cancel(
    *, sessions: Sequence[Session], actor: User, now: datetime | None = None
) -> list[Session]:
    """Cancel upcoming sessions (one, or the rest of a series) as cancelled by the therapist."""
    if not sessions:
        raise PeopleError(_("There is no session to cancel."))
    now = now or timezone.now()
    done = []
    with transaction.atomic():
        for session in sessions:
            _check_therapist_of(session.episode, actor)
            locked = (
                Session.objects.select_for_update()
                .select_related("episode__clinic")
                .get(pk=session.pk)
            )
            _check_movable(locked)
            done.append(_status_change(locked, SessionStatus.CANCELLED_THERAPIST, actor, now))
    return done


def session_set_status(
    *, session: Session, status: str, actor: User, now: datetime | None = None
) -> Session:
    """Record what happened to a session. Marking it attended opens the client's check-in."""
    if status not in SessionStatus.values:
        raise PeopleError(f"Unknown session status {status!r}.")
    if actor.role != Role.THERAPIST or session.episode.therapist_id != actor.id:
        raise PeopleError(_("Only the client's therapist can record attendance."))
    now = now or timezone.now()
    with transaction.atomic():
        session = (
            Session.objects.select_for_update().select_related("episode__clinic").get(pk=session.pk)
        )
        changed = _status_change(session, status, actor, now)
    if status in (SessionStatus.MISSED, SessionStatus.CANCELLED_CLIENT):
        dropout_check_quietly(episode=changed.episode, now=now)
    return changed


# A session still "scheduled" this long after its end is left for the therapist to record: the
# automatic opening is for the session that just ended, not for a backlog found on first start.
AUTO_OPEN_WITHIN = timedelta(hours=24)


def sessions_open_ended(*, now: datetime | None = None, limit: int = 500) -> int:
    """Check-ins open by themselves: every session whose scheduled end has passed (within the
    last day) and that nobody marked missed or cancelled becomes attended, with its check-in
    open, by the system. The therapist can still correct it (docs/checkin.md). Returns how many.
    """
    now = now or timezone.now()
    candidates = list(
        Session.objects.filter(
            status=SessionStatus.SCHEDULED,
            episode__status=EpisodeStatus.ACTIVE,
            scheduled_at__lte=now,
            scheduled_at__gt=now - AUTO_OPEN_WITHIN - timedelta(hours=8),
        )
        .order_by("scheduled_at")
        .values_list("pk", "scheduled_at", "duration_minutes")[:limit]
    )
    opened = 0
    for pk, scheduled_at, minutes in candidates:
        ended = scheduled_at + timedelta(minutes=minutes)
        if not (now - AUTO_OPEN_WITHIN < ended <= now):
            continue
        with transaction.atomic():
            session = (
                Session.objects.select_for_update()
                .select_related("episode__clinic")
                .filter(pk=pk, status=SessionStatus.SCHEDULED)
                .first()
            )
            if session is None:  # the therapist recorded it in the meantime
                continue
            _status_change(session, SessionStatus.ATTENDED, None, now)
            opened += 1
    return opened


def _status_change(session: Session, status: str, actor: User | None, now: datetime) -> Session:
    """Set the status of a session locked by the caller, opening or closing its check-in."""
    if session.status == status:
        return session
    if hasattr(session, "checkin"):
        raise PeopleError(
            _("The client has already answered this session's check-in, so it stays attended.")
        )
    if status == SessionStatus.ATTENDED and session.scheduled_at > now + timedelta(hours=1):
        raise PeopleError(_("A session can't be marked attended before it has happened."))
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
    audit_record(
        actor=actor,
        entry=about_episode(
            session.episode,
            AuditAction.TRANSITION,
            RecordType.SESSION,
            session.id,
            status if actor is not None else f"{status}_at_end",
        ),
    )
    return session


CLINIC_CONTACT_FIELDS = ("region", "contact_phone", "contact_email", "contact_hours")


def clinic_settings_update(*, admin: User, **values: str) -> Clinic:
    """A clinic admin changes the clinic's region and contact details (shown on help pages).

    Logged like the safety settings, naming which settings changed, never their values.
    """
    if admin.role != Role.CLINIC_ADMIN:
        raise PeopleError(_("Only a clinic admin can change the clinic's settings."))
    unknown = set(values) - set(CLINIC_CONTACT_FIELDS)
    if unknown:
        raise PeopleError(f"Unknown clinic settings: {', '.join(sorted(unknown))}.")
    if "region" in values and values["region"] not in Region.values:
        raise PeopleError(f"Unknown region {values['region']!r}.")
    with transaction.atomic():
        clinic = Clinic.objects.select_for_update().get(pk=admin.clinic_id)
        changed = [name for name, value in values.items() if getattr(clinic, name) != value]
        if not changed:
            return clinic
        for name in changed:
            setattr(clinic, name, values[name])
        clinic.full_clean()
        clinic.save(update_fields=changed)
        audit_record(
            actor=admin,
            entry=Entry(
                action=AuditAction.UPDATE,
                record_type=RecordType.CLINIC_SAFETY,
                record_id=clinic.id,
                subject_id=None,
                clinic_id=clinic.id,
                detail=" ".join(sorted(changed)),
            ),
        )
    return clinic


def clinic_create(*, name: str, timezone_name: str = "America/Toronto") -> Clinic:
    validate_timezone(timezone_name)
    return Clinic.objects.create(name=name, timezone=timezone_name)


def _may_end(episode: CareEpisode, actor: User) -> bool:
    if actor.role == Role.THERAPIST:
        return episode.therapist_id == actor.id
    return actor.role == Role.CLINIC_ADMIN and episode.clinic_id == actor.clinic_id


def episode_end(*, episode: CareEpisode, actor: User, now: datetime | None = None) -> CareEpisode:
    """End a course of therapy today (clinic time); its open alerts close as "episode ended".

    The ending date starts the retention period after which ``alliance retention`` anonymises
    the record (see docs/security-audit.md).
    """
    if not _may_end(episode, actor):
        raise PeopleError(_("Only the client's therapist or a clinic admin can end care."))
    now = now or timezone.now()
    with transaction.atomic():
        episode = (
            CareEpisode.objects.select_for_update().select_related("clinic").get(pk=episode.pk)
        )
        if episode.status == EpisodeStatus.ENDED:
            raise PeopleError(_("This care episode has already ended."))
        episode.status = EpisodeStatus.ENDED
        episode.ended_on = timezone.localdate(now, zoneinfo.ZoneInfo(episode.clinic.timezone))
        episode.save(update_fields=["status", "ended_on"])
        audit_record(
            actor=actor,
            entry=about_episode(
                episode, AuditAction.TRANSITION, RecordType.CARE_EPISODE, detail="ended"
            ),
        )
        for alert in Alert.objects.select_for_update().filter(
            episode=episode, state__in=ACTIVE_STATES
        ):
            alert.episode = episode
            close_locked(alert, actor=actor, reason=CloseReason.EPISODE_ENDED, note="", now=now)
        # Check-ins still open close now: nobody would read what comes in after care ends.
        episode.sessions.filter(checkin_closes_at__gt=now).update(checkin_closes_at=now)
    return episode


def _held_client(*, client: User, admin: User) -> User:
    if admin.role != Role.CLINIC_ADMIN or client.clinic_id != admin.clinic_id:
        raise PeopleError(_("Only a clinic admin can place or lift a legal hold."))
    if client.role != Role.CLIENT:
        raise PeopleError(_("A legal hold is placed on a client's record."))
    client = User.objects.select_for_update().get(pk=client.pk)
    if client.anonymised_at is not None:
        raise PeopleError(_("This record has already been anonymised."))
    return client


def legal_hold_set(*, client: User, admin: User, reason: str, now: datetime | None = None) -> User:
    """Keep a client's record from being anonymised (a court order, a complaint, an inquiry)."""
    reason = reason.strip()
    if not reason:
        raise PeopleError(_("Please say why the record is on hold."))
    now = now or timezone.now()
    with transaction.atomic():
        client = _held_client(client=client, admin=admin)
        client.legal_hold_since = client.legal_hold_since or now
        client.legal_hold_reason = reason
        client.legal_hold_by = admin
        client.save(update_fields=["legal_hold_since", "legal_hold_reason", "legal_hold_by"])
        audit_record(actor=admin, entry=about_person(client, AuditAction.LEGAL_HOLD))
    return client


def legal_hold_clear(*, client: User, admin: User) -> User:
    with transaction.atomic():
        client = _held_client(client=client, admin=admin)
        if client.legal_hold_since is None:
            raise PeopleError(_("This record is not on hold."))
        client.legal_hold_since = None
        client.legal_hold_reason = ""
        client.legal_hold_by = None
        client.save(update_fields=["legal_hold_since", "legal_hold_reason", "legal_hold_by"])
        audit_record(actor=admin, entry=about_person(client, AuditAction.LEGAL_HOLD_CLEARED))
    return client
