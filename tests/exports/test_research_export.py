"""The research export: stable keyed pseudonyms, one date shift per client, no free text, CSV
(formula-safe) and Parquet with a data dictionary, built by the worker, audited."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from datetime import datetime, timedelta
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from alliance.audit.models import AuditAction, AuditEvent, RecordType
from alliance.checkins.services import checkin_submit
from alliance.exports.models import ExportStatus, ResearchExport
from alliance.exports.research import SHIFT_DAYS, Pseudonyms, export_folder
from alliance.exports.services import research_export_build, research_export_request
from tests.conftest import GOOD_ANSWERS

SECRET = "a secret comment about Carla"


@pytest.fixture
def answered(episode: Any, attend: Any, client_user: Any) -> Any:
    session = attend(episode, 1)
    return checkin_submit(
        session=session,
        client=client_user,
        answers={**GOOD_ANSWERS, "tension": "2", "comment": SECRET},
        form_token=uuid.uuid4(),
    ).checkin


def _built(admin: Any) -> tuple[ResearchExport, zipfile.ZipFile]:
    export = research_export_request(admin=admin)
    export = research_export_build(export_id=export.id)
    assert export.status == ExportStatus.READY, export.error
    archive = zipfile.ZipFile(export_folder() / f"{export.id}.zip")
    return export, archive


def _table(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(f"csv/{name}.csv").decode())))


def test_pseudonyms_are_stable_per_key_and_differ_between_keys() -> None:
    record = uuid.uuid4()
    one, same, other = Pseudonyms(b"k" * 32), Pseudonyms(b"k" * 32), Pseudonyms(b"x" * 32)
    assert one.of("c", record) == same.of("c", record)
    assert one.of("c", record) != other.of("c", record)
    assert len(one.of("c", record)) == len("c_") + 16


def test_date_shift_is_whole_days_within_the_bound_and_never_zero() -> None:
    names = Pseudonyms(b"k" * 32)
    shifts = [names.shift(uuid.uuid4()) for _ in range(500)]
    assert all(s.seconds == 0 and s.microseconds == 0 for s in shifts)
    assert all(timedelta(days=-SHIFT_DAYS) <= s <= timedelta(days=SHIFT_DAYS) for s in shifts)
    assert timedelta(0) not in shifts
    assert len(set(shifts)) > 100


def test_export_has_every_table_in_csv_and_parquet_and_a_dictionary(
    admin: Any, answered: Any
) -> None:
    export, archive = _built(admin)
    tables = [
        "clients",
        "episodes",
        "sessions",
        "checkins",
        "questionnaires",
        "diary_cards",
        "alerts",
    ]
    for name in tables:
        assert f"csv/{name}.csv" in archive.namelist()
        assert f"parquet/{name}.parquet" in archive.namelist()
    dictionary = list(csv.DictReader(io.StringIO(archive.read("data-dictionary.csv").decode())))
    for name in tables:
        header = archive.read(f"csv/{name}.csv").decode().splitlines()[0].split(",")
        assert header == [row["column"] for row in dictionary if row["table"] == name]
    assert all(row["type"] and row["source"] for row in dictionary)
    assert export.rows["checkins"] == 1
    parquet = pq.read_table(io.BytesIO(archive.read("parquet/checkins.parquet")))
    assert parquet.column("tension").to_pylist() == [2]


def test_no_names_or_free_text_leave(admin: Any, answered: Any, client_user: Any) -> None:
    _, archive = _built(admin)
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for secret in (SECRET, "Carla", "carla@example.org", str(client_user.id), "Teresa"):
        assert secret.encode() not in everything


def test_dates_of_one_client_move_together(admin: Any, answered: Any) -> None:
    _, archive = _built(admin)
    (checkin,) = _table(archive, "checkins")
    (session,) = _table(archive, "sessions")
    sent = datetime.fromisoformat(checkin["submitted_at"])
    held = datetime.fromisoformat(session["scheduled_at"])
    real = answered.submitted_at - answered.session.scheduled_at
    assert abs((sent - held) - real) < timedelta(minutes=2)
    assert checkin["client"] == session["client"]


def test_two_exports_share_pseudonyms(admin: Any, answered: Any) -> None:
    first, one = _built(admin)
    second, two = _built(admin)
    assert first.key_fingerprint == second.key_fingerprint
    assert _table(one, "clients") == _table(two, "clients")


def test_request_queues_the_task_and_both_steps_are_audited(
    admin: Any, answered: Any, client_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        export = research_export_request(admin=admin)
    assert DBTaskResult.objects.filter(task_path__endswith="build_research_export").count() == 1
    research_export_build(export_id=export.id)
    assert AuditEvent.objects.filter(
        record_type=RecordType.RESEARCH_EXPORT, record_id=str(export.id), detail="requested"
    ).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, subject=client_user, detail="research"
    ).exists()


def test_admin_downloads_a_ready_export(login: Any, admin: Any, answered: Any) -> None:
    export, _ = _built(admin)
    browser = login(admin)
    page = browser.get(reverse("research_exports"))
    assert reverse("research_export_download", args=[export.id]).encode() in page.content
    response = browser.get(reverse("research_export_download", args=[export.id]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert AuditEvent.objects.filter(detail="downloaded", actor=admin).exists()


def test_an_export_still_queued_cannot_be_downloaded(login: Any, admin: Any) -> None:
    export = research_export_request(admin=admin)
    response = login(admin).get(reverse("research_export_download", args=[export.id]))
    assert response.status_code == 404


def test_admin_of_another_clinic_cannot_download(
    login: Any, admin: Any, answered: Any, stranger: Any
) -> None:
    from alliance.people.models import Role, User

    export, _ = _built(admin)
    other_admin = User.objects.create_user(
        "ada@elsewhere.org",
        "x" * 12,
        full_name="Ada",
        role=Role.CLINIC_ADMIN,
        clinic=stranger.clinic,
    )
    response = login(other_admin).get(reverse("research_export_download", args=[export.id]))
    assert response.status_code == 404


def test_a_formula_in_a_code_column_is_neutralised() -> None:
    from alliance.exports.research import _csv_text

    assert _csv_text("=cmd") == "'=cmd"
    assert _csv_text(-1.5) == "-1.5"


def test_files_are_deleted_after_their_keeping_time(admin: Any, answered: Any) -> None:
    import time_machine
    from django.utils import timezone

    from alliance.exports.services import research_exports_expire

    export, _ = _built(admin)
    path = export_folder() / f"{export.id}.zip"
    assert research_exports_expire(now=timezone.now() + timedelta(days=6)) == 0
    assert path.exists()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert research_exports_expire() == 1
    export.refresh_from_db()
    assert (export.status, path.exists()) == (ExportStatus.EXPIRED, False)
