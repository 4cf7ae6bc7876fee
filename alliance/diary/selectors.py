"""Reads for the client's card and the therapist's weekly grid and trends."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from alliance import access
from alliance.core import diary as card_def
from alliance.core.safety import SafetyRule, evaluate
from alliance.diary.charts import (
    MARKERS,
    RECENT_DAYS,
    SYMBOLS,
    Series,
    describe,
    line_chart_svg,
    short_day,
    weekly,
)
from alliance.diary.models import DiaryCard, DiaryStatus, DiaryTarget, DiaryTargetEntry
from alliance.outcomes.safety import rules_for
from alliance.people.models import CareEpisode, User

TREND_WEEKS = 8
URGE_SERIES = (
    *((u.key, u.short) for u in card_def.URGES),
    (card_def.QUIT.key, gettext_noop("Quit therapy")),
)
MISERY_SERIES = (
    ("emotional_misery", gettext_noop("Emotional misery")),
    ("physical_misery", gettext_noop("Physical misery")),
)


# --- the client's card -----------------------------------------------------------------------


@dataclass(frozen=True)
class DayLink:
    day: date
    status: str  # "sent" | "draft" | "empty"
    is_today: bool

    @property
    def label(self) -> str:
        return short_day(self.day)

    @property
    def status_text(self) -> str:
        return {
            "sent": _("sent"),
            "draft": _("started, not sent yet"),
            "empty": _("not filled in"),
        }[self.status]


def _form_values(card: DiaryCard | None, entries: list[DiaryTargetEntry]) -> dict[str, Any]:
    """What the form shows: the draft if there is one, else what was sent (with ``entries``,
    the card's target answers)."""
    if card is None:
        return {}
    if card.draft:
        return card.draft_answers()
    if not card.is_submitted:
        return {}
    values: dict[str, Any] = {}
    for name, value in card.answers().columns().items():
        if isinstance(value, bool):
            values[name] = "yes" if value else "no"
        elif value is not None and value != "":
            values[name] = str(value)
    for entry in entries:
        target = str(entry.target_id)
        if entry.urge is not None:
            values[card_def.target_field(target, "urge")] = str(entry.urge)
        if entry.acted is not None:
            values[card_def.target_field(target, "acted")] = "yes" if entry.acted else "no"
        if entry.count is not None:
            values[card_def.target_field(target, "count")] = str(entry.count)
    values["skills"] = list(card.skills or [])
    values["note"] = card.note
    return values


def _days(client: User, today: date) -> list[DayLink]:
    """The days that can be filled in, oldest first, each with how far it got."""
    window = list(card_def.fill_window(today))
    statuses = {card.day: card.status for card in access.diary_card_days(client, window[-1], today)}
    links = []
    for day in reversed(window):
        status = statuses.get(day)
        links.append(
            DayLink(
                day=day,
                status="sent"
                if status == DiaryStatus.SUBMITTED
                else ("draft" if status else "empty"),
                is_today=day == today,
            )
        )
    return links


@dataclass
class Greeting:
    missed: list[DayLink] = field(default_factory=list)
    welcome_back: bool = False
    first_time: bool = False


def _greeting(client: User, episode: CareEpisode, days: list[DayLink], today: date) -> Greeting:
    """Days in the window the client could still fill in, said as an invitation."""
    missed = [d for d in days if not d.is_today and d.status != "sent"]
    missed = [d for d in missed if d.day >= episode.started_on]
    if not missed:
        return Greeting()
    last_sent = (
        access.diary_cards_for(client)
        .filter(status=DiaryStatus.SUBMITTED, day__lt=today)
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    return Greeting(
        missed=missed,
        welcome_back=last_sent is not None and last_sent < today - timedelta(days=1),
        first_time=last_sent is None,
    )


def episode_targets(episode: CareEpisode) -> list[DiaryTarget]:
    """Every target of the episode's card, stopped ones too, oldest first."""
    return list(DiaryTarget.objects.filter(episode_id=episode.id))


def targets_of(user: User, episode: CareEpisode) -> list[DiaryTarget]:
    """The episode's targets, stopped ones too, oldest first, if ``user`` may see them."""
    return list(access.diary_targets_for(user).filter(episode=episode))


def active_target_count(user: User, episode: CareEpisode) -> int:
    """How many of the episode's targets are on the card, if ``user`` may see them."""
    return access.diary_targets_for(user).filter(episode=episode, active=True).count()


def _targets_for_card(episode: CareEpisode, entries: list[DiaryTargetEntry]) -> list[DiaryTarget]:
    """The targets being tracked, and any stopped one the card already has an answer for."""
    answered = {entry.target_id for entry in entries}
    return [t for t in episode_targets(episode) if t.active or t.id in answered]


def client_card_page(
    client: User, episode: CareEpisode, day: date, today: date, card: DiaryCard | None
) -> dict[str, Any]:
    days = _days(client, today)
    entries = list(card.target_entries.all()) if card is not None else []
    values = _form_values(card, entries)
    targets = _targets_for_card(episode, entries)
    return {
        "card": card,
        "day": day,
        "today": today,
        "is_today": day == today,
        "days": days,
        "greeting": _greeting(client, episode, days, today) if day == today else Greeting(),
        "values": values,
        "targets": [
            {
                "target": t,
                "urge": card_def.target_field(str(t.id), "urge"),
                "acted": card_def.target_field(str(t.id), "acted"),
                "count": card_def.target_field(str(t.id), "count"),
            }
            for t in targets
        ],
        "therapist": episode.therapist,
    }


@dataclass(frozen=True)
class HomeEntry:
    today: str  # "sent" | "draft" | "empty"
    missed: int


def home_entry(client: User, *, now: datetime) -> HomeEntry | None:
    """How far today's card got, and how many days before it could still be filled in."""
    episode = access.active_episode_of(client)
    if episode is None:
        return None
    today = card_def.local_day(now, client.zone)
    days = _days(client, today)
    missed = [
        d for d in days if not d.is_today and d.status != "sent" and d.day >= episode.started_on
    ]
    return HomeEntry(today=days[-1].status, missed=len(missed))


def client_done_page(client: User, card: DiaryCard, today: date) -> dict[str, Any]:
    days = _days(client, today)
    findings = evaluate("diary", card.answers().safety_answers(), rules_for(card.episode.clinic))
    return {
        "card": card,
        "findings": findings,
        "greeting": _greeting(client, card.episode, days, today),
        "therapist": card.episode.therapist,
    }


# --- the therapist's weekly grid ---------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str = ""
    state: str = "value"  # "value" | "blank" (no answer) | "empty" (no card) | "future"
    risk: bool = False


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[Cell]


@dataclass(frozen=True)
class Group:
    label: str
    rows: list[Row]


def _number(value: int | None, risk: bool = False) -> Cell:
    return Cell(str(value), risk=risk) if value is not None else Cell(state="blank")


def _acted(acted: bool | None, count: int | None, risk: bool = False) -> Cell:
    if acted is None and count is None:
        return Cell(state="blank")
    if not acted:
        return Cell(_("No"))
    return Cell(_("Yes, %(count)d×") % {"count": count} if count else _("Yes"), risk=risk)


# How a row reads its cell from a card, the fields the safety rules fired on, and its targets.
CellOf = Callable[[DiaryCard, set[str], dict[uuid.UUID, DiaryTargetEntry]], Cell]


def _grid(
    days: list[date],
    cards: dict[date, DiaryCard],
    targets: list[DiaryTarget],
    today: date,
    rules: Sequence[SafetyRule],
) -> list[Group]:
    """Rows of the classic card, in its order; each cell says why it is empty when it is."""
    fired: dict[date, set[str]] = {}
    entries: dict[date, dict[uuid.UUID, DiaryTargetEntry]] = {}
    for day, card in cards.items():
        found = evaluate("diary", card.answers().safety_answers(), rules)
        fired[day] = {f.rule.field for f in found}
        entries[day] = {e.target_id: e for e in card.target_entries.all()}

    def row(label: str, make: CellOf) -> Row:
        cells = []
        for day in days:
            card = cards.get(day)
            if card is None:
                cells.append(Cell(state="future" if day > today else "empty"))
            else:
                cells.append(make(card, fired[day], entries[day]))
        return Row(label, cells)

    def number_row(key: str, label: str) -> Row:
        return row(label, lambda c, f, e: _number(getattr(c, key), key in f))

    def urge_acted(urge: card_def.Urge) -> CellOf:
        # Acting on the suicide or self-harm urge is what the self-harm action rule reads.
        reads_rule = urge.key in {"urge_suicide", "urge_self_harm"}
        return lambda c, f, e: _acted(
            getattr(c, urge.acted_key),
            getattr(c, urge.count_key) if urge.count_key else None,
            reads_rule and "action_self_harm" in f,
        )

    def target_urge(target: DiaryTarget) -> CellOf:
        return lambda c, f, e: _number(e[target.id].urge if target.id in e else None)

    def target_acted(target: DiaryTarget) -> CellOf:
        return lambda c, f, e: (
            _acted(e[target.id].acted, e[target.id].count)
            if target.id in e
            else Cell(state="blank")
        )

    def skills_in(module: card_def.Module) -> CellOf:
        names = {s.key: _(s.name) for s in module.skills}
        return lambda c, f, e: (
            Cell(", ".join(names[k] for k in c.skills if k in names))
            if any(k in names for k in c.skills)
            else Cell(state="blank")
        )

    urges = [number_row(u.key, _(u.short)) for u in card_def.URGES]
    urges += [row(t.name, target_urge(t)) for t in targets]
    actions = [row(_(u.short), urge_acted(u)) for u in card_def.URGES]
    actions += [row(t.name, target_acted(t)) for t in targets]
    emotions = [number_row(e.key, _(e.short)) for e in card_def.EMOTIONS]
    skills = [number_row("skills_code", _("Skills code (0 to 7)"))]
    skills += [row(_(m.name), skills_in(m)) for m in card_def.MODULES]
    medication = {"yes": _("Yes"), "no": _("No"), "na": _("None prescribed")}
    return [
        Group(_("Urges (0 to 5)"), urges),
        Group(_("Acted on the urge"), actions),
        Group(_("Emotions (0 to 5)"), emotions),
        Group(pgettext("diary card grid", "Skills"), skills),
        Group(
            _("Medication"),
            [
                row(
                    _("Taken as prescribed"),
                    lambda c, f, e: (
                        Cell(medication[c.medication]) if c.medication else Cell(state="blank")
                    ),
                )
            ],
        ),
        Group(
            _("Urge to quit therapy"),
            [number_row(card_def.QUIT.key, _("Quit therapy (0 to 5)"))],
        ),
    ]


def _cards_between(therapist: User, client: User, first: date, last: date) -> list[DiaryCard]:
    return list(
        access.diary_cards_for(therapist)
        .filter(client=client, day__range=(first, last))
        .select_related("episode")
        .prefetch_related("target_entries")
        .order_by("day")
    )


def week_grid(therapist: User, episode: CareEpisode, start: date, today: date) -> dict[str, Any]:
    """The classic weekly grid, Monday to Sunday, for the week starting ``start``."""
    days = [start + timedelta(days=i) for i in range(7)]
    found = _cards_between(therapist, episode.client, days[0], days[-1])
    access.note_diary_cards_read(therapist, found)
    cards = {c.day: c for c in found}
    used = {e.target_id for c in found for e in c.target_entries.all()}
    targets = [
        t
        for t in access.diary_targets_for(therapist).filter(episode__client=episode.client)
        if t.active or t.id in used
    ]
    this_week = card_def.week_start(today)
    return {
        "days": [
            {"day": d, "filled": d in cards, "future": d > today, "is_today": d == today}
            for d in days
        ],
        "groups": _grid(days, cards, targets, today, rules_for(episode.clinic)),
        "notes": [(c.day, c.note) for c in found if c.note],
        "week_start": start,
        "week_end": days[-1],
        "prev_week": start - timedelta(days=7),
        "next_week": start + timedelta(days=7) if start < this_week else None,
        "this_week": this_week if start != this_week else None,
        "filled_count": len(cards),
    }


def trends(therapist: User, episode: CareEpisode, today: date) -> dict[str, Any]:
    """Urges and misery by day over the last eight weeks (Monday to Sunday), as charts."""
    first = card_def.week_start(today) - timedelta(weeks=TREND_WEEKS - 1)
    days = [first + timedelta(days=i) for i in range(TREND_WEEKS * 7)]
    found = _cards_between(therapist, episode.client, days[0], days[-1])
    access.note_diary_cards_read(therapist, found, listed=True)
    cards = {c.day: c for c in found}
    charts = []
    for chart_id, title, what, keys in (
        ("urges-chart", _("Urges by day, last 8 weeks"), _("Urges"), URGE_SERIES),
        ("misery-chart", _("Misery by day, last 8 weeks"), _("Misery"), MISERY_SERIES),
    ):
        series = [
            Series(key, _(label), [getattr(cards[d], key) if d in cards else None for d in days])
            for key, label in keys
        ]
        charts.append(
            {
                "id": chart_id,
                "title": title,
                "svg": mark_safe(  # noqa: S308 -- built with escape()
                    line_chart_svg(
                        chart_id=chart_id,
                        title=title,
                        days=days,
                        series=series,
                        y_max=card_def.URGE_MAX,
                        what=what,
                    )
                ),
                # On a phone: the last two weeks only, drawn narrow.
                "recent_svg": mark_safe(  # noqa: S308 -- built with escape()
                    line_chart_svg(
                        chart_id=f"{chart_id}-recent",
                        title=_("%(title)s: the last %(days)d days")
                        % {"title": title, "days": RECENT_DAYS},
                        days=days[-RECENT_DAYS:],
                        series=[Series(s.key, s.label, s.values[-RECENT_DAYS:]) for s in series],
                        y_max=card_def.URGE_MAX,
                        what=what,
                        narrow=True,
                    )
                ),
                "recent_days": RECENT_DAYS,
                "series": [
                    {"label": s.label, "n": n, "symbol": _symbol(n)} for n, s in enumerate(series)
                ],
                "text": describe(days, series, what=what, y_max=card_def.URGE_MAX),
                "weeks": weekly(days, series),
            }
        )
    return {"charts": charts, "trend_first": days[0], "trend_last": days[-1]}


def _symbol(n: int) -> str:
    return SYMBOLS[MARKERS[n % len(MARKERS)]]
