"""Writes for the safety plan: a new version on every save, and the review stamp."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import about_episode, audit_record
from alliance.core.safety_plan import SECTION_KEYS, SECTION_MAX, changed_sections, is_empty
from alliance.people.models import CareEpisode, EpisodeStatus, Role, User
from alliance.safetyplan.models import Author, SafetyPlan, SafetyPlanVersion

STALE = gettext_lazy(
    "Someone saved this plan while you were writing, so your changes are not saved yet. "
    "Your text is still below, and the plan as it is now is shown next to it: bring over what "
    "you want to keep, then save again."
)
EMPTY = gettext_lazy("Write something in at least one part of the plan, then save it.")
ENDED = gettext_lazy(
    "This course of therapy has ended, so its safety plan can no longer be changed."
)
NOT_YOURS = gettext_lazy("Only the client and their therapist can change this safety plan.")


class SafetyPlanError(Exception):
    """The plan was not saved; the message says why and what to do."""


class StalePlan(SafetyPlanError):
    """Someone saved a newer version since the form was opened."""


def _author(episode: CareEpisode, actor: User) -> Author:
    if actor.role == Role.CLIENT and actor.pk == episode.client_id:
        return Author.CLIENT
    if actor.role == Role.THERAPIST and actor.pk == episode.therapist_id:
        return Author.THERAPIST
    raise SafetyPlanError(NOT_YOURS)


def safety_plan_save(
    *,
    episode: CareEpisode,
    actor: User,
    texts: Mapping[str, str],
    base_version: int,
    now: datetime | None = None,
) -> SafetyPlanVersion | None:
    """Save the plan as ``texts`` (a part's key -> its text), edited from ``base_version``.

    Every save that changes something adds a version, which records who wrote it, when, and
    which parts changed; a save that changes nothing adds none and returns None.
    ``base_version`` is the number of the version the form showed (0 for a new plan): if
    someone saved since, nothing is saved and :class:`StalePlan` is raised, so neither person's
    words silently overwrite the other's.

    Raises
    ------
    SafetyPlanError
        Not the client or therapist of ``episode``, the episode has ended, a part is too long,
        or a new plan with nothing written.
    StalePlan
        A newer version exists than ``base_version``.
    """
    author = _author(episode, actor)
    if episode.status != EpisodeStatus.ACTIVE:
        raise SafetyPlanError(ENDED)
    clean = {key: (texts.get(key) or "").strip() for key in SECTION_KEYS}
    if any(len(text) > SECTION_MAX for text in clean.values()):
        raise SafetyPlanError(
            _("Each part of the plan can hold up to %(max)s characters.") % {"max": SECTION_MAX}
        )
    now = now or timezone.now()
    with transaction.atomic():
        plan = SafetyPlan.objects.select_for_update().filter(episode=episode).first()
        if plan is None:
            if base_version != 0:
                raise StalePlan(STALE)
            if is_empty(clean):
                raise SafetyPlanError(EMPTY)
            try:
                with transaction.atomic():
                    plan = SafetyPlan.objects.create(episode=episode, created_at=now)
            except IntegrityError:  # the other person's first save won the race
                raise StalePlan(STALE) from None
            before: dict[str, str] = {}
        else:
            if plan.version != base_version:
                raise StalePlan(STALE)
            latest = plan.versions.get(number=plan.version)
            before = latest.texts()
        changed = changed_sections(before, clean)
        if not changed:
            return None
        # Only the save that moves the number on from what its form showed wins: on a database
        # without row locks (SQLite) the second of two saves updates nothing and is stale.
        moved = SafetyPlan.objects.filter(pk=plan.pk, version=base_version).update(
            version=base_version + 1
        )
        if moved != 1:
            raise StalePlan(STALE)
        version = SafetyPlanVersion.objects.create(
            plan=plan,
            number=base_version + 1,
            written_by=actor,
            author=author,
            written_at=now,
            changed=changed,
            **clean,
        )
        audit_record(
            actor=actor,
            entry=about_episode(
                episode,
                AuditAction.CREATE if base_version == 0 else AuditAction.UPDATE,
                RecordType.SAFETY_PLAN,
                plan.id,
                f"version {version.number}",
            ),
        )
    return version


def safety_plan_review(
    *, plan: SafetyPlan, therapist: User, version: int, now: datetime | None = None
) -> SafetyPlanVersion:
    """Stamp that the therapist and client went through version ``version`` together.

    Raises
    ------
    SafetyPlanError
        Not the client's therapist.
    StalePlan
        ``version`` is no longer the newest: the therapist would stamp a plan they have not
        seen.
    """
    episode = plan.episode
    if therapist.role != Role.THERAPIST or therapist.pk != episode.therapist_id:
        raise SafetyPlanError(_("Only the client's therapist can mark the plan as reviewed."))
    now = now or timezone.now()
    with transaction.atomic():
        current = SafetyPlan.objects.select_for_update().get(pk=plan.pk)
        if current.version != version:
            raise StalePlan(
                _(
                    "The plan changed since you opened it. Please read the newest version, then "
                    "mark it as reviewed."
                )
            )
        latest = current.versions.get(number=version)
        latest.reviewed_at = now
        latest.reviewed_by = therapist
        latest.save(update_fields=["reviewed_at", "reviewed_by"])
        audit_record(
            actor=therapist,
            entry=about_episode(
                episode, AuditAction.TRANSITION, RecordType.SAFETY_PLAN, plan.id, "reviewed"
            ),
        )
    return latest
