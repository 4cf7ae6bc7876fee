"""Sessions are read through a cache shared by every server process (cached_db, files in the data
folder); ending a session ends it in every process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from alliance.accounts.services import sessions_end

# What a second server process sees of the session cache: run with the same settings.
PEEK = """
import sys, django
django.setup()
from django.conf import settings
from django.core.cache import caches
from importlib import import_module
store = import_module(settings.SESSION_ENGINE).SessionStore
print("present" if caches[settings.SESSION_CACHE_ALIAS].get(store.cache_key_prefix + sys.argv[1])
      is not None else "absent")
"""


def peek_from_another_process(session_key: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "alliance.settings",
        "ALLIANCE_DATA_DIR": str(settings.DATA_DIR),
    }
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", PEEK, session_key],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_sessions_are_cached_in_the_data_folder_not_per_process():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    cache = settings.CACHES[settings.SESSION_CACHE_ALIAS]
    assert cache["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert Path(cache["LOCATION"]).is_relative_to(settings.DATA_DIR)


def test_a_signed_in_request_reads_the_session_from_the_cache(
    login, client_user, django_assert_num_queries
):
    carla = login(client_user)
    carla.get("/me/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert carla.get("/me/").status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]


def test_a_logout_is_seen_by_every_server_process(login, client_user):
    carla = login(client_user)
    assert carla.get("/me/").status_code == 200
    key = carla.session.session_key
    assert peek_from_another_process(key) == "present"
    carla.post(reverse("logout"))
    assert peek_from_another_process(key) == "absent"


def test_ending_someones_sessions_ends_the_cached_copies_too(login, therapist):
    phone, desk = login(therapist), login(therapist)
    assert phone.get("/caseload/").status_code == 200
    assert desk.get("/caseload/").status_code == 200
    kept = desk.session.session_key
    assert sessions_end(user=therapist, keep_session_key=kept) == 1
    assert phone.get("/caseload/")["Location"] == f"{reverse('login')}?next=/caseload/"
    assert desk.get("/caseload/").status_code == 200
