"""The client's daily DBT diary card and the targets their therapist sets.

The card's definition (questions, ranges, skills) lives in :mod:`alliance.core.diary`; here the
answers are stored as plain columns so they stay queryable, with database constraints for every
range and for one card per client per day.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from alliance.core import diary as card_def
from alliance.crypto import EncryptedTextField
from alliance.people.models import CareEpisode, User


class DiaryStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", pgettext_lazy("diary card status", "Sent")


class DiaryTarget(models.Model):
    """A behaviour the therapist and client track on the card, e.g. "Bingeing"."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.ForeignKey(CareEpisode, on_delete=models.PROTECT, related_name="diary_targets")
    # The therapist's own words about the client: encrypted like every other note.
    name = EncryptedTextField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["episode", "active"])]

    def __str__(self) -> str:
        return str(self.name)


def _urge(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{name}__isnull": True})
        | Q(**{f"{name}__gte": 0, f"{name}__lte": card_def.URGE_MAX}),
        name=f"diary_{name}_0_{card_def.URGE_MAX}",
    )


def _count(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{name}__isnull": True})
        | Q(**{f"{name}__gte": 0, f"{name}__lte": card_def.COUNT_MAX}),
        name=f"diary_{name}_0_{card_def.COUNT_MAX}",
    )


def _small(**kwargs: Any) -> models.PositiveSmallIntegerField[Any, Any]:
    return models.PositiveSmallIntegerField(null=True, blank=True, **kwargs)


class DiaryCard(models.Model):
    """One day of one client's diary card.

    A card is made by the first save of the day, a draft or "Done for today". The columns hold
    what the client has sent (``status`` submitted); what they are still working on is kept in
    ``draft``, encrypted, and never shown to the therapist.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.ForeignKey(CareEpisode, on_delete=models.PROTECT, related_name="diary_cards")
    client = models.ForeignKey(User, on_delete=models.PROTECT, related_name="diary_cards")
    day = models.DateField(help_text="The client's local date (their time zone).")
    status = models.CharField(max_length=10, choices=DiaryStatus.choices, default=DiaryStatus.DRAFT)

    urge_suicide = _small()
    acted_suicide = models.BooleanField(null=True, blank=True)
    urge_self_harm = _small()
    acted_self_harm = models.BooleanField(null=True, blank=True)
    action_self_harm = _small()
    urge_substance = _small()
    acted_substance = models.BooleanField(null=True, blank=True)
    action_substance = _small()
    urge_quit = _small()
    anger = _small()
    fear = _small()
    joy = _small()
    sadness = _small()
    shame = _small()
    emotional_misery = _small()
    physical_misery = _small()
    medication = models.CharField(
        max_length=3, blank=True, help_text="Taken as prescribed: yes, no, na (none prescribed)."
    )
    skills_code = _small(help_text="The classic card's 0–7 skills code.")
    skills = models.JSONField(default=list, blank=True, help_text="Keys of the skills used.")
    note = EncryptedTextField(blank=True, default="")

    draft = EncryptedTextField(
        blank=True, default="", help_text="The answers not sent yet, as posted (JSON)."
    )
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(
        null=True, blank=True, help_text="First sent; edits keep it and move updated_at."
    )
    form_token = models.UUIDField(
        null=True,
        blank=True,
        unique=True,
        help_text="Idempotency key of the last send, so a replayed post changes nothing.",
    )

    class Meta:
        ordering = ["-day"]
        indexes = [models.Index(fields=["episode", "status", "day"])]
        constraints = [
            models.UniqueConstraint(fields=["client", "day"], name="diary_one_card_per_day"),
            models.CheckConstraint(
                condition=Q(status=DiaryStatus.DRAFT, submitted_at__isnull=True)
                | Q(status=DiaryStatus.SUBMITTED, submitted_at__isnull=False),
                name="diary_status_matches_submitted_at",
            ),
            *(_urge(u.key) for u in card_def.URGES),
            _urge(card_def.QUIT.key),
            *(_urge(e.key) for e in card_def.EMOTIONS),
            *(_count(u.count_key) for u in card_def.URGES if u.count_key),
            models.CheckConstraint(
                condition=Q(skills_code__isnull=True)
                | Q(skills_code__gte=0, skills_code__lte=card_def.SKILLS_CODE_MAX),
                name=f"diary_skills_code_0_{card_def.SKILLS_CODE_MAX}",
            ),
            models.CheckConstraint(
                condition=Q(medication__in=["", *card_def.MEDICATION]),
                name="diary_medication_code",
            ),
        ]

    def __str__(self) -> str:
        return f"Diary card for {self.day}"

    @property
    def is_submitted(self) -> bool:
        return self.status == DiaryStatus.SUBMITTED

    def draft_answers(self) -> dict[str, Any]:
        """The answers saved as a draft, as posted; empty when there is no draft."""
        if not self.draft:
            return {}
        data = json.loads(self.draft)
        return data if isinstance(data, dict) else {}

    def answers(self, entries: list[DiaryTargetEntry] | None = None) -> card_def.DiaryAnswers:
        """What the client sent (with ``entries``, the target answers; else none)."""
        columns = {name: getattr(self, name) for name in card_def.DiaryAnswers().columns()}
        targets = {
            str(e.target_id): card_def.TargetAnswer(urge=e.urge, acted=e.acted, count=e.count)
            for e in entries or []
        }
        return card_def.DiaryAnswers(
            **columns, skills=tuple(self.skills or ()), targets=targets, note=self.note
        )


class DiaryTargetEntry(models.Model):
    """A card's answers for one of the client's targets."""

    id = models.BigAutoField(primary_key=True)
    card = models.ForeignKey(DiaryCard, on_delete=models.CASCADE, related_name="target_entries")
    target = models.ForeignKey(DiaryTarget, on_delete=models.PROTECT, related_name="entries")
    urge = _small()
    acted = models.BooleanField(null=True, blank=True)
    count = _small()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["card", "target"], name="diary_one_entry_per_target"),
            models.CheckConstraint(
                condition=Q(urge__isnull=True) | Q(urge__gte=0, urge__lte=card_def.URGE_MAX),
                name=f"diary_target_urge_0_{card_def.URGE_MAX}",
            ),
            models.CheckConstraint(
                condition=Q(count__isnull=True) | Q(count__gte=0, count__lte=card_def.COUNT_MAX),
                name=f"diary_target_count_0_{card_def.COUNT_MAX}",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} on {self.card.day}"
