"""Reads for the safety plan pages. The plan itself comes through ``alliance.access``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alliance.core.safety_plan import SECTIONS, Section
from alliance.safetyplan.models import SafetyPlan, SafetyPlanVersion

_TITLES = {section.key: section.title for section in SECTIONS}


@dataclass(frozen=True)
class Part:
    section: Section
    text: str


@dataclass(frozen=True)
class PlanView:
    """A plan as its pages show it: the newest version's parts, its last review."""

    plan: SafetyPlan
    current: SafetyPlanVersion
    parts: list[Part]
    last_review: SafetyPlanVersion | None

    @property
    def filled(self) -> list[Part]:
        return [part for part in self.parts if part.text]

    @property
    def blank(self) -> list[Part]:
        return [part for part in self.parts if not part.text]

    @property
    def reviewed_current(self) -> bool:
        return self.last_review is not None and self.last_review.pk == self.current.pk

    @property
    def last_reviewed_at(self) -> datetime | None:
        return self.last_review.reviewed_at if self.last_review is not None else None


def parts_of(version: SafetyPlanVersion | None) -> list[Part]:
    """Every part of the plan in order, with its text in ``version`` (blank without one)."""
    texts = version.texts() if version is not None else {}
    return [Part(section, texts.get(section.key, "")) for section in SECTIONS]


def plan_view(plan: SafetyPlan) -> PlanView:
    current = plan.versions.select_related("written_by", "reviewed_by").get(number=plan.version)
    last_review = (
        current
        if current.reviewed_at is not None
        else plan.versions.filter(reviewed_at__isnull=False)
        .select_related("reviewed_by")
        .order_by("-reviewed_at")
        .first()
    )
    return PlanView(plan, current, parts_of(current), last_review)


@dataclass(frozen=True)
class HistoryRow:
    version: SafetyPlanVersion
    changed: list[str]


def plan_history(plan: SafetyPlan) -> list[HistoryRow]:
    """Every version, newest first, with the titles of the parts it changed."""
    versions = plan.versions.select_related("written_by", "reviewed_by").order_by("-number")
    return [
        HistoryRow(version, [_TITLES.get(key, key) for key in version.changed])
        for version in versions
    ]


def plan_view_of(plan: SafetyPlan | None) -> PlanView | None:
    """:func:`plan_view`, or None without a plan (for pages that show it when there is one)."""
    return plan_view(plan) if plan is not None else None
