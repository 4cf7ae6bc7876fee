"""Client reminders and therapist notices: who should hear what, and when.

The scans run as a periodic task (every ``ALLIANCE_REMINDER_SCAN_SECONDS``). Each works in
batches of ``BATCH`` people with a fixed number of queries per batch: it reads the candidates
with their preferences in one query, the keys already queued in one, and inserts the new
messages in one (``bulk_create`` skipping keys that exist), so a scan of 10,000 clients costs
the same per client as a scan of ten. The outbox sweep then sends each message when it is due.

Rules (docs/messaging.md):
- a check-in reminder goes once when a session's check-in opens, moved out of the client's
  quiet hours; a second nudge 24 hours later only if the client asked for one and the check-in
  is still open;
- the diary card reminder goes at the time the client picked, on each of their local days, if
  they turned it on;
- every reminder is sent only if, when it is due, the item is still not done and the client
  still wants it (not paused, reminders and email on): otherwise it is skipped with the reason;
- a risk answer notifies the therapist at once unless they turned that email off; a new
  high-priority rupture alert notifies them at once or in the next daily digest, as they chose.
Bodies say that something is waiting and give a link: never a score, a comment or a diagnosis.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliance.checkins.models import CheckIn
from alliance.diary.models import DiaryCard, DiaryStatus
from alliance.messaging.models import (
    MessageKind,
    MessagePreferences,
    MessageState,
    OutboxMessage,
    RuptureNoticeMode,
    preferences_for,
)
from alliance.messaging.services import (
    Renderer,
    message_queue,
    register_renderer,
    register_skip_check,
)
from alliance.messaging.tasks import deliver_message
from alliance.messaging.timing import at_local, next_allowed
from alliance.people.models import CareEpisode, EpisodeStatus, Role, Session, SessionStatus, User
from alliance.ruptures.models import Alert, AlertCategory, AlertState, Severity

if TYPE_CHECKING:  # django-stubs-ext is a development tool, not installed with Alliance
    from django_stubs_ext import StrOrPromise

BATCH = 500
Row = TypeVar("Row", bound=Model)
SECOND_NUDGE_AFTER = timedelta(hours=24)
PAUSE_SALT = "alliance.messaging.pause"
PAUSE_DAYS = 7
PAUSE_LINK_DAYS = 60


def _link(path: str) -> str:
    return settings.ALLIANCE_SITE_URL.rstrip("/") + path


@functools.cache
def _path(name: str) -> str:
    # reverse() costs about a millisecond; a scan writing thousands of bodies asks once.
    return reverse(name)


@functools.cache
def _pause_path_template() -> str:
    return reverse("reminders_pause", args=["TOKEN"])


def pause_token(user: User) -> str:
    return signing.dumps({"u": str(user.pk)}, salt=PAUSE_SALT, compress=True)


def user_for_pause_token(token: str) -> User | None:
    try:
        data = signing.loads(token, salt=PAUSE_SALT, max_age=timedelta(days=PAUSE_LINK_DAYS))
        return User.objects.get(pk=uuid.UUID(data["u"]), is_active=True)
    except (signing.BadSignature, KeyError, ValueError, TypeError, User.DoesNotExist):
        return None


def _pause_line(user: User) -> str:
    url = _link(_pause_path_template().replace("TOKEN", pause_token(user)))
    return _("To pause reminders for %(days)d days, open this link: %(url)s") % {
        "days": PAUSE_DAYS,
        "url": url,
    }


def _wants_reminders(prefs: MessagePreferences, now: datetime) -> str | None:
    if not prefs.email:
        return "Email is turned off in the client's settings."
    if prefs.is_paused(now):
        return "The client paused reminders."
    return None


@dataclass
class ScanReport:
    checkin: int = 0
    diary: int = 0
    questionnaire: int = 0
    risk: int = 0
    rupture: int = 0


def _batches(rows: QuerySet[Row]) -> Iterator[list[Row]]:
    """``rows`` ordered by primary key, ``BATCH`` at a time (keyset paging: each page is one
    query, however far in)."""
    last = None
    while True:
        page = rows if last is None else rows.filter(pk__gt=last)
        batch = list(page.order_by("pk")[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        yield batch


def _insert(messages: list[OutboxMessage]) -> int:
    if not messages:
        return 0
    keys = [m.idempotency_key for m in messages]
    existing = set(
        OutboxMessage.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    new = [m for m in messages if m.idempotency_key not in existing]
    OutboxMessage.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _message(
    *,
    user: User,
    kind: str,
    key: str,
    subject: StrOrPromise,
    due: datetime,
    now: datetime,
    about_type: str,
    about_id: uuid.UUID,
) -> OutboxMessage:
    # The subject is written now, in the recipient's language; the body when it goes
    # (alliance.messaging.services delivers in the same language).
    with translation.override(user.mail_language):
        subject = str(subject)
    return OutboxMessage(
        idempotency_key=key,
        clinic_id=user.clinic_id,
        recipient=user,
        kind=kind,
        to_address=user.email,
        subject=subject,
        body="",  # written when it goes (alliance.messaging.services.RENDERERS)
        about_type=about_type,
        about_id=about_id,
        due_at=due,
        next_attempt_at=due,
        created_at=now,
    )


# --- check-ins -----------------------------------------------------------------------------


def _checkin_body(client: User) -> str:
    return "\n\n".join(
        [
            _("Hello %(name)s,") % {"name": client.display_name},
            _(
                "Your check-in about your last session is open. It takes about a minute, and "
                "only your therapist reads it."
            ),
            _link(_path("client_home")),
            _pause_line(client),
        ]
    )


def checkin_reminders_scan(*, now: datetime) -> int:
    answered = CheckIn.objects.filter(session=OuterRef("pk"))
    open_sessions = (
        Session.objects.filter(
            status=SessionStatus.ATTENDED,
            checkin_opens_at__lte=now,
            checkin_closes_at__gt=now,
            episode__status=EpisodeStatus.ACTIVE,
            episode__client__is_active=True,
        )
        .annotate(answered=Exists(answered))
        .filter(answered=False)
        .select_related("episode__client__message_preferences")
    )
    queued = 0
    for batch in _batches(open_sessions):
        messages = []
        for session in batch:
            client = session.episode.client
            prefs = preferences_for(client)
            if not prefs.checkin_reminders or _wants_reminders(prefs, now):
                continue
            zone = ZoneInfo(client.timezone)
            opens = session.checkin_opens_at
            assert opens is not None and session.checkin_closes_at is not None
            steps = [(1, opens)]
            if prefs.second_nudge:
                steps.append((2, opens + SECOND_NUDGE_AFTER))
            for n, at in steps:
                due = next_allowed(max(at, opens), zone, prefs.quiet_start, prefs.quiet_end)
                if due >= session.checkin_closes_at:
                    continue
                messages.append(
                    _message(
                        user=client,
                        kind=MessageKind.CHECKIN_REMINDER,
                        key=f"checkin:{session.pk}:{n}",
                        subject=gettext_lazy("You have a check-in waiting"),
                        due=due,
                        now=now,
                        about_type="session",
                        about_id=session.pk,
                    )
                )
        queued += _insert(messages)
    return queued


def _checkin_still_wanted(message: OutboxMessage, now: datetime) -> str | None:
    if message.about_id is None:
        return "The check-in is no longer open."
    session = Session.objects.filter(pk=message.about_id).first()
    if session is None or not session.checkin_is_open(now):
        return "The check-in is no longer open."
    if CheckIn.objects.filter(session=session).exists():
        return "The check-in was already sent."
    assert message.recipient is not None
    prefs = preferences_for(message.recipient)
    if not prefs.checkin_reminders:
        return "The client turned check-in reminders off."
    return _wants_reminders(prefs, now)


# --- the diary card ------------------------------------------------------------------------


def _diary_body(client: User) -> str:
    return "\n\n".join(
        [
            _("Hello %(name)s,") % {"name": client.display_name},
            _("Today's diary card is open, whenever you're ready. A few taps is enough."),
            _link(_path("diary")),
            _pause_line(client),
        ]
    )


def diary_reminders_scan(*, now: datetime) -> int:
    """Queue today's diary reminder (each client's own local day) once its time has come."""
    candidates = (
        MessagePreferences.objects.filter(
            diary_reminders=True,
            email=True,
            user__role=Role.CLIENT,
            user__is_active=True,
        )
        .filter(
            Exists(CareEpisode.objects.filter(client=OuterRef("user"), status=EpisodeStatus.ACTIVE))
        )
        .select_related("user")
    )
    queued = 0
    for batch in _batches(candidates):
        days = {}
        for prefs in batch:
            if prefs.is_paused(now):
                continue
            zone = ZoneInfo(prefs.user.timezone)
            day = now.astimezone(zone).date()
            due = at_local(day, prefs.diary_time, zone)
            if due <= now:
                days[prefs.user_id] = (prefs, day, due)
        sent_cards = set(
            DiaryCard.objects.filter(
                episode__client_id__in=list(days),
                status=DiaryStatus.SUBMITTED,
                day__in={day for _, day, _ in days.values()},
            ).values_list("episode__client_id", "day")
        )
        messages = [
            _message(
                user=prefs.user,
                kind=MessageKind.DIARY_REMINDER,
                key=f"diary:{prefs.user_id}:{day.isoformat()}",
                subject=gettext_lazy("Your diary card for today"),
                due=due,
                now=now,
                about_type="diary_day",
                about_id=prefs.user_id,
            )
            for user_id, (prefs, day, due) in days.items()
            if (user_id, day) not in sent_cards
        ]
        queued += _insert(messages)
    return queued


def _diary_still_wanted(message: OutboxMessage, now: datetime) -> str | None:
    assert message.recipient is not None
    client = message.recipient
    prefs = preferences_for(client)
    if not prefs.diary_reminders:
        return "The client turned diary reminders off."
    day = message.idempotency_key.rsplit(":", 1)[1]
    if DiaryCard.objects.filter(
        episode__client=client, day=day, status=DiaryStatus.SUBMITTED
    ).exists():
        return "Today's card was already sent."
    return _wants_reminders(prefs, now)


# --- questionnaires -------------------------------------------------------------------------


def _questionnaire_body(client: User) -> str:
    return "\n\n".join(
        [
            _("Hello %(name)s,") % {"name": client.display_name},
            _(
                "A short questionnaire from your therapist is waiting for you. There are no right "
                "or wrong answers."
            ),
            _link(_path("client_home")),
            _pause_line(client),
        ]
    )


def questionnaire_reminders_scan(*, now: datetime) -> int:
    """One reminder per questionnaire occasion that is open and not yet answered.

    Per batch of episodes: the schedules, the sessions and the answered occasions in one query
    each, then the schedule rules of ``alliance.outcomes.schedule`` in Python.
    """
    from alliance.outcomes.definitions import available_for
    from alliance.outcomes.models import OutcomeResponse, OutcomeSchedule
    from alliance.outcomes.schedule import due
    from alliance.outcomes.selectors import episode_bounds, session_slots, spec_of

    episodes_with_schedules = (
        CareEpisode.objects.filter(
            status=EpisodeStatus.ACTIVE,
            client__is_active=True,
        )
        .filter(Exists(OutcomeSchedule.objects.filter(episode=OuterRef("pk"))))
        .select_related("clinic", "client__message_preferences")
    )
    queued = 0
    known: dict[uuid.UUID, set[str]] = {}
    for batch in _batches(episodes_with_schedules):
        wanted = {
            e.pk: e
            for e in batch
            if preferences_for(e.client).questionnaire_reminders
            and not _wants_reminders(preferences_for(e.client), now)
        }
        schedules = list(OutcomeSchedule.objects.filter(episode_id__in=list(wanted)))
        sessions: dict[uuid.UUID, list[Session]] = {pk: [] for pk in wanted}
        for session in Session.objects.filter(episode_id__in=list(wanted)):
            sessions[session.episode_id].append(session)
        answered: dict[tuple[uuid.UUID, str], set[str]] = {}
        for episode_id, instrument_id, key in OutcomeResponse.objects.filter(
            episode_id__in=list(wanted)
        ).values_list("episode_id", "instrument_id", "occasion"):
            answered.setdefault((episode_id, instrument_id), set()).add(key)
        messages = []
        for schedule in schedules:
            episode = wanted[schedule.episode_id]
            if episode.clinic_id not in known:
                known[episode.clinic_id] = {
                    a.instrument_id for a in available_for(episode.clinic_id)
                }
            if schedule.instrument_id not in known[episode.clinic_id]:
                continue
            started, ended = episode_bounds(episode)
            client = episode.client
            prefs = preferences_for(client)
            for occasion in due(
                spec_of(schedule),
                started_at=started,
                ended_at=ended,
                sessions=session_slots(sessions[episode.pk]),
                answered=answered.get((episode.pk, schedule.instrument_id), set()),
                now=now,
            ):
                due_at = next_allowed(
                    max(occasion.opens_at, now - timedelta(minutes=1)),
                    ZoneInfo(client.timezone),
                    prefs.quiet_start,
                    prefs.quiet_end,
                )
                if occasion.closes_at is not None and due_at >= occasion.closes_at:
                    continue
                messages.append(
                    _message(
                        user=client,
                        kind=MessageKind.QUESTIONNAIRE_REMINDER,
                        key=f"questionnaire:{episode.pk}:{schedule.instrument_id}:{occasion.key}",
                        subject=gettext_lazy("A questionnaire is waiting for you"),
                        due=due_at,
                        now=now,
                        about_type="episode",
                        about_id=episode.pk,
                    )
                )
        queued += _insert(messages)
    return queued


def _questionnaire_still_wanted(message: OutboxMessage, now: datetime) -> str | None:
    from alliance.outcomes.models import OutcomeResponse

    _, episode_key, instrument_id, occasion = message.idempotency_key.split(":", 3)
    episode_id = uuid.UUID(episode_key)
    if OutcomeResponse.objects.filter(
        episode_id=episode_id, instrument_id=instrument_id, occasion=occasion
    ).exists():
        return "The questionnaire was already answered."
    if not CareEpisode.objects.filter(pk=episode_id, status=EpisodeStatus.ACTIVE).exists():
        return "Care has ended."
    assert message.recipient is not None
    prefs = preferences_for(message.recipient)
    if not prefs.questionnaire_reminders:
        return "The client turned questionnaire reminders off."
    return _wants_reminders(prefs, now)


# --- therapist notices ---------------------------------------------------------------------

# Alerts older than this when first seen (a new installation, a restore) raise no email.
NOTICE_HORIZON = timedelta(days=2)


def _notice_body(therapist: User, text: str, path: str) -> str:
    return "\n\n".join(
        [
            _("Hello %(name)s,") % {"name": therapist.display_name},
            text,
            _link(path),
            _(
                "This email holds no clinical details; sign in to see them. You can change these "
                "emails on your account page."
            ),
        ]
    )


def _new_alerts(*, now: datetime, category: str) -> list[Alert]:
    noticed = OutboxMessage.objects.filter(
        about_type="alert", about_id=OuterRef("pk"), recipient=OuterRef("episode__therapist")
    )
    return list(
        Alert.objects.filter(
            category=category,
            state=AlertState.OPEN,
            created_at__gte=now - NOTICE_HORIZON,
            episode__status=EpisodeStatus.ACTIVE,
            episode__therapist__is_active=True,
        )
        .exclude(Exists(noticed))
        .select_related("episode__therapist__message_preferences")
        .order_by("created_at")[:BATCH]
    )


def risk_notices_scan(*, now: datetime) -> list[OutboxMessage]:
    """A new risk answer: an email to the therapist at once (their own setting only)."""
    messages = []
    for alert in _new_alerts(now=now, category=AlertCategory.RISK):
        therapist = alert.episode.therapist
        if not preferences_for(therapist).risk_email:
            continue
        messages.append(
            _message(
                user=therapist,
                kind=MessageKind.RISK_NOTICE,
                key=f"risk:{alert.pk}",
                subject=gettext_lazy("A client's answer needs follow-up"),
                due=now,
                now=now,
                about_type="alert",
                about_id=alert.pk,
            )
        )
    _insert(messages)
    return messages


def rupture_notices_scan(*, now: datetime) -> int:
    """New high-priority rupture alerts: at once, or counted in the therapist's daily digest."""
    immediate: list[OutboxMessage] = []
    digests: dict[tuple[uuid.UUID, date], tuple[User, MessagePreferences, list[Alert]]] = {}
    for alert in _new_alerts(now=now, category=AlertCategory.RUPTURE):
        if alert.severity < Severity.HIGH:
            continue
        therapist = alert.episode.therapist
        prefs = preferences_for(therapist)
        if prefs.rupture_notices == RuptureNoticeMode.IMMEDIATE:
            immediate.append(
                _message(
                    user=therapist,
                    kind=MessageKind.RUPTURE_NOTICE,
                    key=f"rupture:{alert.pk}",
                    subject=gettext_lazy("A new alert on your caseload"),
                    due=now,
                    now=now,
                    about_type="alert",
                    about_id=alert.pk,
                )
            )
        elif prefs.rupture_notices == RuptureNoticeMode.DIGEST:
            zone = ZoneInfo(therapist.timezone)
            local = now.astimezone(zone)
            day = local.date()
            if local.time() >= prefs.digest_time:
                day += timedelta(days=1)
            digests.setdefault((therapist.pk, day), (therapist, prefs, []))[2].append(alert)
    queued = _insert(immediate)
    for (therapist_id, day), (therapist, prefs, alerts) in digests.items():
        due = at_local(day, prefs.digest_time, ZoneInfo(therapist.timezone))
        with translation.override(therapist.mail_language):
            digest, created = message_queue(
                kind=MessageKind.RUPTURE_DIGEST,
                key=f"digest:{therapist_id}:{day.isoformat()}",
                subject=_("Alerts waiting on your caseload"),
                body=_notice_body(
                    therapist,
                    _("New high-priority alerts are waiting on your caseload."),
                    _path("caseload"),
                ),
                recipient=therapist,
                due_at=due,
                now=now,
                about_type="digest",
            )
        queued += int(created)
        # Each alert is marked as noticed by a cancelled row that points at it, so the next scan
        # does not count it again; the digest itself is the one message that goes.
        _insert(
            [
                OutboxMessage(
                    idempotency_key=f"digested:{alert.pk}",
                    clinic_id=therapist.clinic_id,
                    recipient=therapist,
                    kind=MessageKind.RUPTURE_DIGEST,
                    to_address=therapist.email,
                    subject=digest.subject,
                    body="",
                    about_type="alert",
                    about_id=alert.pk,
                    state=MessageState.CANCELLED,
                    skip_reason=f"In the digest of {day.isoformat()}.",
                    due_at=due,
                    next_attempt_at=due,
                    created_at=now,
                )
                for alert in alerts
            ]
        )
    return queued


def _alert_notice(text: StrOrPromise) -> Renderer:
    def render(message: OutboxMessage) -> str:
        assert message.recipient is not None
        return _notice_body(
            message.recipient, str(text), reverse("alert_detail", args=[message.about_id])
        )

    return render


def _for_recipient(body: Callable[[User], str]) -> Renderer:
    def render(message: OutboxMessage) -> str:
        assert message.recipient is not None
        return body(message.recipient)

    return render


register_renderer(MessageKind.CHECKIN_REMINDER, _for_recipient(_checkin_body))
register_renderer(MessageKind.DIARY_REMINDER, _for_recipient(_diary_body))
register_renderer(MessageKind.QUESTIONNAIRE_REMINDER, _for_recipient(_questionnaire_body))
register_renderer(
    MessageKind.RISK_NOTICE,
    _alert_notice(
        gettext_lazy("A client gave an answer about their safety that needs your follow-up.")
    ),
)
register_renderer(
    MessageKind.RUPTURE_NOTICE,
    _alert_notice(gettext_lazy("A new high-priority alert is waiting on your caseload.")),
)
register_skip_check(MessageKind.CHECKIN_REMINDER, _checkin_still_wanted)
register_skip_check(MessageKind.DIARY_REMINDER, _diary_still_wanted)
register_skip_check(MessageKind.QUESTIONNAIRE_REMINDER, _questionnaire_still_wanted)


def reminders_scan(*, now: datetime | None = None) -> ScanReport:
    now = now or timezone.now()
    risk = risk_notices_scan(now=now)
    # Risk notices go at once rather than at the next sweep.
    for message in risk:
        deliver_message.enqueue(str(message.pk))
    return ScanReport(
        checkin=checkin_reminders_scan(now=now),
        diary=diary_reminders_scan(now=now),
        questionnaire=questionnaire_reminders_scan(now=now),
        risk=len(risk),
        rupture=rupture_notices_scan(now=now),
    )


def sent_for(about_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OutboxMessage]:
    """The latest message about each item, for the therapist's view of what went out."""
    latest: dict[uuid.UUID, OutboxMessage] = {}
    for message in OutboxMessage.objects.filter(about_id__in=list(about_ids)).order_by(
        "created_at"
    ):
        assert message.about_id is not None
        latest[message.about_id] = message
    return latest
