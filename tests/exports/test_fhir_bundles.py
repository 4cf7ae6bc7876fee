"""FHIR Bundles of a client's answers: every resource validates with fhir.resources (R4B), the
codes are the LOINC ones where LOINC has them, and an exported QuestionnaireResponse imports
again as the same response with the same scores."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from alliance.audit.models import AuditAction, AuditEvent
from alliance.checkins.services import checkin_submit
from alliance.exports.fhir import (
    FhirImportError,
    client_bundle,
    clinic_bundle_write,
    fhir_response_import,
)
from alliance.outcomes.models import OutcomeResponse
from alliance.outcomes.schedule import ScheduleSpec
from alliance.outcomes.selectors import questionnaire_for
from alliance.outcomes.services import response_submit, schedule_set
from tests.conftest import GOOD_ANSWERS

PHQ9 = {f"phq9_{n}": str(n % 4) for n in range(1, 10)}  # 1,2,3,0,1,2,3,0,1 -> total 13


@pytest.fixture
def answered(episode: Any, attend: Any, client_user: Any) -> dict[str, Any]:
    session = attend(episode, 1)
    checkin = checkin_submit(
        session=session,
        client=client_user,
        answers={**GOOD_ANSWERS, "bond": "7", "comment": "It helped <b>a lot</b>"},
        form_token=uuid.uuid4(),
    )
    schedule_set(
        episode=episode, instrument_id="phq9", spec=ScheduleSpec(at_intake=True), actor=None
    )
    response = response_submit(
        questionnaire=questionnaire_for(episode, "phq9", "intake", now=timezone.now()),  # type: ignore[arg-type]
        client=client_user,
        answers=PHQ9,
        form_token=uuid.uuid4(),
    ).response
    return {"checkin": checkin, "response": response}


def _validated(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    Bundle.model_validate(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    for resource in resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resources


def _by_type(resources: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["resourceType"] == kind]


def test_every_resource_of_a_client_bundle_validates(answered: Any, client_user: Any) -> None:
    resources = _validated(client_bundle(client_user))
    kinds = sorted(r["resourceType"] for r in resources)
    assert kinds == sorted(
        ["CodeSystem", "Patient", "Questionnaire", "Questionnaire"]
        + ["QuestionnaireResponse"] * 2
        + ["Observation"] * 5  # check-in: alliance, bond, tasks, goals; PHQ-9: total
    )


def test_patient_has_only_the_id_and_the_name(answered: Any, client_user: Any) -> None:
    (patient,) = _by_type(_validated(client_bundle(client_user)), "Patient")
    assert set(patient) == {"resourceType", "id", "identifier", "name"}
    assert patient["name"] == [{"text": "Carla Client"}]


def test_phq9_uses_the_loinc_panel_total_and_item_codes(answered: Any, client_user: Any) -> None:
    resources = _validated(client_bundle(client_user))
    phq9 = next(r for r in _by_type(resources, "Questionnaire") if r["id"] == "phq9")
    assert phq9["code"][0]["code"] == "44249-1"
    assert phq9["item"][0]["code"] == [{"system": "http://loinc.org", "code": "44250-9"}]
    assert phq9["item"][8]["code"][0]["code"] == "44260-8"
    total = next(
        o for o in _by_type(resources, "Observation") if o["code"]["coding"][0]["code"] == "44261-6"
    )
    assert total["valueQuantity"]["value"] == 13
    assert total["interpretation"] == [{"text": "moderate"}]
    assert total["derivedFrom"] == [
        {"reference": f"QuestionnaireResponse/{answered['response'].id}"}
    ]


def test_checkin_scores_use_the_local_code_system(answered: Any, client_user: Any) -> None:
    resources = _validated(client_bundle(client_user))
    local = {
        o["code"]["coding"][0]["code"]: o["valueQuantity"]["value"]
        for o in _by_type(resources, "Observation")
        if o["code"]["coding"][0]["system"].endswith("/CodeSystem/checkin")
    }
    assert local == {"alliance": pytest.approx(19 / 3), "bond": 7, "tasks": 6, "goals": 6}
    checkin_qr = next(
        r
        for r in _by_type(resources, "QuestionnaireResponse")
        if "alliance-checkin" in r["questionnaire"]
    )
    comment = next(i for i in checkin_qr["item"] if i["linkId"] == "comment")
    assert comment["answer"] == [{"valueString": "It helped <b>a lot</b>"}]


def test_gad7_total_code_is_70274_6(episode: Any, client_user: Any) -> None:
    schedule_set(
        episode=episode, instrument_id="gad7", spec=ScheduleSpec(at_intake=True), actor=None
    )
    response_submit(
        questionnaire=questionnaire_for(episode, "gad7", "intake", now=timezone.now()),  # type: ignore[arg-type]
        client=client_user,
        answers=dict.fromkeys((f"gad7_{n}" for n in range(1, 8)), "2"),
        form_token=uuid.uuid4(),
    )
    resources = _validated(client_bundle(client_user))
    codes = [o["code"]["coding"][0]["code"] for o in _by_type(resources, "Observation")]
    assert codes == ["70274-6"]
    gad7 = next(r for r in _by_type(resources, "Questionnaire") if r["id"] == "gad7")
    assert gad7["code"][0]["code"] == "69737-5"


def test_exported_response_imports_again_with_the_same_scores(
    answered: Any, client_user: Any, clinic: Any
) -> None:
    original: OutcomeResponse = answered["response"]
    resources = _validated(client_bundle(client_user))
    qr = next(
        r for r in _by_type(resources, "QuestionnaireResponse") if "phq9" in r["questionnaire"]
    )
    # Imported as if from another system: a response of its own, not the original.
    qr = {**qr, "id": "from-elsewhere", "identifier": {"system": "urn:x", "value": "1"}}
    imported, created = fhir_response_import(resource=qr, clinic=clinic)
    assert created
    assert imported.pk != original.pk
    assert (imported.instrument_id, imported.answers, imported.composite, imported.band) == (
        "phq9",
        original.answers,
        13.0,
        "moderate",
    )
    assert imported.submitted_at == original.submitted_at.replace(microsecond=0)
    assert imported.risk == original.risk  # phq9_9 answered 1: kept, no alert raised
    assert AuditEvent.objects.filter(
        record_id=str(imported.id), action=AuditAction.CREATE, detail="fhir"
    ).exists()


def test_importing_the_same_response_twice_stores_it_once(
    answered: Any, client_user: Any, clinic: Any
) -> None:
    qr = next(
        r
        for r in _by_type(_validated(client_bundle(client_user)), "QuestionnaireResponse")
        if "phq9" in r["questionnaire"]
    )
    qr = {**qr, "identifier": {"system": "urn:x", "value": "2"}}
    first, created = fhir_response_import(resource=qr, clinic=clinic)
    again, created_again = fhir_response_import(resource=qr, clinic=clinic)
    assert (created, created_again, again.pk) == (True, False, first.pk)


def test_import_reads_loinc_link_ids_and_answer_codes(
    episode: Any, client_user: Any, clinic: Any
) -> None:
    frequency = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    loinc = [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ]
    qr = {
        "resourceType": "QuestionnaireResponse",
        "id": "ehr-1",
        "status": "completed",
        "questionnaire": "http://loinc.org/q/44249-1",
        "subject": {"reference": f"Patient/{client_user.id}"},
        "authored": "2026-11-02T10:00:00+00:00",
        "item": [
            {
                "linkId": f"/{code}",
                "answer": [
                    {
                        "valueCoding": {
                            "system": "http://loinc.org",
                            "code": frequency[3 if n < 3 else 0],
                        }
                    }
                ],
            }
            for n, code in enumerate(loinc)
        ],
    }
    imported, _ = fhir_response_import(resource=qr, clinic=clinic)
    assert (imported.composite, imported.episode_id) == (9.0, episode.id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "in-progress"}, 'only a "completed"'),
        (
            {"questionnaire": "http://example.org/Questionnaire/bsl23"},
            "is not one this clinic knows",
        ),
        ({"subject": {"reference": "Patient/not-a-uuid"}}, "subject: expected a reference"),
        ({"subject": {"reference": f"Patient/{uuid.uuid4()}"}}, "no client"),
        ({"authored": "2026-11-02"}, "time zone"),
        ({"item": [{"linkId": "phq9_1", "answer": [{"valueInteger": 7}]}]}, "answer to phq9_1"),
        ({"item": [{"linkId": "q99", "answer": [{"valueInteger": 1}]}]}, "'q99' is not a question"),
        ({"authored": "yesterday"}, "not a valid QuestionnaireResponse: authored"),
    ],
)
def test_import_refuses_what_it_cannot_read(
    answered: Any, client_user: Any, clinic: Any, change: dict[str, Any], message: str
) -> None:
    qr = next(
        r
        for r in _by_type(_validated(client_bundle(client_user)), "QuestionnaireResponse")
        if "phq9" in r["questionnaire"]
    )
    before = OutcomeResponse.objects.count()
    with pytest.raises(FhirImportError, match=message):
        fhir_response_import(resource={**qr, **change, "id": "x"}, clinic=clinic)
    assert OutcomeResponse.objects.count() == before


def test_clinic_bundle_streams_every_client_and_audits_each(
    answered: Any, client_user: Any, other_client: Any, other_episode: Any, clinic: Any
) -> None:
    out = io.StringIO()
    count = clinic_bundle_write(clinic, out)
    bundle = json.loads(out.getvalue())
    resources = _validated(bundle)
    assert count == len(resources)
    assert {p["id"] for p in _by_type(resources, "Patient")} == {
        str(client_user.id),
        str(other_client.id),
    }
    exported = AuditEvent.objects.filter(action=AuditAction.EXPORT, detail="fhir")
    assert set(exported.values_list("subject_id", flat=True)) == {client_user.id, other_client.id}


def test_commands_export_a_clinic_and_import_its_responses(
    answered: Any, client_user: Any, clinic: Any, tmp_path: Any
) -> None:
    target = tmp_path / "clinic.json"
    call_command("fhir_export", "--output", str(target), stdout=io.StringIO())
    bundle = json.loads(target.read_text())
    OutcomeResponse.objects.all().delete()
    out = io.StringIO()
    call_command("fhir_import", str(target), stdout=out)
    assert "1 imported, 0 already there" in out.getvalue()
    (again,) = OutcomeResponse.objects.all()
    assert (again.composite, again.instrument_id) == (13.0, "phq9")
    assert len(bundle["entry"]) > 5


def test_import_command_reports_a_bad_file(tmp_path: Any, clinic: Any) -> None:
    target = tmp_path / "bad.json"
    target.write_text('{"resourceType": "Patient"}')
    with pytest.raises(CommandError, match="expected a QuestionnaireResponse or a Bundle"):
        call_command("fhir_import", str(target))
