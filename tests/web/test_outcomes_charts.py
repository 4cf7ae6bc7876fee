"""The therapist's outcome charts: severity bands, points, reliable-change marks, text, table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.outcomes.charts import OutcomePoint, describe, outcome_svg
from alliance.people.models import CareEpisode, User
from tests.web.test_outcomes_not_on_track import FIRST_SESSION, answer, course

__all__ = ["course"]  # a fixture, imported for pytest

PHQ9_BANDS = [(0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately severe"),
              (20, "severe")]  # fmt: skip


def svg(points: list[OutcomePoint]) -> str:
    return outcome_svg(
        points, title="PHQ-9", low=0, high=27, bands=PHQ9_BANDS, higher_is_better=False,
        chart_id="phq9",
    )  # fmt: skip


def test_bands_are_labelled_stripes():
    chart = svg([OutcomePoint(12, "1 Mar 2026 (intake)", "1 Mar")])
    assert chart.count('class="band band-') == 5
    for label in ("minimal (0+)", "mild (5+)", "moderate (10+)", "moderately severe (15+)",
                  "severe (20+)"):  # fmt: skip
        assert f">{label}</text>" in chart


def test_stripe_heights_follow_the_band_ranges():
    chart = svg([])
    # The plot is 208 high for 0-27: 5 points = 38.5 px, the last band (20-27) 53.9 px.
    assert 'class="band band-0" x="44" y="181.5" width="432" height="38.5"' in chart
    assert 'class="band band-4" x="44" y="12.0" width="432" height="53.9"' in chart


def test_reliable_changes_are_shapes_with_their_meaning():
    chart = svg(
        [
            OutcomePoint(18, "1 Mar 2026 (intake)", "1 Mar"),
            OutcomePoint(10, "5 Apr 2026 (session 4)", "5 Apr", marker="improved"),
            OutcomePoint(25, "3 May 2026 (session 8)", "3 May", marker="deteriorated"),
        ]
    )
    assert chart.count("<circle") == 1
    assert '<rect class="mark-better"' in chart
    assert "5 Apr 2026 (session 4): 10 (reliable improvement from the first score)" in chart
    assert '<path class="mark-worse"' in chart
    assert "3 May 2026 (session 8): 25 (reliable deterioration from the first score)" in chart


def test_text_alternative():
    points = [
        OutcomePoint(18, "1 Mar 2026 (intake)", "1 Mar"),
        OutcomePoint(10, "5 Apr 2026 (session 4)", "5 Apr", marker="improved"),
    ]
    assert describe(points, title="PHQ-9", low=0, high=27, higher_is_better=False) == (
        "PHQ-9: 2 scores on a scale of 0 to 27 (higher is worse). First 18, latest 10; lowest "
        "10, highest 18. Reliable improvement from the first score at 5 Apr 2026 (session 4)."
    )


def test_labels_are_escaped():
    chart = outcome_svg(
        [OutcomePoint(1, "<b>x</b>", "<i>")], title="A & B", low=0, high=3,
        bands=[(0, "<low>")], higher_is_better=False, chart_id="x",
    )  # fmt: skip
    assert "<b>" not in chart and "<i>" not in chart and "&lt;low&gt;" in chart
    assert "A &amp; B" in chart


def test_client_page_shows_the_chart_table_and_reliable_change(
    login: Callable[[User], Client], course: CareEpisode, therapist: User
):
    answer(course, 0, 18)
    answer(course, 1, 15)
    answer(course, 2, 10)
    page = login(therapist).get(reverse("client_detail", args=[course.client_id])).content.decode()
    assert 'aria-labelledby="phq9-chart-title phq9-chart-desc"' in page
    assert "Reliable improvement from the first score at" in page
    assert "From intake 18 to latest 10: -8 points; a reliable change needs more than 5.5." in page
    assert "<caption>PHQ-9 (Patient Health Questionnaire-9) by date</caption>" in page
    assert "<td>Reliable improvement</td>" in page
    assert "at intake and every session" in page


def test_client_page_lists_risk_answers(
    login: Callable[[User], Client], course: CareEpisode, therapist: User
):
    from tests.web.test_outcomes import PHQ9, answers_for, submit

    submit(
        course,
        answers_for(PHQ9, 8, item9=1),
        occasion="session-2",
        now=FIRST_SESSION + timedelta(weeks=1, hours=-1),
    )
    page = login(therapist).get(reverse("client_detail", args=[course.client_id])).content.decode()
    assert "PHQ-9 item 9: thoughts of death or of self-harm (answer: 1)" in page


def test_client_page_query_count_does_not_grow_with_responses(
    login: Callable[[User], Client], course: CareEpisode, therapist: User
):
    browser = login(therapist)
    url = reverse("client_detail", args=[course.client_id])
    answer(course, 0, 18)
    browser.get(url)
    with CaptureQueriesContext(connection) as few:
        browser.get(url)
    for attended in range(1, 6):
        answer(course, attended, 16)
    with CaptureQueriesContext(connection) as many:
        browser.get(url)
    assert len(many) == len(few)


def test_caseload_query_count_is_unchanged_by_outcome_alerts(
    login: Callable[[User], Client], course: CareEpisode, therapist: User
):
    browser = login(therapist)
    browser.get(reverse("caseload"))
    with CaptureQueriesContext(connection) as before:
        browser.get(reverse("caseload"))
    answer(course, 0, 10)
    answer(course, 1, 17)
    with CaptureQueriesContext(connection) as after:
        page = browser.get(reverse("caseload")).content.decode()
    assert len(after) == len(before)
    assert "Not on track</span>" in page


def test_dates_in_the_table_are_in_the_therapists_zone(
    login: Callable[[User], Client], course: CareEpisode, therapist: User
):
    answer(course, 0, 12)  # 7 March 2026, 15:00 UTC
    assert datetime(2026, 3, 7, 15, tzinfo=UTC) == FIRST_SESSION - timedelta(days=2)
    page = login(therapist).get(reverse("client_detail", args=[course.client_id])).content.decode()
    assert "7 Mar 2026</a>" in page
