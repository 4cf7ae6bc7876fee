"""Free text is encrypted at rest, readable through the ORM, and keys rotate without loss."""

from __future__ import annotations

import base64
import importlib
import io
import stat
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.models import Model
from django.test import override_settings

from alliance import cli
from alliance.checkins.models import CheckIn
from alliance.crypto import (
    INSECURE_DEVELOPMENT_KEY,
    PREFIX,
    DecryptionError,
    decrypt,
    demo_key,
    encrypt,
    generate_key,
    keys_from_env,
    parse_keys,
)
from alliance.people.models import CareEpisode, Session
from alliance.ruptures.models import Alert, RepairRecord


def _key(byte: int) -> str:
    return base64.urlsafe_b64encode(bytes([byte]) * 32).decode()


KEY_A, KEY_B, KEY_C = _key(1), _key(2), _key(3)
COMMENT = "I felt unheard when we moved on"


def keys(*values: str) -> override_settings:
    return override_settings(ALLIANCE_ENCRYPTION_KEYS=values)


def raw_values(model: type[Model], field: str) -> list[str]:
    """The column as the database holds it, read past the ORM."""
    quote = connection.ops.quote_name
    column = model._meta.get_field(field).column  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(model._meta.db_table)}")
        return [row[0] for row in cursor.fetchall()]


def write_raw(model: type[Model], field: str, value: str) -> None:
    """Overwrite the column in every row, past the field (as raw SQL or an old row would)."""
    quote = connection.ops.quote_name
    column = model._meta.get_field(field).column  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(model._meta.db_table)} SET {quote(column)} = %s", [value])


@pytest.fixture
def make_checkin(episode: CareEpisode, attend: Callable[..., Session]) -> Callable[..., CheckIn]:
    numbers = iter(range(1, 100))

    def make(comment: str = COMMENT) -> CheckIn:
        return CheckIn.objects.create(
            session=attend(episode, next(numbers)),
            episode=episode,
            client=episode.client,
            bond=5,
            tasks=5,
            goals=5,
            tension=2,
            alliance=5.0,
            comment=comment,
            form_token=uuid.uuid4(),
        )

    return make


@pytest.fixture
def repair(make_checkin: Callable[..., CheckIn]) -> RepairRecord:
    checkin = make_checkin()
    alert = Alert.objects.create(
        episode=checkin.episode,
        session=checkin.session,
        checkin=checkin,
        severity=2,
        summary="Tension reported",
        close_note="Closed after we talked it through",
    )
    return RepairRecord.objects.create(
        alert=alert,
        recorded_by=checkin.episode.therapist,
        rupture_type="withdrawal",
        notes="She went quiet after I mentioned her mother",
        next_session_plan="Ask how last week felt",
    )


FREE_TEXT = [
    (CheckIn, "comment", COMMENT),
    (Alert, "close_note", "Closed after we talked it through"),
    (RepairRecord, "notes", "She went quiet after I mentioned her mother"),
    (RepairRecord, "next_session_plan", "Ask how last week felt"),
]


# --- at rest ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "field", "text"), FREE_TEXT)
def test_free_text_is_ciphertext_in_the_database(repair, model, field, text):
    (stored,) = raw_values(model, field)
    assert stored.startswith(PREFIX + "gAAAAA")  # Fernet version byte, base64
    assert text not in stored
    assert "mother" not in stored and "unheard" not in stored


@pytest.mark.parametrize(("model", "field", "text"), FREE_TEXT)
def test_free_text_reads_back_as_plain_text(repair, model, field, text):
    assert getattr(model.objects.get(), field) == text
    assert list(model.objects.values_list(field, flat=True)) == [text]


@pytest.mark.parametrize(
    "text",
    [
        "Ça m'a blessé — vraiment 😔🫂",
        '<script>alert("x")</script> & <b>bold</b> {{ 7*7 }}',
        "first line\nsecond line\r\n\ttabbed",
        "日本語のコメント، نص عربي",
        "x" * 2000,
        " leading and trailing spaces ",
    ],
)
def test_any_text_round_trips_unchanged(make_checkin, text):
    make_checkin(text)
    assert CheckIn.objects.get().comment == text
    assert text not in raw_values(CheckIn, "comment")[0]


def test_empty_text_is_stored_empty_as_its_token_length_would_tell_anyway(make_checkin):
    make_checkin("")
    (stored,) = raw_values(CheckIn, "comment")
    assert stored == ""
    assert CheckIn.objects.get().comment == ""
    # One character of text is never stored as the empty string.
    make_checkin("a")
    assert sorted(raw_values(CheckIn, "comment"))[1].startswith(PREFIX)


def test_the_same_text_encrypts_differently_each_time(make_checkin):
    make_checkin("same words")
    make_checkin("same words")
    first, second = raw_values(CheckIn, "comment")
    assert first != second


def test_update_and_bulk_writes_encrypt(make_checkin):
    checkin = make_checkin()
    CheckIn.objects.filter(pk=checkin.pk).update(comment="changed by update")
    assert raw_values(CheckIn, "comment")[0].startswith(PREFIX)
    checkin.comment = "changed by bulk_update"
    CheckIn.objects.bulk_update([checkin], ["comment"])
    (stored,) = raw_values(CheckIn, "comment")
    assert (stored.startswith(PREFIX), CheckIn.objects.get().comment) == (
        True,
        "changed by bulk_update",
    )


def test_bulk_create_encrypts(make_checkin):
    template = make_checkin()
    CheckIn.objects.all().delete()
    template.pk = uuid.uuid4()
    template.comment = "written by bulk_create"
    CheckIn.objects.bulk_create([template])
    (stored,) = raw_values(CheckIn, "comment")
    assert "bulk_create" not in stored
    assert CheckIn.objects.get().comment == "written by bulk_create"


# --- reading what cannot be decrypted --------------------------------------------------------


def test_a_value_under_an_unknown_key_raises_a_clear_decryption_error(make_checkin):
    make_checkin()
    stored = raw_values(CheckIn, "comment")[0]
    with keys(KEY_C), pytest.raises(DecryptionError) as caught:
        CheckIn.objects.get()
    message = str(caught.value)
    assert "Cannot decrypt checkins.CheckIn.comment" in message
    assert "none of the 1 key(s) in ALLIANCE_ENCRYPTION_KEYS fits" in message
    assert stored[len(PREFIX) :] not in message


def test_a_page_fails_rather_than_showing_ciphertext_or_nothing(
    make_checkin, therapist, client_user, login
):
    make_checkin()
    with keys(KEY_C), pytest.raises(DecryptionError):
        login(therapist).get(f"/clients/{client_user.id}/")


def test_plain_text_written_around_the_field_is_refused_on_read(make_checkin):
    make_checkin()
    write_raw(CheckIn, "comment", "written by raw SQL")
    with pytest.raises(DecryptionError, match="stored as plain text, not encrypted"):
        CheckIn.objects.get()


def test_a_tampered_token_is_refused(make_checkin):
    make_checkin()
    stored = raw_values(CheckIn, "comment")[0]
    flipped = "A" if stored[-5] != "A" else "B"
    write_raw(CheckIn, "comment", stored[:-5] + flipped + stored[-4:])
    with pytest.raises(DecryptionError):
        CheckIn.objects.get()


# --- lookups ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lookup",
    [
        {"comment": COMMENT},
        {"comment__icontains": "unheard"},
        {"comment__startswith": "I"},
        {"comment__in": [COMMENT]},
        {"comment__gt": ""},
        {"comment__lower": "x"},
    ],
)
def test_lookups_on_encrypted_text_are_refused(make_checkin, lookup):
    make_checkin()
    with pytest.raises(FieldError, match=r"checkins\.CheckIn\.comment is encrypted"):
        list(CheckIn.objects.filter(**lookup))


def test_excluding_empty_text_is_refused_too(make_checkin):
    make_checkin()
    with pytest.raises(FieldError, match="only 'isnull' works"):
        CheckIn.objects.exclude(comment="").count()


def test_isnull_and_the_numbers_stay_queryable(make_checkin):
    make_checkin()
    assert CheckIn.objects.filter(comment__isnull=False, tension__gte=2).count() == 1


# --- key configuration -----------------------------------------------------------------------


def test_production_without_keys_fails_naming_the_variable():
    with pytest.raises(ImproperlyConfigured, match="ALLIANCE_ENCRYPTION_KEYS must be set"):
        keys_from_env({}, insecure_ok=False)


def test_production_with_a_blank_value_fails():
    with pytest.raises(ImproperlyConfigured, match="ALLIANCE_ENCRYPTION_KEYS must be set"):
        keys_from_env({"ALLIANCE_ENCRYPTION_KEYS": "  "}, insecure_ok=False)


def test_testing_without_keys_uses_the_fixed_insecure_key():
    assert keys_from_env({}, insecure_ok=True) == (INSECURE_DEVELOPMENT_KEY,)


def test_keys_keep_their_order_and_lose_surrounding_spaces():
    env = {"ALLIANCE_ENCRYPTION_KEYS": f" {KEY_B} , {KEY_A}"}
    assert keys_from_env(env, insecure_ok=False) == (KEY_B, KEY_A)


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("not-a-key", "it has 9 characters, a key has 44"),
        (KEY_A + "=", "it has 45 characters, a key has 44"),
        (KEY_A[:10] + "+" + KEY_A[11:], "it uses standard base64 ('+' or '/')"),
        (KEY_A[:10] + "!" + KEY_A[11:], "it has characters other than A-Z"),
        (KEY_A[:-1] + "A", "it has characters other than A-Z"),
    ],
)
def test_a_malformed_key_fails_naming_its_position_and_the_problem(bad, problem):
    env = {"ALLIANCE_ENCRYPTION_KEYS": f"{KEY_A},{bad}"}
    with pytest.raises(ImproperlyConfigured) as caught:
        keys_from_env(env, insecure_ok=False)
    message = str(caught.value)
    assert message.startswith(
        "ALLIANCE_ENCRYPTION_KEYS: key 2 is not a valid Fernet key "
        "(32 url-safe base64-encoded bytes): " + problem
    )
    assert bad not in message  # a key is a secret: never in a log line


def test_a_malformed_key_fails_even_in_testing():
    with pytest.raises(ImproperlyConfigured, match="key 1 is not a valid Fernet key"):
        keys_from_env({"ALLIANCE_ENCRYPTION_KEYS": "secret"}, insecure_ok=True)


def test_an_empty_entry_fails():
    with pytest.raises(ImproperlyConfigured, match="key 2 is empty; remove the stray comma"):
        parse_keys(f"{KEY_A},,{KEY_B}", insecure_ok=False)


def test_the_same_key_twice_fails():
    with pytest.raises(ImproperlyConfigured, match="key 3 is the same as key 1"):
        parse_keys(f"{KEY_A},{KEY_B},{KEY_A}", insecure_ok=False)


def test_keys_are_read_from_settings_at_use_not_cached_at_import():
    with keys(KEY_A):
        stored = encrypt("hello")
    with keys(KEY_B), pytest.raises(DecryptionError):
        decrypt(stored)
    with keys(KEY_B, KEY_A):
        assert decrypt(stored) == "hello"


def test_a_malformed_key_in_settings_fails_at_use():
    with keys("short"), pytest.raises(ImproperlyConfigured, match="key 1 is not a valid"):
        encrypt("hello")


def test_generated_keys_are_valid_and_different():
    first, second = generate_key(), generate_key()
    assert parse_keys(f"{first},{second}", insecure_ok=False) == (first, second)


def test_alliance_generate_key_prints_a_key_without_any_settings(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("ALLIANCE_DATA_DIR", str(tmp_path))
    assert cli.main(["generate-key"]) == 0
    printed = capsys.readouterr().out.strip()
    assert parse_keys(printed, insecure_ok=False) == (printed,)


def test_demo_key_is_made_once_and_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "demo-encryption-key"
    key = demo_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert demo_key(path) == key


# --- rotation --------------------------------------------------------------------------------


def rotate_keys(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


def check_keys() -> tuple[str, str | None]:
    """The output of ``rotate-keys --check`` and its error, if it failed."""
    out = io.StringIO()
    try:
        call_command("rotate_keys", "--check", stdout=out)
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), None


def test_rotation_moves_every_value_to_the_new_key(repair):
    with keys(KEY_A):
        CheckIn.objects.update(comment=COMMENT)
        Alert.objects.update(close_note="Closed after we talked it through")
        RepairRecord.objects.update(notes="She went quiet", next_session_plan="Ask")
    before = raw_values(CheckIn, "comment")
    with keys(KEY_B, KEY_A):
        out = rotate_keys()
    assert "checkins.CheckIn.comment: 1 value; 1 re-encrypted under the first key" in out
    assert "ruptures.RepairRecord.notes: 1 value; 1 re-encrypted" in out
    assert raw_values(CheckIn, "comment") != before
    with keys(KEY_B):
        assert CheckIn.objects.get().comment == COMMENT
        assert RepairRecord.objects.values_list("notes", "next_session_plan").get() == (
            "She went quiet",
            "Ask",
        )
        assert Alert.objects.get().close_note == "Closed after we talked it through"


def test_check_counts_values_not_under_the_first_key(make_checkin):
    with keys(KEY_A):
        make_checkin()
        make_checkin()
    with keys(KEY_B):
        make_checkin()
    with keys(KEY_B, KEY_A):
        out, error = check_keys()
    assert (
        "checkins.CheckIn.comment: 3 values; 1 under the first key, 2 under an older key, "
        "0 not encrypted, 0 unreadable with any configured key"
    ) in out
    assert error == (
        "2 values are not under the first key yet; run `alliance rotate-keys`. "
        "Keep the older keys until this reports 0."
    )


def test_check_reports_zero_after_rotation(make_checkin):
    with keys(KEY_A):
        make_checkin()
    with keys(KEY_B, KEY_A):
        rotate_keys()
        out, error = check_keys()
    assert error is None
    assert "checkins.CheckIn.comment: 1 value; 1 under the first key, 0 under an older key" in out
    assert "0 values left to rotate" in out


def test_rotating_again_changes_nothing(make_checkin):
    make_checkin()
    before = raw_values(CheckIn, "comment")
    out = rotate_keys()
    assert "1 value; 0 re-encrypted under the first key" in out
    assert "1 already under it" in out
    assert raw_values(CheckIn, "comment") == before


def test_rotation_pages_through_every_row(make_checkin):
    with keys(KEY_A):
        for _ in range(5):
            make_checkin()
    with keys(KEY_B, KEY_A):
        out = rotate_keys("--batch-size", "2")
    assert "checkins.CheckIn.comment: 5 values; 5 re-encrypted" in out
    with keys(KEY_B):
        assert [c.comment for c in CheckIn.objects.all()] == [COMMENT] * 5


def test_rotation_encrypts_plain_text_it_finds(make_checkin):
    make_checkin()
    write_raw(CheckIn, "comment", "written by raw SQL")
    out = rotate_keys()
    assert "1 found as plain text and encrypted" in out
    assert CheckIn.objects.get().comment == "written by raw SQL"


def test_rotation_leaves_unreadable_values_and_fails_naming_them(make_checkin):
    with keys(KEY_C):
        lost = make_checkin()
    with keys(KEY_A):
        make_checkin()
    with keys(KEY_B, KEY_A), pytest.raises(CommandError) as caught:
        rotate_keys()
    assert (
        "1 value cannot be decrypted with any key in ALLIANCE_ENCRYPTION_KEYS "
        f"(checkins.CheckIn.comment pk={lost.pk})"
    ) in str(caught.value)
    with keys(KEY_B):
        assert CheckIn.objects.exclude(pk=lost.pk).get().comment == COMMENT
    with keys(KEY_C):
        assert CheckIn.objects.get(pk=lost.pk).comment == COMMENT


def test_check_fails_on_unreadable_values_and_lists_them(make_checkin):
    with keys(KEY_C):
        lost = make_checkin()
    with keys(KEY_A):
        out, error = check_keys()
    assert "1 unreadable with any configured key" in out
    assert f"Unreadable with any configured key:\n  checkins.CheckIn.comment pk={lost.pk}\n" in out
    assert error is not None and "1 value cannot be decrypted" in error


# --- the data migrations ---------------------------------------------------------------------


def _migration(app: str, name: str) -> Any:
    return importlib.import_module(f"alliance.{app}.migrations.{name}")


def _apps_before(app: str, name: str) -> Any:
    """Historical models as the RunPython step sees them: the fields still plain text."""
    return MigrationLoader(connection).project_state((app, name)).apps


def test_the_migration_encrypts_plain_text_rows_and_can_undo_it(make_checkin):
    make_checkin()
    make_checkin("")
    write_raw(CheckIn, "comment", "an old plain comment")
    migration = _migration("checkins", "0002_encrypt_comment")
    apps = _apps_before("checkins", "0001_initial")
    editor = connection.schema_editor()

    migration.encrypt_comments(apps, editor)
    stored = raw_values(CheckIn, "comment")
    assert all(value.startswith(PREFIX) for value in stored)
    assert [c.comment for c in CheckIn.objects.all()] == ["an old plain comment"] * 2

    migration.encrypt_comments(apps, editor)
    assert raw_values(CheckIn, "comment") == stored  # already encrypted: left alone

    migration.decrypt_comments(apps, editor)
    assert raw_values(CheckIn, "comment") == ["an old plain comment"] * 2


def test_the_ruptures_migration_encrypts_notes_plans_and_closing_notes(repair):
    write_raw(RepairRecord, "notes", "old notes")
    write_raw(RepairRecord, "next_session_plan", "old plan")
    write_raw(Alert, "close_note", "")
    migration = _migration("ruptures", "0002_encrypt_notes")
    apps = _apps_before("ruptures", "0001_initial")

    migration.encrypt_notes(apps, connection.schema_editor())
    for model, field in [(RepairRecord, "notes"), (RepairRecord, "next_session_plan")]:
        assert raw_values(model, field)[0].startswith(PREFIX)
    assert raw_values(Alert, "close_note")[0] == ""  # empty stays empty
    record = RepairRecord.objects.select_related("alert").get()
    assert (record.notes, record.next_session_plan, record.alert.close_note) == (
        "old notes",
        "old plan",
        "",
    )

    migration.decrypt_notes(apps, connection.schema_editor())
    assert raw_values(RepairRecord, "notes") == ["old notes"]
    assert raw_values(Alert, "close_note") == [""]
