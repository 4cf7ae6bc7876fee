"""The client's own export (their rights of access and portability): everything Alliance holds
about them, as one ZIP they download from their account.

Inside: ``data.json`` (every section, machine-readable), one readable CSV per section (safe to
open in a spreadsheet, ``alliance.core.spreadsheet``), ``fhir-bundle.json`` (their answers as
FHIR R4, for another health system) and ``README.txt`` saying what each file holds.

What the client reads of the alerts is what the app shows them: the moments their therapist
was asked to look at, when, and where each stands, in their own words. Never the therapist's
notes, repair records, follow-up notes, closing reasons, severity or the signals' statistics,
and never the word "alert" (see ``alliance/audit/visits.py``).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from alliance.audit.visits import visits_page
from alliance.checkins.models import CheckIn
from alliance.core import diary as card_def
from alliance.core.checkin import CHECKIN
from alliance.core.safety_plan import SECTIONS as SAFETY_PLAN_SECTIONS
from alliance.core.spreadsheet import csv_safe
from alliance.diary.models import DiaryCard, DiaryTargetEntry
from alliance.exports.fhir import client_bundle
from alliance.outcomes.definitions import UnknownInstrument, definition_for
from alliance.outcomes.models import OutcomeResponse
from alliance.people.models import CareEpisode, Session, User
from alliance.ruptures.models import Alert, AlertCategory, AlertState
from alliance.safetyplan.models import Author, SafetyPlan

Row = dict[str, Any]


@dataclass(frozen=True)
class Section:
    key: str
    file: str
    title: str
    about: str
    rows: list[Row]


def _when(moment: datetime | None, client: User) -> str:
    return "" if moment is None else moment.astimezone(client.zone).isoformat(timespec="minutes")


def _day(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _label(instrument_item: Any, value: int | None, *, ours: bool = False) -> str:
    """``value`` with its option's words: ours (the check-in) in the reader's language, a
    published questionnaire's as published."""
    if value is None:
        return ""
    label = next((o.label for o in instrument_item.options if o.value == value), "")
    if ours and label:
        label = _(label)
    return f"{value} ({label})" if label else str(value)


# --- sections ---------------------------------------------------------------------------------


def _account(client: User) -> list[Row]:
    return [
        {
            _("Full name"): client.full_name,
            _("Known as"): client.display_name,
            _("Email"): client.email,
            _("Time zone"): client.timezone,
            _("Clinic"): client.clinic.name,
            _("Account created"): _when(client.date_joined, client),
        }
    ]


def _care(client: User, episodes: Sequence[CareEpisode]) -> list[Row]:
    return [
        {
            _("Started"): _day(e.started_on),
            _("Ended"): _day(e.ended_on),
            _("Status"): e.get_status_display(),
            _("Therapist"): e.therapist.display_name,
        }
        for e in episodes
    ]


def _sessions(client: User, episodes: Sequence[CareEpisode]) -> list[Row]:
    sessions = Session.objects.filter(episode__in=episodes).order_by("scheduled_at", "number")
    return [
        {
            _("Session"): s.number,
            _("When"): _when(s.scheduled_at, client),
            _("Minutes"): s.duration_minutes,
            _("Status"): s.get_status_display(),
        }
        for s in sessions
    ]


def _checkins(client: User, episodes: Sequence[CareEpisode]) -> list[Row]:
    found = (
        CheckIn.objects.filter(client=client, episode__in=episodes)
        .select_related("session")
        .order_by("submitted_at", "id")
    )
    item = CHECKIN.item
    return [
        {
            _("Session"): c.session.number,
            _("Session date"): _when(c.session.scheduled_at, client),
            _("Sent"): _when(c.submitted_at, client),
            _("Feeling understood and safe (1-7)"): _label(item("bond"), c.bond, ours=True),
            _("How we worked (1-7)"): _label(item("tasks"), c.tasks, ours=True),
            _("Working on what matters to you (1-7)"): _label(item("goals"), c.goals, ours=True),
            _("Tension or feeling unheard (0-4)"): _label(item("tension"), c.tension, ours=True),
            _("Talked about it"): _label(item("talked"), c.talked, ours=True),
            _("How resolved it felt"): _label(item("resolved"), c.resolved, ours=True),
            _("An earlier moment, how it felt now"): _label(
                item("followup_resolved"), c.followup_resolved, ours=True
            ),
            _("Your note"): c.comment,
            _("Alliance score (mean of the first three)"): round(c.alliance, 2),
            _("Read by your therapist"): _when(c.therapist_read_at, client),
        }
        for c in found
    ]


def _diary(client: User, episodes: Sequence[CareEpisode]) -> list[Row]:
    cards = list(DiaryCard.objects.filter(client=client, episode__in=episodes).order_by("day"))
    entries: dict[Any, list[DiaryTargetEntry]] = {}
    for entry in DiaryTargetEntry.objects.filter(card__in=cards).select_related("target"):
        entries.setdefault(entry.card_id, []).append(entry)
    rows = []
    for card in cards:
        row: Row = {_("Day"): _day(card.day), _("Status"): card.get_status_display()}
        for urge in card_def.URGES:
            row[_(urge.label)] = getattr(card, urge.key)
            row[_("%(urge)s: acted on it") % {"urge": _(urge.label)}] = _yes_no(
                getattr(card, urge.acted_key)
            )
            if urge.count_key:
                row[_(urge.count_label)] = getattr(card, urge.count_key)
        row[_(card_def.QUIT.label)] = card.urge_quit
        for emotion in card_def.EMOTIONS:
            row[_(emotion.label)] = getattr(card, emotion.key)
        row[_("Medication as prescribed")] = _(card_def.MEDICATION.get(card.medication, ""))
        row[_("Skills")] = (
            _(card_def.SKILLS_CODES[card.skills_code]) if card.skills_code is not None else ""
        )
        row[_("Skills used")] = ", ".join(
            _(card_def.SKILLS[key].name) if key in card_def.SKILLS else key for key in card.skills
        )
        for entry in entries.get(card.id, []):
            row[f"{entry.target.name}: {_('urge (0-5)')}"] = entry.urge
            row[f"{entry.target.name}: {_('acted on it')}"] = _yes_no(entry.acted)
            row[f"{entry.target.name}: {_('times')}"] = entry.count
        row[_("Your note")] = card.note
        row[_("Draft not sent yet")] = card.draft
        rows.append(row)
    return rows


def _yes_no(value: bool | None) -> str:
    return "" if value is None else (_("Yes") if value else _("No"))


def _questionnaires(client: User, episodes: Sequence[CareEpisode]) -> list[Row]:
    found = OutcomeResponse.objects.filter(client=client, episode__in=episodes).order_by(
        "submitted_at", "id"
    )
    rows = []
    known: dict[tuple[str, int], tuple[str, dict[str, Any]]] = {}
    for response in found:
        version = (response.instrument_id, response.instrument_version)
        if version not in known:
            try:
                defn = definition_for(client.clinic_id, *version)
                known[version] = (defn.instrument.title, {i.key: i for i in defn.instrument.items})
            except UnknownInstrument:
                known[version] = (response.instrument_id, {})
        title, items = known[version]
        answers = {
            (items[key].text if key in items else key): (
                _label(items[key], value) if key in items else value
            )
            for key, value in (response.answers or {}).items()
        }
        text = json.loads(response.text_answers) if response.text_answers else {}
        answers.update({(items[k].text if k in items else k): v for k, v in text.items()})
        rows.append(
            {
                _("Questionnaire"): title,
                _("Sent"): _when(response.submitted_at, client),
                _("Score"): "" if response.composite is None else f"{response.composite:g}",
                _("Band"): response.band,
                _("Part scores"): ", ".join(
                    f"{name} {value:g}"
                    for name, value in (response.subscales or {}).items()
                    if value is not None
                ),
                _("Answers"): answers,
            }
        )
    return rows


def _moment_about(alert: Alert, client: User) -> str:
    if alert.category == AlertCategory.RUPTURE and alert.session is not None:
        day = alert.session.scheduled_at.astimezone(client.zone)
        if alert.client_reported:
            return _("A difficult moment you told us about, in your session of %(day)s") % {
                "day": date_format(day, "d F Y")
            }
        return _(
            "A change in your check-in answers after your session of %(day)s, which your "
            "therapist was asked to look at"
        ) % {"day": date_format(day, "d F Y")}
    if alert.category == AlertCategory.RISK:
        return _(
            "An answer of yours about your safety: your therapist was told so they could reach out"
        )
    return _(
        "Your questionnaire answers over time, which your therapist was asked to look at "
        "together with you"
    )


def _moment_status(alert: Alert) -> str:
    if alert.state == AlertState.RESOLVED:
        return _("You said it feels resolved")
    if alert.state == AlertState.CLOSED:
        return _("Your therapist has closed it")
    if alert.state == AlertState.OPEN:
        return _("Waiting for your therapist to look")
    return _("Your therapist has seen it")


def _moments(client: User, episodes: Sequence[CareEpisode]) -> list[Row]:
    alerts = (
        Alert.objects.filter(episode__in=episodes)
        .select_related("session")
        .order_by("created_at", "id")
    )
    return [
        {
            _("When"): _when(alert.created_at, client),
            _("About"): _moment_about(alert, client),
            _("Where it stands"): _moment_status(alert),
            _("Your therapist saw it"): _when(alert.acknowledged_at, client),
            _("What you said later"): alert.get_client_followup_display()
            if alert.client_followup
            else "",
            _("Settled"): _when(alert.resolved_at or alert.closed_at, client),
        }
        for alert in alerts
    ]


def safety_plan_section(client: User) -> list[Row]:
    """The client's safety plan: every version of it, oldest first, one row per part that has
    words in it, in the words they were written. Who wrote each version is "you" or "your
    therapist"; a version gone through together says when."""
    plans = SafetyPlan.objects.filter(episode__client=client).order_by("created_at", "id")
    titles = {section.key: section.title for section in SAFETY_PLAN_SECTIONS}
    rows: list[Row] = []
    for plan in plans:
        for version in plan.versions.order_by("number"):
            texts = version.texts()
            by_client = version.author == Author.CLIENT
            for key, title in titles.items():
                if not texts.get(key):
                    continue
                rows.append(
                    {
                        _("Version"): version.number,
                        _("Written by"): _("You") if by_client else _("Your therapist"),
                        _("Saved"): _when(version.written_at, client),
                        _("Gone through together"): _when(version.reviewed_at, client),
                        _("Part"): str(title),
                        _("What it says"): texts[key],
                    }
                )
    return rows


def _access_log(client: User) -> list[Row]:
    rows: list[Row] = []
    page, upto = 1, None
    while True:
        found = visits_page(client, str(page), None if upto is None else str(upto))
        upto = found.upto
        rows += [
            {
                _("From"): _when(visit.start, client),
                _("To"): _when(visit.end, client),
                _("Who"): f"{visit.actor_label} ({visit.relation})",
                _("What they did"): visit.what,
            }
            for visit in found.visits
        ]
        if not found.page.has_next:
            return rows
        page += 1


def sections(client: User) -> list[Section]:
    """Every section of the export, in the order of the README."""
    episodes = list(
        CareEpisode.objects.filter(client=client, clinic_id=client.clinic_id)
        .select_related("therapist")
        .order_by("started_on", "pk")
    )
    return [
        Section(
            "account",
            "account.csv",
            _("Your account"),
            _("Your name, email and clinic."),
            _account(client),
        ),
        Section(
            "care",
            "care.csv",
            _("Your courses of therapy"),
            _("When each began and ended, and with whom."),
            _care(client, episodes),
        ),
        Section(
            "sessions",
            "sessions.csv",
            _("Your sessions"),
            _("Every session booked, and whether it took place."),
            _sessions(client, episodes),
        ),
        Section(
            "checkins",
            "checkins.csv",
            _("Your check-ins"),
            _("Your answers after each session, and when your therapist read them."),
            _checkins(client, episodes),
        ),
        Section(
            "diary_cards",
            "diary-cards.csv",
            _("Your diary cards"),
            _("Every day you filled in, with drafts you had not sent yet."),
            _diary(client, episodes),
        ),
        Section(
            "questionnaires",
            "questionnaires.csv",
            _("Your questionnaires"),
            _("Your answers and their scores."),
            _questionnaires(client, episodes),
        ),
        Section(
            "moments",
            "moments.csv",
            _("Moments your therapist was asked to look at"),
            _(
                "What Alliance pointed out to your therapist from your answers, and where each "
                "stands. Your therapist's own notes are not part of it."
            ),
            _moments(client, episodes),
        ),
        Section(
            "safety_plan",
            "safety-plan.csv",
            _("Your safety plan"),
            _("The plan you made with your therapist."),
            safety_plan_section(client),
        ),
        Section(
            "access_log",
            "who-has-seen-my-records.csv",
            _("Who has seen your records"),
            _("Each visit someone at your clinic made to your records."),
            _access_log(client),
        ),
    ]


def _csv(rows: list[Row]) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_safe(c) for c in columns])
    for row in rows:
        writer.writerow([csv_safe(_cell(row.get(c))) for c in columns])
    return out.getvalue()


def _cell(value: object) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return "" if value is None else str(value)


def _readme(client: User, found: list[Section], made: datetime) -> str:
    lines = [
        _("Your records from Alliance"),
        "",
        _("Made for %(name)s on %(when)s. Times are in %(zone)s.")
        % {"name": client.full_name, "when": _when(made, client), "zone": client.timezone},
        "",
        _("data.json holds everything below in one file, for a computer to read."),
        _(
            "fhir-bundle.json holds your check-ins and questionnaires in FHIR R4, a format other "
            "health systems can read."
        ),
        _("Each .csv file opens in a spreadsheet:"),
        "",
    ]
    for section in found:
        count = len(section.rows)
        lines.append(f"{section.file}: {section.title}. {section.about} ({count})")
    lines += [
        "",
        _(
            "Keep this file somewhere safe: it holds your private answers. If something here "
            "looks wrong, you can ask your clinic to correct it."
        ),
    ]
    return "\n".join(lines) + "\n"


def client_export_zip(client: User, *, now: datetime | None = None) -> bytes:
    """The ZIP of everything about ``client`` (built in memory: one person's records)."""
    made = now or timezone.now()
    found = sections(client)
    data = {
        "made_at": made.isoformat(timespec="seconds"),
        **{section.key: section.rows for section in found},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _readme(client, found, made))
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr(
            "fhir-bundle.json", json.dumps(client_bundle(client, now=made), ensure_ascii=False)
        )
        for section in found:
            archive.writestr(section.file, _csv(section.rows))
    return buffer.getvalue()
