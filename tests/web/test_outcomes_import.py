"""``alliance instruments import FILE`` and ``alliance instruments list``.

Every kind of defect in a definition file stops the import with exit status 1 and a message that
names the file and where in it the defect is (a path, or a line and column).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alliance.core.definitions import builtin_json
from alliance.core.fhir import ORDINAL_VALUE_URL
from alliance.outcomes.definitions import available_for, definition_for
from alliance.outcomes.models import InstrumentDefinition
from alliance.people.models import Clinic


def mood(**changes: Any) -> dict[str, Any]:
    """A small valid definition of our own (three items 0-2, total 0-6)."""
    labels = ("Never", "Sometimes", "Often")
    data: dict[str, Any] = {
        "id": "mood3",
        "version": 1,
        "title": "Three mood questions",
        "description": "In the last week:",
        "licence": "Written for these tests; free to use.",
        "attribution": "The Alliance tests",
        "items": [
            {
                "key": f"mood_{n}",
                "kind": "choice",
                "text": f"Question {n}",
                "options": [{"value": v, "label": label} for v, label in enumerate(labels)],
            }
            for n in (1, 2, 3)
        ],
        "scoring": {
            "composite": {
                "name": "total",
                "items": ["mood_1", "mood_2", "mood_3"],
                "method": "sum",
            }
        },
        "outcome": {
            "direction": "lower_is_better",
            "bands": [{"min": 0, "label": "low"}, {"min": 3, "label": "high"}],
        },
    }
    data.update(changes)
    return data


def write(tmp_path: Path, data: Any, name: str = "definition.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return str(path)


def run(*args: str) -> str:
    out = StringIO()
    call_command("instruments", *args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 1
    return str(caught.value)


def edited(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(mood())
    change(data)
    return data


# --- Every kind of defect ------------------------------------------------------------------


DEFECTS = [
    pytest.param(
        '{"id": "mood3",\n "version": }',
        "line 2, column 13: Expecting value",
        id="json-syntax",
    ),
    pytest.param(
        edited(lambda d: d.pop("licence")), "licence: required key is missing", id="missing-key"
    ),
    pytest.param(
        edited(lambda d: d.update(version="2")),
        'version: expected an integer, got "2"',
        id="wrong-type",
    ),
    pytest.param(
        edited(lambda d: d.update(license="x")),
        '(top level): unknown key "license" (did you mean "licence"?)',
        id="unknown-key",
    ),
    pytest.param(
        json.dumps(mood()).replace('"version": 1,', '"version": 1, "version": 2,'),
        '(top level): key "version" is given more than once',
        id="duplicate-key",
    ),
    pytest.param(
        edited(lambda d: d["items"][1]["options"][2].update(value="a")),
        'items[1].options[2].value: expected an integer, got "a"',
        id="option-value",
    ),
    pytest.param(
        edited(lambda d: d["items"][2].pop("text")),
        "items[2].text: required key is missing",
        id="item-text",
    ),
    pytest.param(
        edited(lambda d: d["scoring"]["composite"]["items"].append("mood_4")),
        'scoring.composite.items: unknown item key "mood_4"',
        id="scoring-item",
    ),
    pytest.param(
        edited(lambda d: d["outcome"]["bands"][1].update(min=0)),
        "outcome.bands[1].min: must be greater than the previous band's min (0), got 0",
        id="bands",
    ),
    pytest.param(
        edited(lambda d: d["outcome"].update(direction="down")),
        'outcome.direction: expected "lower_is_better" or "higher_is_better", got "down"',
        id="direction",
    ),
    pytest.param(
        edited(lambda d: d["outcome"].update(codes={"loinc_total": "44261-5"})),
        'outcome.codes.loinc_total: "44261-5" is not a valid LOINC code: its check digit '
        "should be 6",
        id="loinc",
    ),
    pytest.param(
        edited(
            lambda d: d["outcome"].update(risk_items=[{"item": "mood_9", "min": 1, "label": "x"}])
        ),
        'outcome.risk_items[0].item: unknown item key "mood_9"',
        id="risk-item",
    ),
]


@pytest.mark.parametrize(("content", "message"), DEFECTS)
def test_defect_stops_the_import_with_its_place_and_exit_status_1(
    tmp_path: Path, clinic: Clinic, content: Any, message: str
):
    path = write(tmp_path, content)
    error = refused("import", path)
    assert error.startswith(f"{path}: ")
    assert message in error
    assert not InstrumentDefinition.objects.exists()


def test_missing_file_is_named(tmp_path: Path, clinic: Clinic):
    assert refused("import", str(tmp_path / "nope.json")).endswith("nope.json: no such file")


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path, clinic: Clinic):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"title": "Québec"}'.encode("latin-1"))
    assert "not UTF-8 text" in refused("import", str(path))


def test_exit_status_from_the_alliance_command(tmp_path: Path):
    """The real console command, as a clinic administrator runs it."""
    path = write(tmp_path, edited(lambda d: d.update(version=0)))
    env = {**os.environ, "ALLIANCE_TESTING": "1", "ALLIANCE_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)  # its own SQLite database, never the test run's
    subprocess.run(
        [sys.executable, "-m", "alliance.cli", "migrate", "-v", "0"], env=env, check=True
    )
    subprocess.run(
        [sys.executable, "-m", "alliance.cli", "shell", "-c",
         "from alliance.people.models import Clinic; Clinic.objects.create(name='Solo')"],
        env=env, check=True,
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "alliance.cli", "instruments", "import", path],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert f"{path}: version: expected an integer of at least 1, got 0" in done.stderr


# --- Valid files -----------------------------------------------------------------------------


def test_valid_definition_is_stored_and_listed(tmp_path: Path, clinic: Clinic):
    out = run("import", write(tmp_path, mood()))
    assert out == ("Harbour Clinic: Imported mood3 version 1 (Three mood questions).\n")
    row = InstrumentDefinition.objects.get()
    assert (row.instrument_id, row.version, row.licence, row.source) == (
        "mood3",
        1,
        "Written for these tests; free to use.",
        "json",
    )
    assert definition_for(clinic.id, "mood3").instrument.title == "Three mood questions"
    listing = run("list")
    assert "mood3" in listing and "phq9" in listing and "built in" in listing


def test_same_id_and_version_again_identical_changes_nothing(tmp_path: Path, clinic: Clinic):
    path = write(tmp_path, mood())
    run("import", path)
    assert "identical to this file: nothing changed" in run("import", path)
    assert InstrumentDefinition.objects.count() == 1


def test_same_id_and_version_with_other_content_is_refused(tmp_path: Path, clinic: Clinic):
    run("import", write(tmp_path, mood()))
    changed = mood(title="Three mood questions, reworded")
    error = refused("import", write(tmp_path, changed, "changed.json"))
    assert "mood3 version 1 is already imported with different content" in error
    assert "(raise it to 2)" in error
    assert InstrumentDefinition.objects.get().title == "Three mood questions"


def test_a_new_version_is_added_and_becomes_the_current_one(tmp_path: Path, clinic: Clinic):
    run("import", write(tmp_path, mood()))
    run("import", write(tmp_path, mood(version=2, title="Mood, v2"), "v2.json"))
    assert InstrumentDefinition.objects.count() == 2
    assert [(a.instrument_id, a.version) for a in available_for(clinic.id)][-1] == ("mood3", 2)
    assert definition_for(clinic.id, "mood3", 1).instrument.title == "Three mood questions"
    assert "Earlier versions (kept for the answers given with them): mood3 v1" in run("list")


def test_the_builtin_phq9_file_is_recognised(tmp_path: Path, clinic: Clinic):
    out = run("import", write(tmp_path, builtin_json("phq9")))
    assert "phq9 version 1" in out and "built in already" in out
    assert not InstrumentDefinition.objects.exists()


def test_a_changed_builtin_needs_a_new_version(tmp_path: Path, clinic: Clinic):
    data = json.loads(builtin_json("phq9"))
    data["scoring"]["composite"]["min_answered"] = 8
    assert "phq9 version 1 is built in" in refused("import", write(tmp_path, data))
    data["version"] = 2
    run("import", write(tmp_path, data, "phq9v2.json"))
    assert definition_for(clinic.id, "phq9").instrument.version == 2


def test_clinic_is_chosen_by_name(tmp_path: Path, clinic: Clinic):
    other = Clinic.objects.create(name="Second Clinic")
    path = write(tmp_path, mood())
    with pytest.raises(CommandError, match="say which with --clinic NAME"):
        run("import", path)
    run("import", path, "--clinic", "Second Clinic")
    assert InstrumentDefinition.objects.get().clinic == other
    with pytest.raises(CommandError, match="No clinic named 'Nowhere'"):
        run("import", path, "--clinic", "Nowhere")


# --- FHIR ------------------------------------------------------------------------------------


def _option(code: str, display: str, value: int) -> dict[str, Any]:
    return {
        "valueCoding": {
            "system": "urn:example:answers",
            "code": code,
            "display": display,
            "extension": [{"url": ORDINAL_VALUE_URL, "valueDecimal": value}],
        }
    }


def fhir_questionnaire() -> dict[str, Any]:
    options = [_option("a", "Never", 0), _option("b", "Sometimes", 1), _option("c", "Often", 2)]
    return {
        "resourceType": "Questionnaire",
        "id": "sleep-2",
        "version": "1",
        "title": "Two sleep questions",
        "status": "active",
        "publisher": "The Alliance tests",
        "copyright": "Free to use in tests",
        "item": [
            {"linkId": "intro", "type": "display", "text": "In the last week:"},
            {"linkId": "falling_asleep", "type": "choice", "text": "Trouble falling asleep",
             "required": True, "answerOption": options},
            {"linkId": "waking", "type": "choice", "text": "Waking in the night",
             "required": True, "answerOption": options},
        ],
    }  # fmt: skip


def fhir_scoring() -> dict[str, Any]:
    return {
        "composite": {"name": "total", "items": ["falling_asleep", "waking"], "method": "sum"},
        "outcome": {"direction": "lower_is_better"},
    }


def test_valid_fhir_questionnaire_is_imported(tmp_path: Path, clinic: Clinic):
    out = run(
        "import",
        write(tmp_path, fhir_questionnaire(), "sleep.fhir.json"),
        "--scoring",
        write(tmp_path, fhir_scoring(), "sleep.scoring.json"),
    )
    assert out == "Harbour Clinic: Imported sleep-2 version 1 (Two sleep questions).\n"
    row = InstrumentDefinition.objects.get()
    assert (row.source, row.licence, row.attribution) == (
        "fhir",
        "Free to use in tests",
        "The Alliance tests",
    )
    defn = definition_for(clinic.id, "sleep-2")
    assert [i.key for i in defn.instrument.items] == ["falling_asleep", "waking"]
    assert defn.instrument.description == "In the last week:"


def test_fhir_item_of_an_unsupported_type_is_named(tmp_path: Path, clinic: Clinic):
    questionnaire = fhir_questionnaire()
    questionnaire["item"][2] = {"linkId": "hours", "type": "integer", "text": "Hours slept"}
    error = refused(
        "import",
        write(tmp_path, questionnaire, "sleep.fhir.json"),
        "--scoring",
        write(tmp_path, fhir_scoring(), "sleep.scoring.json"),
    )
    assert 'questionnaire.item[2].type: item "hours" has type "integer"' in error


def test_fhir_scoring_defect_names_the_scoring_file(tmp_path: Path, clinic: Clinic):
    scoring = fhir_scoring()
    scoring["composite"]["items"] = ["falling_asleep", "snoring"]
    scoring_path = write(tmp_path, scoring, "sleep.scoring.json")
    error = refused(
        "import",
        write(tmp_path, fhir_questionnaire(), "sleep.fhir.json"),
        "--scoring",
        scoring_path,
    )
    assert error.startswith(f"{scoring_path}: scoring.composite.items")
