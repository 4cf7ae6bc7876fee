"""The client's "who has seen my records", one line per visit.

One page of the app writes one audit row per record it shows, so a therapist opening a client's
page leaves a dozen rows ("Listed: questionnaire answers" fifteen times). The log keeps every
row; this page groups them.

A **visit** is what one person did with the client's records in one sitting: their rows about
this client, each no more than ``GAP`` (30 minutes) after the one before. A gap of more than 30
minutes starts a new visit. Other people's rows in between do not break it.

Grouping runs in the database, and nothing of the history beyond the page reaches Python:

- a visit *ends* at a row with no later row of the same person within ``GAP`` after it
  (``NOT EXISTS``), so the visits are those rows, newest first, and the paginator pages them;
- a visit *starts* at the latest row of that person, at or before its end, with no earlier
  row within ``GAP`` before it (a subquery per visit on the page only);
- one grouped query then counts, for the page's visits, what kind of record each person saw.

Pages stay put while someone reads them: the first page notes the time of the newest row
(``upto``) and the links to other pages carry it, so rows written in the meantime do not shift
visits from one page to the next. "Newest" starts again from now. (A time, not a row id: a
bound on ``at`` keeps the (subject, at) index usable for the newest-first order.)
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import reduce
from typing import Any, cast

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alliance.absences.models import Absence
from alliance.audit.models import ActorRole, AuditAction, AuditEvent, RecordType
from alliance.people.models import CareEpisode, User

GAP = timedelta(minutes=30)
PAGE_SIZE = 20
CHECKIN_READ = "checkin_read"


def _rows(client: User, upto: datetime | None) -> QuerySet[AuditEvent]:
    """Other people's rows about ``client`` (never the client's own, nor the system's)."""
    rows = (
        AuditEvent.objects.filter(subject=client, actor__isnull=False)
        .exclude(actor_role=ActorRole.SYSTEM)
        .exclude(actor=client)
    )
    return rows if upto is None else rows.filter(at__lte=upto)


def _same_person(client: User, upto: datetime | None) -> QuerySet[AuditEvent]:
    """Rows about ``client`` by the person of the outer row (a staff member, never the system).

    Written as a range on (subject, actor, at, id), so each lookup is one index seek: an ``OR``
    over the ordering, or the end of the window computed per inner row, would scan the history.
    """
    rows = AuditEvent.objects.filter(subject=client, actor=OuterRef("actor"))
    return rows if upto is None else rows.filter(at__lte=upto)


class _SecondsBetween(Func):
    """``later - earlier`` in seconds, computed by the database itself.

    Django's own datetime arithmetic on SQLite calls back into Python for every row, which made
    the page cost grow steeply with the history; ``julianday`` is built into SQLite (to the
    millisecond, hence the millisecond in ``_LIMIT``), ``EXTRACT(EPOCH ...)`` into PostgreSQL.
    """

    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "

    def __init__(self, later: Any, earlier: Any) -> None:
        super().__init__(later, earlier)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


# A millisecond over 30 minutes still counts as 30 minutes (SQLite's time resolution).
_LIMIT = GAP.total_seconds() + 0.001


def visit_ends(client: User, upto: datetime | None = None) -> QuerySet[AuditEvent]:
    """The last row of every visit, newest first."""
    next_at = (
        _same_person(client, upto)
        .filter(at__gte=OuterRef("at"))
        .exclude(at=OuterRef("at"), id__lte=OuterRef("id"))
        .order_by("at", "id")
        .values("at")[:1]
    )
    return (
        _rows(client, upto)
        .alias(next_at=Subquery(next_at))
        .alias(gap=_SecondsBetween(F("next_at"), F("at")))
        .filter(Q(next_at__isnull=True) | Q(gap__gt=_LIMIT))
        .order_by("-at", "-id")
    )


def with_start(ends: QuerySet[AuditEvent], client: User) -> Any:
    """``ends`` with ``start_at``, when each visit began: the latest row of the same person, at
    or before the end, that comes more than ``GAP`` after the one before it (or has none).

    Only for a page of ends: the database computes it for every row it reads, skipped ones too.
    No snapshot bound here: a start and the rows before it are never newer than the end, and a
    second upper bound on ``at`` would make SQLite walk the index from the wrong one.
    """
    mine = _same_person(client, None)
    prev_at = (
        mine.filter(at__lte=OuterRef("at"))
        .exclude(at=OuterRef("at"), id__gte=OuterRef("id"))
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    starts = (
        mine.alias(prev_at=Subquery(prev_at))
        .alias(gap=_SecondsBetween(F("at"), F("prev_at")))
        .filter(Q(prev_at__isnull=True) | Q(gap__gt=_LIMIT))
    )
    start_at = (
        starts.filter(at__lte=OuterRef("at"))
        .exclude(at=OuterRef("at"), id__gt=OuterRef("id"))
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    return ends.annotate(start_at=Subquery(start_at)).select_related("actor")


@dataclass(frozen=True)
class Visit:
    actor_label: str
    relation: str
    start: datetime
    end: datetime
    what: str
    checkins_read: int


@dataclass(frozen=True)
class PageOf:
    """Where a page is: newer and older pages, without counting the visits (a count would
    group the whole history, every time the page is opened)."""

    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


@dataclass(frozen=True)
class VisitPage:
    page: PageOf
    visits: list[Visit]
    upto: int | None  # the snapshot, in microseconds since 1970 (UTC), for the page links


def visits_page(client: User, number: str | None = None, upto: str | None = None) -> VisitPage:
    """One page of the client's visits (``PAGE_SIZE`` of them), newest first."""
    snapshot = _moment(upto)
    if snapshot is None:
        snapshot = _rows(client, None).order_by("-at").values_list("at", flat=True).first()
    # The ends are paged by id (cheap to skip); only the page's own get their starts. One more
    # than a page tells whether there is an older one.
    page_number = _page_number(number)
    offset = (page_number - 1) * PAGE_SIZE
    ids = list(
        visit_ends(client, snapshot).values_list("id", flat=True)[offset : offset + PAGE_SIZE + 1]
    )
    page = PageOf(number=page_number, has_next=len(ids) > PAGE_SIZE)
    found = AuditEvent.objects.filter(id__in=ids[:PAGE_SIZE]).order_by("-at", "-id")
    ends = list(with_start(found, client))
    kinds = _kinds(client, ends)
    therapists = set(
        CareEpisode.objects.filter(client=client).values_list("therapist_id", flat=True)
    )
    # Colleagues who stood in for the client's therapist during a planned absence: the only
    # other therapists who can open the record (alliance/access.py, planned absences).
    covers = set(
        Absence.objects.filter(therapist_id__in=therapists).values_list("cover_id", flat=True)
    )
    visits = [
        Visit(
            actor_label=end.actor_label,
            relation=_relation(end, therapists, covers),
            start=_start(end),
            end=end.at,
            what=describe(kinds[index]),
            checkins_read=kinds[index].get(CHECKIN_READ, 0),
        )
        for index, end in enumerate(ends)
    ]
    return VisitPage(page=page, visits=visits, upto=_micros(snapshot))


def _page_number(value: str | None) -> int:
    try:
        return min(max(int(str(value)), 1), 100_000)
    except (TypeError, ValueError):
        return 1


def _start(end: AuditEvent) -> datetime:
    """When the visit that ``end`` closes began (annotated by ``with_start``)."""
    start: datetime = cast(Any, end).start_at
    return start


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - _EPOCH) // timedelta(microseconds=1)


def _moment(value: str | None) -> datetime | None:
    """The snapshot a page link carries, or None (from now) when it is missing or unreadable."""
    try:
        micros = int(str(value))
        return _EPOCH + timedelta(microseconds=micros) if micros > 0 else None
    except (TypeError, ValueError, OverflowError):
        return None


def _kinds(client: User, ends: list[AuditEvent]) -> list[dict[str, int]]:
    """For each visit, how many records of each kind (``record_type:action``) it touched."""
    found: list[dict[str, int]] = [{} for _ in ends]
    if not ends:
        return found
    spans = [Q(actor_id=e.actor_id, at__gte=_start(e), at__lte=e.at) for e in ends]
    which = Case(
        *(When(span, then=Value(i)) for i, span in enumerate(spans)), output_field=IntegerField()
    )
    # The therapist's "I have read this" rows and their opening of a check-in are one thing to
    # the client: their check-in was read. Both count it, once per check-in.
    kind = Case(
        When(record_type=RecordType.CHECKIN, action=AuditAction.VIEW, then=Value(CHECKIN_READ)),
        When(
            record_type=RecordType.CHECKIN,
            action=AuditAction.UPDATE,
            detail="read",
            then=Value(CHECKIN_READ),
        ),
        default=Concat("record_type", Value(":"), "action"),
        output_field=CharField(),
    )
    grouped = (
        _rows(client, None)
        .filter(at__gte=min(_start(e) for e in ends), at__lte=ends[0].at)
        .filter(reduce(operator.or_, spans))
        .annotate(visit=which, kind=kind)
        .values("visit", "kind")
        .annotate(records=Count("record_id", distinct=True))
        .order_by()
    )
    for row in grouped:
        found[row["visit"]][row["kind"]] = row["records"]
    return found


def _relation(event: AuditEvent, therapists: set[uuid.UUID], covers: set[uuid.UUID]) -> str:
    if event.actor_role == ActorRole.THERAPIST:
        if event.actor_id in therapists:
            return _("your therapist")
        if event.actor_id in covers:
            return _("covering while your therapist was away")
        return _("a therapist at your clinic")
    if event.actor_role == ActorRole.CLINIC_ADMIN:
        return _("your clinic's administrator")
    if event.actor_role == ActorRole.SUPERVISOR:
        return _("a clinical supervisor at your clinic")
    return str(event.get_actor_role_display()).lower()


# --- words -------------------------------------------------------------------------------------
# Alerts and repair records are the therapist's notes to the client: the client never reads the
# word "alert" (see alliance/access.py).


def _looked_at() -> dict[str, str]:
    """Kinds of reading, each as what was looked at."""
    return {
        "care_episode:view": _("your record"),
        "session:view": _("your sessions"),
        "checkin:list": _("your check-ins"),
        "alert:view": _("their notes about your check-ins"),
        "diary_card:view": _("your diary cards"),
        "diary_card:list": _("your diary cards"),
        "diary_target:view": _("your diary card targets"),
        "diary_target:list": _("your diary card targets"),
        "outcome_response:view": _("your questionnaire answers"),
        "outcome_response:list": _("your questionnaire answers"),
        "outcome_schedule:view": _("when you are asked to fill in questionnaires"),
        "person:view": _("your account details"),
        "audit_log:view": _("who has seen your records"),
    }


def _did() -> dict[str, Callable[[int], str]]:
    """Everything else: what was done, given how many records it was done to."""
    return {
        CHECKIN_READ: lambda n: (
            ngettext("read one of your check-ins", "read %(n)s of your check-ins", n) % {"n": n}
        ),
        "care_episode:list": lambda n: _("saw your name in their list of clients"),
        "person:list": lambda n: _("saw your name in the clinic's list of people"),
        "care_episode:create": lambda n: _("started your care record"),
        "care_episode:transition": lambda n: _("ended your course of therapy"),
        "person:create": lambda n: _("created your account"),
        "person:update": lambda n: _("updated your account"),
        "person:legal_hold": lambda n: _("changed how long your record is kept"),
        "person:legal_hold_cleared": lambda n: _("changed how long your record is kept"),
        "session:create": lambda n: (
            ngettext("scheduled a session", "scheduled %(n)s sessions", n) % {"n": n}
        ),
        "session:transition": lambda n: (
            ngettext("updated one of your sessions", "updated %(n)s of your sessions", n) % {"n": n}
        ),
        "alert:transition": lambda n: _("updated their notes about your check-ins"),
        "repair_record:create": lambda n: _("wrote their notes about your check-ins"),
        # A therapist's follow-up of a risk answer (questionnaire or diary card).
        "alert:update": lambda n: _("wrote their notes about how they followed up your answers"),
        "invite:create": lambda n: _("sent you a link to set your password"),
        "diary_target:create": lambda n: _("added a target to your diary card"),
        "diary_target:update": lambda n: _("changed the targets on your diary card"),
        "outcome_schedule:update": lambda n: _(
            "changed when you are asked to fill in questionnaires"
        ),
        "audit_log:export": lambda n: _("exported the list of who has seen your records"),
        "person:export": lambda n: _("exported a copy of your records"),
        # Supervision figures count a client's alerts and check-ins; they never show notes.
        "supervision:list": lambda n: _(
            "counted your check-ins and your therapist's follow-up in figures about their work"
        ),
    }


def _fallback(kind: str) -> str:
    """Words for a kind of row this page has no phrase for yet: only what sort of thing was
    done, never the log's own name for the record (which could say "alert" to the client)."""
    _record_type, _sep, action = kind.partition(":")
    if action in {AuditAction.VIEW, AuditAction.LIST, AuditAction.EXPORT}:
        return _("looked at other parts of your record")
    return _("added to or updated your record")


def _and(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return _("%(list)s and %(last)s") % {"list": ", ".join(parts[:-1]), "last": parts[-1]}


def describe(kinds: dict[str, int]) -> str:
    """What one visit did, in words: "read 2 of your check-ins and looked at your record"."""
    looked, did = _looked_at(), _did()
    nouns = list(dict.fromkeys(looked[k] for k in looked if k in kinds))
    clauses = [did[CHECKIN_READ](kinds[CHECKIN_READ])] if CHECKIN_READ in kinds else []
    if nouns:
        clauses.append(_("looked at %(what)s") % {"what": _and(nouns)})
    for kind in did:
        if kind != CHECKIN_READ and kind in kinds:
            clauses.append(did[kind](kinds[kind]))
    unnamed = {_fallback(k) for k in kinds if k not in looked and k not in did}
    clauses += sorted(unnamed, key=lambda words: words != _fallback(":view"))
    clauses = list(dict.fromkeys(clauses))
    if len(clauses) > 2 or (len(clauses) == 2 and len(nouns) > 1):
        # "read a check-in, looked at your record and your diary cards, and scheduled a session"
        return _("%(list)s, and %(last)s") % {"list": ", ".join(clauses[:-1]), "last": clauses[-1]}
    return _and(clauses)
