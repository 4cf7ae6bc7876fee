"""Settings come from the environment and fail loudly on bad values."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from alliance.settings import _sqlite_options, env_bool, env_int, env_list, env_str


def test_env_str_missing_without_default_fails(monkeypatch):
    monkeypatch.delenv("ALLIANCE_X", raising=False)
    with pytest.raises(ImproperlyConfigured, match="ALLIANCE_X must be set"):
        env_str("ALLIANCE_X")


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("off", False)])
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("ALLIANCE_X", raw)
    assert env_bool("ALLIANCE_X", not expected) is expected


def test_env_bool_rejects_anything_else(monkeypatch):
    monkeypatch.setenv("ALLIANCE_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="must be true or false"):
        env_bool("ALLIANCE_X", False)


def test_env_int_rejects_words_and_values_below_minimum(monkeypatch):
    monkeypatch.setenv("ALLIANCE_X", "ten")
    with pytest.raises(ImproperlyConfigured, match="whole number, got 'ten'"):
        env_int("ALLIANCE_X", 1)
    monkeypatch.setenv("ALLIANCE_X", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1, got 0"):
        env_int("ALLIANCE_X", 1, minimum=1)


def test_env_list_rejects_empty_entries(monkeypatch):
    monkeypatch.setenv("ALLIANCE_X", "a.example,,b.example")
    with pytest.raises(ImproperlyConfigured, match="no empty entries"):
        env_list("ALLIANCE_X", [])
    monkeypatch.setenv("ALLIANCE_X", "a.example, b.example")
    assert env_list("ALLIANCE_X", []) == ["a.example", "b.example"]


def test_argon2_is_the_production_hasher():
    assert "django.contrib.auth.hashers.Argon2PasswordHasher" in settings.PASSWORD_HASHERS


def test_sqlite_runs_in_wal_mode_with_immediate_transactions():
    options = _sqlite_options()
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in str(options["init_command"])
    assert options["timeout"] == 20


@pytest.mark.parametrize("value", ["not-hex", "ab" * 31, "zz" * 32])
def test_a_malformed_research_key_stops_start_up(value):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "ALLIANCE_RESEARCH_KEY": value,
        "DJANGO_SETTINGS_MODULE": "alliance.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode != 0
    assert "ALLIANCE_RESEARCH_KEY must be 64 hex characters" in result.stderr
