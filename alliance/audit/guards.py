"""Notes are amend-only: a saved repair record, risk follow-up or closing note is never edited
or deleted.

A correction to a repair record is a new record (the newest is current, the rest are history),
and an alert is closed once, with its reason and note. These receivers refuse the rest through
the model: ``save()`` of a stored repair record, ``delete()`` of one (also through a queryset,
which then sends the signal for every row), and a change to a closed alert's closing fields.

The only code that may wipe this free text is the retention service, which blanks it with a
queryset ``update()`` when a record's retention period is over.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver

from alliance.ruptures.models import Alert, RepairRecord, RiskFollowUp


class NoteIsFinal(Exception):
    """A saved note was about to be changed or deleted."""


CLOSE_FIELDS = {
    "closed_at": "closed_at",
    "closed_by": "closed_by_id",
    "close_reason": "close_reason",
    "close_note": "close_note",
}


@receiver(pre_save, sender=RepairRecord)
def _repair_record_is_amend_only(sender: Any, instance: RepairRecord, **kwargs: Any) -> None:
    if not instance._state.adding:
        raise NoteIsFinal("A repair record cannot be edited; record an amendment instead.")


@receiver(pre_delete, sender=RepairRecord)
def _repair_record_is_kept(sender: Any, instance: RepairRecord, **kwargs: Any) -> None:
    raise NoteIsFinal("A repair record cannot be deleted.")


@receiver(pre_save, sender=RiskFollowUp)
def _risk_followup_is_amend_only(sender: Any, instance: RiskFollowUp, **kwargs: Any) -> None:
    if not instance._state.adding:
        raise NoteIsFinal("A risk follow-up cannot be edited; record another follow-up instead.")


@receiver(pre_delete, sender=RiskFollowUp)
def _risk_followup_is_kept(sender: Any, instance: RiskFollowUp, **kwargs: Any) -> None:
    raise NoteIsFinal("A risk follow-up cannot be deleted.")


@receiver(pre_save, sender=Alert)
def _closing_note_is_final(
    sender: Any, instance: Alert, update_fields: Any = None, **kwargs: Any
) -> None:
    if instance._state.adding:
        return
    if update_fields is not None and not set(update_fields) & set(CLOSE_FIELDS):
        return
    stored = Alert.objects.filter(pk=instance.pk).values(*CLOSE_FIELDS.values()).first()
    if stored is None or stored["closed_at"] is None:
        return
    if any(getattr(instance, attname) != stored[attname] for attname in CLOSE_FIELDS.values()):
        raise NoteIsFinal("A closed alert's reason and note cannot be changed.")
