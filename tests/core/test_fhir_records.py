"""The FHIR resources of a response, from plain data (no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from alliance.core import fhir_records as records
from alliance.core.definitions import builtin

PHQ9 = builtin()["phq9"]
WHEN = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # a DST morning in America/Toronto


def _answered(**scores: float | None) -> records.Answered:
    return records.Answered(
        id=uuid.UUID(int=1),
        subject_id=uuid.UUID(int=2),
        authored=WHEN,
        answers={f"phq9_{n}": 1 for n in range(1, 10)},
        scores=scores,
        band="mild",
    )


def test_response_lists_each_answer_with_its_label() -> None:
    resource = records.response_resource(_answered(total=9.0), PHQ9.instrument)
    QuestionnaireResponse.model_validate(resource)
    assert resource["authored"] == "2026-03-08T07:30:00+00:00"
    assert resource["item"][0]["answer"] == [  # type: ignore[index]
        {"valueCoding": {"code": "1", "display": "Several days"}}
    ]


def test_a_score_that_could_not_be_computed_has_no_observation() -> None:
    found = records.observations(
        _answered(total=None), PHQ9.instrument, loinc_total=PHQ9.outcome.loinc_total
    )
    assert found == []


def test_total_observation_is_loinc_coded_and_stable() -> None:
    (obs,) = records.observations(_answered(total=9.0), PHQ9.instrument, loinc_total="44261-6")
    Observation.model_validate(obs)
    assert obs["code"] == {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]}
    again = records.observations(_answered(total=9.0), PHQ9.instrument, loinc_total="44261-6")
    assert obs["id"] == again[0]["id"]


def test_naive_times_are_refused() -> None:
    answered = records.Answered(
        id=uuid.uuid4(), subject_id=uuid.uuid4(), authored=datetime(2026, 1, 1), answers={}
    )
    with pytest.raises(ValueError, match="aware"):
        records.response_resource(answered, PHQ9.instrument)


@pytest.mark.parametrize(
    ("canonical", "expected"),
    [
        ("https://alliance.invalid/fhir/Questionnaire/phq9|1", "phq9"),
        ("http://loinc.org/q/44249-1", "phq9"),
        ("http://example.org/Questionnaire/other", None),
    ],
)
def test_instrument_of_a_canonical(canonical: str, expected: str | None) -> None:
    assert records.instrument_of(canonical, {"44249-1": "phq9"}) == expected


def test_answers_read_ordinal_values_and_loinc_link_ids() -> None:
    ordinal = {"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": 2}
    resource = {
        "item": [
            {
                "linkId": "/44250-9",
                "answer": [{"valueCoding": {"code": "x", "extension": [ordinal]}}],
            },
            {"linkId": "phq9_2", "answer": [{"valueInteger": 3}]},
        ]
    }
    assert records.answers_of(resource, PHQ9.instrument) == {"phq9_1": "2", "phq9_2": "3"}
