"""`alliance check --deploy` passes with production values and fails loudly without them."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from cryptography.fernet import Fernet


def production_env(tmp_path, **overrides: str) -> dict[str, str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "ALLIANCE_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLIANCE_ALLOWED_HOSTS": "alliance.clinic.example",
        "ALLIANCE_HSTS_SECONDS": "31536000",
        "ALLIANCE_HSTS_PRELOAD": "true",
        "ALLIANCE_SSL_REDIRECT": "true",
        "ALLIANCE_BEHIND_TLS_PROXY": "true",
        "ALLIANCE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLIANCE_DATA_DIR": str(tmp_path),
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v != ""}


def run_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alliance.cli", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_deploy_check_passes_with_production_values(tmp_path):
    result = run_check(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_fails_loudly(tmp_path):
    result = run_check(production_env(tmp_path, ALLIANCE_SECRET_KEY=""))
    assert result.returncode != 0
    assert "ALLIANCE_SECRET_KEY must be set" in result.stderr


def test_short_secret_key_fails_loudly(tmp_path):
    result = run_check(production_env(tmp_path, ALLIANCE_SECRET_KEY="short"))
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_malformed_boolean_fails_loudly(tmp_path):
    result = run_check(production_env(tmp_path, ALLIANCE_SSL_REDIRECT="sometimes"))
    assert result.returncode != 0
    assert "ALLIANCE_SSL_REDIRECT must be true or false" in result.stderr


def test_without_hsts_the_deploy_check_fails(tmp_path):
    result = run_check(production_env(tmp_path, ALLIANCE_HSTS_SECONDS="0"))
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_database_url_of_another_kind_is_refused(tmp_path):
    result = run_check(production_env(tmp_path, DATABASE_URL="mysql://u:p@localhost/db"))
    assert result.returncode != 0
    assert "DATABASE_URL must point to PostgreSQL or SQLite" in result.stderr
