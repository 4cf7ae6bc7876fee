"""The one access layer: who may see which record.

Every view gets its records through these functions. A record the user may not see is reported
as missing (404), so the existence of another person's record is never revealed. Views never
filter by owner themselves.

Rules:
- a client sees their own care episodes, sessions and check-ins, and nothing of any alert or
  repair record beyond the fact that their therapist has read their check-in;
- a therapist sees the care episodes they are the primary therapist of, and everything in them;
- a diary card draft is the client's alone; the therapist sees a card once the client sends it;
- a clinic admin manages the clinic's people and invites, and sees no clinical record; they may
  end a client's care episode and review the audit log;
- a reach-out request (someone with no account writing through a public page) is seen by the
  therapist it was sent to; the clinic admin sees the clinic's intake list: requests to the
  clinic's own page, and to therapists of the clinic whose account is deactivated.

Every record a getter returns is noted in the audit log (``alliance.audit.recorder``), and list
pages note each record they list with ``note_listed``, so a view cannot show a record unlogged.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.views import redirect_to_login
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from alliance import rawsql
from alliance.absences import selectors as absence_selectors
from alliance.absences.models import Absence
from alliance.apitokens.models import PersonalAccessToken
from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import Entry, about_episode, about_person, note_read
from alliance.checkins.models import CheckIn
from alliance.diary.models import (
    DiaryCard,
    DiaryStatus,
    DiaryTarget,
)
from alliance.memo import per_request
from alliance.messaging.models import OutboxMessage
from alliance.outcomes.models import OutcomeResponse
from alliance.outcomes.selectors import Questionnaire, questionnaire_for
from alliance.people.models import CareEpisode, EpisodeStatus, Invite, Role, Session, User
from alliance.reachout.models import ReachOutRequest
from alliance.ruptures.models import Alert, AlertCategory
from alliance.safetyplan.models import SafetyPlan
from alliance.supervision.models import SupervisorAssignment

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


class AuthedRequest(HttpRequest):
    """The request a view gets once `role_required` (or `login_required`) has let it through.

    Only for annotations: `request.user` is then a signed-in `User`, never `AnonymousUser`.
    """

    user: User


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
        episode = (
            episodes_for(user)
            .select_related("client", "therapist", "clinic")
            .get(id=_uuid(episode_id))
        )
    except CareEpisode.DoesNotExist:
        raise Http404 from None
    note_read(user, about_episode(episode, AuditAction.VIEW, RecordType.CARE_EPISODE))
    return episode


# The episode in progress before any ended one, said in so many words: sorting the status text
# ("active" < "ended") would depend on how the values happen to be spelled.
ACTIVE_FIRST = Case(
    When(status=EpisodeStatus.ACTIVE, then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
).asc()


def get_client_episode(user: User, client_id: object) -> CareEpisode:
    """The therapist's current (or latest) episode with this client."""
    episode = (
        episodes_for(user)
        .filter(client_id=_uuid(client_id))
        .select_related("client", "therapist", "clinic")
        .order_by(ACTIVE_FIRST, "-started_on")
        .first()
    )
    if episode is None:
        raise Http404
    note_read(user, about_episode(episode, AuditAction.VIEW, RecordType.CARE_EPISODE))
    return episode


def get_episode_to_end(user: User, client_id: object) -> CareEpisode:
    """The therapist's own client's episode, or for a clinic admin any client's in their clinic."""
    if user.role != Role.CLINIC_ADMIN:
        return get_client_episode(user, client_id)
    episode = (
        CareEpisode.objects.filter(clinic_id=user.clinic_id, client_id=_uuid(client_id))
        .select_related("client", "therapist", "clinic")
        .order_by(ACTIVE_FIRST, "-started_on")
        .first()
    )
    if episode is None:
        raise Http404
    note_read(user, about_episode(episode, AuditAction.VIEW, RecordType.CARE_EPISODE))
    return episode


def note_listed(user: User, records: list[CareEpisode] | list[User]) -> None:
    """A page listed these care episodes or people: one audit row each, written in bulk."""
    for record in records:
        if isinstance(record, CareEpisode):
            note_read(user, about_episode(record, AuditAction.LIST, RecordType.CARE_EPISODE))
        else:
            note_read(user, about_person(record, AuditAction.LIST))


# --- sessions and check-ins ----------------------------------------------------------------


def sessions_for(user: User) -> QuerySet[Session]:
    return Session.objects.filter(episode__in=episodes_for(user))


Record = TypeVar("Record", Session, OutcomeResponse)


def _get_in_episode(user: User, records: QuerySet[Record], record_id: object, kind: str) -> Record:
    """One record of a care episode the user may see, noted as read; else 404."""
    try:
        record = records.select_related(
            "episode", "episode__client", "episode__therapist", "episode__clinic"
        ).get(id=_uuid(record_id))
    except records.model.DoesNotExist:
        raise Http404 from None
    note_read(user, about_episode(record.episode, AuditAction.VIEW, kind, record.id))
    return record


def get_session(user: User, session_id: object) -> Session:
    return _get_in_episode(user, sessions_for(user), session_id, RecordType.SESSION)


# The same rule as ``sessions_for`` for a client (their own episodes, in their own clinic), with
# the check-in fetched in the same query: the check-in pages ask whether it is answered yet.


def get_session_for_checkin(user: User, session_id: object) -> Session:
    """Only the client of the session may answer its check-in."""
    if user.role != Role.CLIENT or user.clinic_id is None:
        raise Http404
    # In SQL (alliance/rawsql.py, tested against its ORM twin): every check-in page asks it.
    # The episode's client is ``user`` (the query says so): not loaded again.
    session = rawsql.client_session(user.id, user.clinic_id, _uuid(session_id))
    if session is None:
        raise Http404
    session.episode.client = user
    note_read(
        user, about_episode(session.episode, AuditAction.VIEW, RecordType.SESSION, session.id)
    )
    return session


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
        alert = (
            (alerts_for(user) | cover_risk_alerts(user))
            .select_related(
                "episode", "episode__client", "episode__therapist", "session", "checkin"
            )
            .get(id=_uuid(alert_id))
        )
    except Alert.DoesNotExist:
        raise Http404 from None
    detail = "" if alert.episode.therapist_id == user.id else COVER
    note_read(
        user, about_episode(alert.episode, AuditAction.VIEW, RecordType.ALERT, alert.id, detail)
    )
    return alert


# --- people --------------------------------------------------------------------------------


def people_for(user: User) -> QuerySet[User]:
    """The people a clinic admin manages: everyone in their clinic."""
    if user.role != Role.CLINIC_ADMIN:
        return User.objects.none()
    return User.objects.filter(clinic_id=user.clinic_id)


def get_person(user: User, person_id: object) -> User:
    try:
        person = people_for(user).get(id=_uuid(person_id))
    except User.DoesNotExist:
        raise Http404 from None
    note_read(user, about_person(person, AuditAction.VIEW))
    return person


# --- the outbox -----------------------------------------------------------------------------


def messages_for(user: User) -> QuerySet[OutboxMessage]:
    """A clinic admin sees the delivery state of their clinic's messages (never their bodies on
    a page: the list shows kind, recipient, times and errors)."""
    if user.role != Role.CLINIC_ADMIN:
        return OutboxMessage.objects.none()
    return OutboxMessage.objects.filter(clinic_id=user.clinic_id)


def get_message(user: User, message_id: object) -> OutboxMessage:
    try:
        return messages_for(user).select_related("recipient").get(id=_uuid(message_id))
    except OutboxMessage.DoesNotExist:
        raise Http404 from None


def note_audit_log_read(user: User, *, subject: User | None) -> None:
    """Reading the audit log is itself logged (about the client it was filtered to, if any)."""
    note_read(
        user,
        Entry(
            action=AuditAction.VIEW,
            record_type=RecordType.AUDIT_LOG,
            record_id="",
            subject_id=subject.id if subject is not None else None,
            clinic_id=user.clinic_id,
        ),
    )


def get_client_for_invite(user: User, client_id: object) -> User:
    """A therapist may re-send an invite to their own client; an admin to anyone in the clinic."""
    if user.role == Role.CLINIC_ADMIN:
        return get_person(user, client_id)
    return get_client_episode(user, client_id).client


def waiting_invites_for(user: User, *, now: datetime) -> QuerySet[Invite]:
    """A therapist's open invitations: to their clients who have no password yet, and those
    they made for an address already in use (no account; see ``Invite``)."""
    if user.role != Role.THERAPIST:
        return Invite.objects.none()
    own_client = Q(
        user__episodes_as_client__therapist=user,
        user__episodes_as_client__status=EpisodeStatus.ACTIVE,
        user__password__startswith=UNUSABLE_PASSWORD_PREFIX,
        user__is_active=True,
    )
    no_account = Q(user__isnull=True, created_by=user)
    return Invite.objects.filter(
        own_client | no_account, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).distinct()


def get_waiting_invite(user: User, invite_id: object) -> Invite:
    try:
        invite = (
            waiting_invites_for(user, now=timezone.now())
            .select_related("user", "created_by")
            .get(id=_uuid(invite_id))
        )
    except Invite.DoesNotExist:
        raise Http404 from None
    if invite.user is not None:
        note_read(user, about_person(invite.user, AuditAction.VIEW))
    return invite


# --- outcome questionnaires ----------------------------------------------------------------


def get_questionnaire(
    user: User, episode_id: object, instrument_id: str, occasion: str
) -> Questionnaire:
    """The client's own questionnaire for one occasion of their schedule: open, closed or
    answered. Anything the schedule never asked for (or has not opened yet) is a 404."""
    if user.role != Role.CLIENT:
        raise Http404
    try:
        episode = (
            episodes_for(user)
            .select_related("client", "therapist", "clinic")
            .get(id=_uuid(episode_id))
        )
    except CareEpisode.DoesNotExist:
        raise Http404 from None
    questionnaire = questionnaire_for(episode, instrument_id, occasion, now=timezone.now())
    if questionnaire is None:
        raise Http404
    note_read(
        user,
        about_episode(
            episode, AuditAction.VIEW, RecordType.OUTCOME_RESPONSE, f"{instrument_id}:{occasion}"
        ),
    )
    return questionnaire


def outcome_responses_for(user: User) -> QuerySet[OutcomeResponse]:
    """A client's own questionnaire answers; a therapist's clients' answers."""
    return OutcomeResponse.objects.filter(episode__in=episodes_for(user))


def get_outcome_response(user: User, response_id: object) -> OutcomeResponse:
    return _get_in_episode(
        user, outcome_responses_for(user), response_id, RecordType.OUTCOME_RESPONSE
    )


# --- diary cards ---------------------------------------------------------------------------


def client_episodes(client: User) -> list[CareEpisode]:
    """A client's own care episodes (``episodes_for``), oldest first, with their clinic and
    therapist: read once per request (alliance/memo.py), since a client's pages ask several
    times and nothing a client does changes an episode."""
    if client.role != Role.CLIENT or client.clinic_id is None:
        return []

    def read() -> list[CareEpisode]:
        episodes = list(
            episodes_for(client).select_related("clinic", "therapist").order_by("started_on", "pk")
        )
        for episode in episodes:
            episode.client = client
        return episodes

    return per_request(("client_episodes", client.id, client.clinic_id), read)


def active_episode_of(client: User) -> CareEpisode | None:
    """The client's own care episode in progress, which new diary cards belong to (the first
    begun, by id, should there ever be two)."""
    active = [e for e in client_episodes(client) if e.status == EpisodeStatus.ACTIVE]
    return min(active, key=lambda e: e.pk) if active else None


def diary_cards_for(user: User) -> QuerySet[DiaryCard]:
    """A client's own cards, drafts included; a therapist's clients' cards once sent.

    A draft stays the client's own until they press "Done for today": the therapist never sees
    it, and it raises no alert.
    """
    if user.role == Role.CLIENT:
        return DiaryCard.objects.filter(client=user, episode__in=episodes_for(user))
    if user.role == Role.THERAPIST:
        return DiaryCard.objects.filter(
            episode__in=episodes_for(user), status=DiaryStatus.SUBMITTED
        )
    return DiaryCard.objects.none()


def _client_cards(client: User) -> QuerySet[DiaryCard]:
    """``diary_cards_for`` of a client, in their own clinic."""
    return DiaryCard.objects.filter(
        client_id=client.id, episode__client_id=client.id, episode__clinic_id=client.clinic_id
    )


def diary_card_days(client: User, first: date, last: date) -> list[DiaryCard]:
    """The client's own cards from ``first`` to ``last`` (day and status only; not audited:
    the page shows which days are filled in, not what is in them)."""
    if client.role != Role.CLIENT or client.clinic_id is None:
        return []
    return list(
        _client_cards(client).filter(day__gte=first, day__lte=last).only("id", "day", "status")
    )


def get_diary_card(user: User, day: date) -> DiaryCard | None:
    """The client's own card for ``day``, or None when they have not started it yet.

    Only a client addresses a card by its day; anyone else gets a 404.
    """
    if user.role != Role.CLIENT:
        raise Http404
    card = (
        _client_cards(user)
        .filter(day=day)
        .select_related("episode", "episode__therapist", "episode__clinic")
        .order_by("pk")
        .first()
        if user.clinic_id
        else None
    )
    if card is not None:
        note_read(
            user, about_episode(card.episode, AuditAction.VIEW, RecordType.DIARY_CARD, card.id)
        )
    return card


def note_outcome_responses_listed(
    user: User, episode: CareEpisode, responses: list[OutcomeResponse]
) -> None:
    """A page showed these answers of ``episode`` as chart points or risk notes: a row each."""
    for response in responses:
        note_read(
            user, about_episode(episode, AuditAction.LIST, RecordType.OUTCOME_RESPONSE, response.id)
        )


def note_diary_cards_read(user: User, cards: list[DiaryCard], *, listed: bool = False) -> None:
    """A page showed these cards (``listed``: only as points of a chart): one audit row each."""
    action = AuditAction.LIST if listed else AuditAction.VIEW
    for card in cards:
        note_read(
            user,
            Entry(action, RecordType.DIARY_CARD, card.id, card.client_id, card.episode.clinic_id),
        )


def diary_targets_for(user: User) -> QuerySet[DiaryTarget]:
    """The targets of the user's care episodes: a client's own, a therapist's clients'."""
    if user.role not in (Role.CLIENT, Role.THERAPIST):
        return DiaryTarget.objects.none()
    return DiaryTarget.objects.filter(episode__in=episodes_for(user))


def get_diary_target(user: User, target_id: object) -> DiaryTarget:
    """A target of one of the therapist's clients (only therapists change targets)."""
    if user.role != Role.THERAPIST:
        raise Http404
    try:
        target = (
            diary_targets_for(user)
            .select_related("episode", "episode__client", "episode__clinic")
            .get(id=_uuid(target_id))
        )
    except DiaryTarget.DoesNotExist:
        raise Http404 from None
    note_read(
        user, about_episode(target.episode, AuditAction.VIEW, RecordType.DIARY_TARGET, target.id)
    )
    return target


# --- client timeline and session prep ---------------------------------------------------


def note_episode_records_listed(
    user: User, episode: CareEpisode, shown: dict[str, list[Any]]
) -> None:
    """A page showed these records of ``episode`` as points, marks or lines (record type ->
    ids): a row each."""
    for record_type, record_ids in shown.items():
        for record_id in record_ids:
            note_read(user, about_episode(episode, AuditAction.LIST, record_type, record_id))


def note_session_prep_read(user: User, episode: CareEpisode, *, with_notes: bool) -> None:
    """The session-prep summary of ``episode`` was shown (with the free-text notes or not)."""
    note_read(
        user,
        about_episode(
            episode,
            AuditAction.VIEW,
            RecordType.SESSION_PREP,
            detail="with_notes" if with_notes else "",
        ),
    )


# --- planned absences ----------------------------------------------------------------------
# A therapist's cover may, on the days of the absence only (clinic time), read each of the
# absent therapist's clients' summary and act on their risk answers. The rule is the clock and
# the absence's dates: nothing has to run for the access to begin or to end. Every read by the
# cover is noted with the detail "cover", so the client's "who has seen my records" says so.

COVER = "cover"


def absences_for(user: User) -> QuerySet[Absence]:
    """A therapist's own absences (others see none)."""
    if user.role != Role.THERAPIST:
        return Absence.objects.none()
    return Absence.objects.filter(therapist=user, clinic_id=user.clinic_id)


def get_absence(user: User, absence_id: object) -> Absence:
    try:
        return (
            absences_for(user)
            .select_related("cover", "therapist", "clinic")
            .get(id=_uuid(absence_id))
        )
    except Absence.DoesNotExist:
        raise Http404 from None


def cover_risk_alerts(user: User) -> QuerySet[Alert]:
    """The risk answers of the clients ``user`` covers for today."""
    if user.role != Role.THERAPIST:
        return Alert.objects.none()
    return Alert.objects.filter(
        episode__in=absence_selectors.covered_episodes(user, now=timezone.now()),
        category=AlertCategory.RISK,
    )


def get_summary_episode(user: User, client_id: object) -> CareEpisode:
    """The client's summary: for their own therapist, or for the cover during the absence."""
    if user.role != Role.THERAPIST:
        raise Http404
    own = episodes_for(user).filter(client_id=_uuid(client_id), status=EpisodeStatus.ACTIVE)
    covered = absence_selectors.covered_episodes(user, now=timezone.now()).filter(
        client_id=_uuid(client_id)
    )
    episode = (own | covered).select_related("client", "therapist", "clinic").first()
    if episode is None:
        raise Http404
    detail = "" if episode.therapist_id == user.id else COVER
    note_read(
        user, about_episode(episode, AuditAction.VIEW, RecordType.CARE_EPISODE, detail=detail)
    )
    return episode


def note_covered_listed(user: User, episodes: list[CareEpisode]) -> None:
    """The cover's caseload listed these clients of the absent therapist."""
    for episode in episodes:
        note_read(
            user, about_episode(episode, AuditAction.LIST, RecordType.CARE_EPISODE, detail=COVER)
        )


def note_summary_read(user: User, episode: CareEpisode, summary: Any) -> None:
    """The summary showed the latest check-in's alliance score, these alerts and the plan."""
    detail = "" if episode.therapist_id == user.id else COVER
    if summary.latest_checkin is not None:
        note_read(
            user,
            about_episode(
                episode, AuditAction.LIST, RecordType.CHECKIN, summary.latest_checkin.id, detail
            ),
        )
    for alert in [*summary.risk_alerts, *summary.open_alerts]:
        note_read(
            user, about_episode(episode, AuditAction.LIST, RecordType.ALERT, alert.id, detail)
        )
    if summary.safety_plan is not None:
        plan_id = summary.safety_plan.plan.id
        note_read(
            user,
            about_episode(episode, AuditAction.VIEW, RecordType.SAFETY_PLAN, plan_id, detail),
        )


# --- exports (the client's own, research, FHIR) ------------------------------------------------


def research_exports_for(user: User) -> QuerySet[Any]:
    """A clinic admin's research exports: their clinic's, whoever asked for them."""
    from alliance.exports.models import ResearchExport

    if user.role != Role.CLINIC_ADMIN:
        return ResearchExport.objects.none()
    return ResearchExport.objects.filter(clinic_id=user.clinic_id)


def get_research_export(user: User, export_id: object) -> Any:
    from alliance.exports.models import ResearchExport

    try:
        return research_exports_for(user).get(id=_uuid(export_id))
    except ResearchExport.DoesNotExist:
        raise Http404 from None


# --- safety plans --------------------------------------------------------------------------


def client_plan_episode(client: User) -> CareEpisode | None:
    """The care episode whose safety plan a client sees: the one in progress, else the latest."""
    episodes = client_episodes(client)
    active = active_episode_of(client)
    return active or (max(episodes, key=lambda e: (e.started_on, e.pk)) if episodes else None)


def safety_plan_of(user: User, episode: CareEpisode) -> SafetyPlan | None:
    """The safety plan of an episode the user may see (the client's own, or their
    therapist's), None while there is none; noted in the audit log when there is one.

    A therapist covering for the client's therapist may read it on the days of the absence
    (their reading is noted as the cover's). Anyone else gets a 404, whatever episode they hand
    in.
    """
    own = (user.role == Role.CLIENT and episode.client_id == user.pk) or (
        user.role == Role.THERAPIST and episode.therapist_id == user.pk
    )
    covering = (
        not own
        and user.role == Role.THERAPIST
        and absence_selectors.covered_episodes(user, now=timezone.now())
        .filter(pk=episode.pk)
        .exists()
    )
    if not (own or covering) or episode.clinic_id != user.clinic_id:
        raise Http404
    plan = SafetyPlan.objects.filter(episode_id=episode.pk).first()
    if plan is not None:
        plan.episode = episode
        detail = COVER if covering else ""
        note_read(
            user,
            about_episode(episode, AuditAction.VIEW, RecordType.SAFETY_PLAN, plan.id, detail),
        )
    return plan


# --- supervision and therapist ratings -----------------------------------------------------
# A supervisor sees figures about the therapists a clinic admin assigned them, and nothing else:
# ``episodes_for`` gives them no episode, so every record getter above answers 404. A therapist
# rating is read only through ``get_session_for_therapist`` (the client's own therapist); no
# getter gives it to a client.


def supervised_therapists_for(user: User) -> QuerySet[User]:
    """The therapists currently assigned to this supervisor, in their clinic."""
    if user.role != Role.SUPERVISOR or user.clinic_id is None:
        return User.objects.none()
    return (
        User.objects.filter(
            role=Role.THERAPIST,
            clinic_id=user.clinic_id,
            supervisor_assignments__supervisor=user,
            supervisor_assignments__ended_at__isnull=True,
        )
        .distinct()
        .order_by("full_name", "email")
    )


def get_supervised_therapist(user: User, therapist_id: object) -> User:
    try:
        return supervised_therapists_for(user).get(id=_uuid(therapist_id))
    except User.DoesNotExist:
        raise Http404 from None


def note_supervision_read(
    user: User, therapist: User, episode_ids: Sequence[uuid.UUID], client_ids: Sequence[uuid.UUID]
) -> None:
    """A supervision page showed figures about ``therapist``: a row about the therapist, and one
    about each client whose care the figures count (``RecordType.SUPERVISION``)."""
    note_read(
        user,
        Entry(AuditAction.VIEW, RecordType.SUPERVISION, therapist.id, therapist.id, user.clinic_id),
    )
    for episode_id, client_id in zip(episode_ids, client_ids, strict=True):
        note_read(
            user,
            Entry(AuditAction.LIST, RecordType.SUPERVISION, episode_id, client_id, user.clinic_id),
        )


def supervisor_assignments_for(user: User) -> QuerySet[SupervisorAssignment]:
    if user.role != Role.CLINIC_ADMIN:
        return SupervisorAssignment.objects.none()
    return SupervisorAssignment.objects.filter(clinic_id=user.clinic_id)


def get_supervisor_assignment(user: User, assignment_id: object) -> SupervisorAssignment:
    try:
        return supervisor_assignments_for(user).get(id=_uuid(assignment_id))
    except SupervisorAssignment.DoesNotExist:
        raise Http404 from None


def get_clinic_person(user: User, person_id: object, role: str) -> User:
    """Someone of ``role`` in the admin's clinic (for a form's choice), else 404."""
    person = get_person(user, person_id)
    if person.role != role:
        raise Http404
    return person


# --- alliance-outcome analysis ---


def analysis_clinic_for(user: User) -> uuid.UUID:
    """The clinic whose alliance–outcome analysis this user may read: a clinic admin's own.

    The page shows only figures pooled over the clinic's clients, never one client's record;
    reading it is noted in the audit log as one row about the clinic, with no subject.
    """
    if user.role != Role.CLINIC_ADMIN or user.clinic_id is None:
        raise Http404
    note_read(
        user,
        Entry(
            action=AuditAction.VIEW,
            record_type=RecordType.CLINIC_ANALYSIS,
            record_id="",
            subject_id=None,
            clinic_id=user.clinic_id,
        ),
    )
    return user.clinic_id


# --- REST API ------------------------------------------------------------------------------
# The API (alliance/apitokens/endpoints) reads through the same functions as the pages; these
# are the few look-ups it needs that no page had. A staff member's own tokens are theirs alone.


def clients_for(user: User) -> QuerySet[User]:
    """A therapist's clients (any episode of theirs); a clinic admin's clinic's clients."""
    if user.role == Role.THERAPIST:
        return User.objects.filter(role=Role.CLIENT, id__in=episodes_for(user).values("client_id"))
    if user.role == Role.CLINIC_ADMIN:
        return people_for(user).filter(role=Role.CLIENT)
    return User.objects.none()


def get_client(user: User, client_id: object) -> User:
    try:
        person = clients_for(user).get(id=_uuid(client_id))
    except User.DoesNotExist:
        raise Http404 from None
    note_read(user, about_person(person, AuditAction.VIEW))
    return person


def get_checkin(user: User, checkin_id: object) -> CheckIn:
    try:
        checkin = checkins_for(user).select_related("episode", "session").get(id=_uuid(checkin_id))
    except CheckIn.DoesNotExist:
        raise Http404 from None
    note_read(
        user, about_episode(checkin.episode, AuditAction.VIEW, RecordType.CHECKIN, checkin.id)
    )
    return checkin


def get_sent_diary_card(user: User, card_id: object) -> DiaryCard:
    """A card by its id, for the therapist once the client has sent it (``diary_cards_for``)."""
    if user.role != Role.THERAPIST:
        raise Http404
    try:
        card = diary_cards_for(user).select_related("episode").get(id=_uuid(card_id))
    except DiaryCard.DoesNotExist:
        raise Http404 from None
    note_read(user, about_episode(card.episode, AuditAction.VIEW, RecordType.DIARY_CARD, card.id))
    return card


def note_api_listed(user: User, record_type: str, records: list[Any]) -> None:
    """An API list answered with these records of care episodes: a row each, as on the pages."""
    for record in records:
        note_read(user, about_episode(record.episode, AuditAction.LIST, record_type, record.id))


def api_tokens_for(user: User) -> QuerySet[PersonalAccessToken]:
    return PersonalAccessToken.objects.filter(user=user).order_by("-created_at", "id")


def get_api_token(user: User, token_id: object) -> PersonalAccessToken:
    try:
        return api_tokens_for(user).select_related("user").get(id=_uuid(token_id))
    except PersonalAccessToken.DoesNotExist:
        raise Http404 from None


# --- reach-out requests ----------------------------------------------------------------------


def reach_outs_for(user: User) -> QuerySet[ReachOutRequest]:
    """A therapist's own requests; a clinic admin's intake list (see the rules above): a request
    to a therapist who has left does not wait unseen."""
    if user.role == Role.THERAPIST:
        return ReachOutRequest.objects.filter(page__therapist=user, page__clinic_id=user.clinic_id)
    if user.role == Role.CLINIC_ADMIN:
        return ReachOutRequest.objects.filter(page__clinic_id=user.clinic_id).filter(
            Q(page__therapist__isnull=True) | Q(page__therapist__is_active=False)
        )
    return ReachOutRequest.objects.none()


def _about_reach_out(request: ReachOutRequest, action: str) -> Entry:
    # Nobody's account: the person who wrote has none, and the row must say nothing of them.
    return Entry(action, RecordType.REACH_OUT, request.id, None, request.page.clinic_id)


def get_reach_out(user: User, request_id: object) -> ReachOutRequest:
    try:
        request = (
            reach_outs_for(user)
            .select_related("page", "page__clinic", "page__therapist", "answered_by", "invited_to")
            .get(id=_uuid(request_id))
        )
    except ReachOutRequest.DoesNotExist:
        raise Http404 from None
    note_read(user, _about_reach_out(request, AuditAction.VIEW))
    return request


def note_reach_outs_listed(user: User, requests: list[ReachOutRequest]) -> None:
    """A page listed these requests (the name of whoever wrote each): one audit row each."""
    for request in requests:
        note_read(user, _about_reach_out(request, AuditAction.LIST))


# --- copies kept on the device for offline reading (alliance/offline) ---


def may_keep_offline(user: Any) -> bool:
    """A page may be kept by the service worker only for a client or someone signed out.

    Staff pages are about other people: they are never kept on a device, whatever the page.
    """
    if not getattr(user, "is_authenticated", False):
        return True
    return getattr(user, "role", None) == Role.CLIENT
