"""What each client page weighs on a first visit: the bytes a phone with an empty cache fetches.

For each client page (home, check-in, diary card, safety plan, questionnaire, account, who has
seen my records, the offline page) it asks Django's test client for the page as the signed-in
client with ``Accept-Encoding: gzip``, then every file the page's HTML names: stylesheets,
scripts, icons, the web app manifest and the icons it lists, images, and the service worker the
page registers. Each file counts once per page, as the browser would fetch it.

Sizes are response bodies as served: the HTML, the manifest and the worker as Alliance's own
gzip middleware sends them (the account page is never compressed, ``alliance/compression.py``);
static files as WhiteNoise serves them after ``collectstatic``, which keeps a gzip copy
(level 9) of each text file when it is smaller and sends PNGs as they are. The test client
serves static files from their source, so that gzip copy is made here the same way. Headers
are left out (a few hundred bytes per request over HTTP/1.1, less over HTTP/2).

The worker's install then fetches the offline page, the safety plan, the help page and the
static files it keeps, in the background, once: that is printed apart ("worker install").

Run from the repository root (a throwaway SQLite database; nothing else is touched)::

    python -m benchmarks.page_weight

``tests/web/test_page_weight.py`` asserts the limit (``LIMIT``) on the same pages.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

LIMIT = 60 * 1024  # bytes compressed, per page, first load
TEXT_TYPES = (".css", ".js", ".svg", ".json", ".webmanifest", ".txt", ".html", ".ico")


class _Links(HTMLParser):
    """Every file a page makes the browser fetch: link, script, img (and the worker's meta)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (what, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and a.get("href"):
            self.urls.append((a.get("rel", "link"), a["href"]))
        elif tag in {"script", "img"} and a.get("src"):
            self.urls.append((tag, a["src"]))
        elif tag == "meta" and a.get("name") == "alliance-worker":
            self.urls.append(("service worker", a.get("content", "")))


@dataclass
class Weight:
    name: str
    url: str
    files: list[tuple[str, str, int]] = field(default_factory=list)  # what, url, bytes

    @property
    def total(self) -> int:
        return sum(size for _, _, size in self.files)


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def served_size(browser: Any, url: str) -> int:
    """The body's size as it travels: gzip when the server (or collectstatic) would send it so."""
    response = browser.get(url, HTTP_ACCEPT_ENCODING="gzip")
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    body = _body(response)
    if response.get("Content-Encoding") == "gzip":
        return len(body)
    path = url.split("?")[0]
    if path.startswith("/static/") and path.endswith(TEXT_TYPES):
        # WhiteNoise's CompressedManifestStaticFilesStorage: level 9, kept only if smaller.
        return min(len(body), len(gzip.compress(body, compresslevel=9, mtime=0)))
    return len(body)


def weigh(browser: Any, name: str, url: str, known: dict[str, int] | None = None) -> Weight:
    """The page at ``url`` and everything it makes an empty-cache browser fetch.

    ``known``: sizes of files already fetched for another page (static files and the manifest
    are the same for every page), to ask for each only once in a run.
    """
    known = {} if known is None else known
    icons_of: dict[str, list[str]] = {}
    response = browser.get(url, HTTP_ACCEPT_ENCODING="gzip")
    if response.status_code != 200:
        raise RuntimeError(f"{name} ({url}) answered {response.status_code}")
    body = _body(response)
    weight = Weight(name, url, [("html", url, len(body))])
    compressed = response.get("Content-Encoding") == "gzip"
    html = (gzip.decompress(body) if compressed else body).decode()
    links = _Links()
    links.feed(html)
    seen = {url}
    queue = list(links.urls)
    while queue:
        what, link = queue.pop(0)
        if link in seen or not link.startswith("/"):
            continue
        seen.add(link)
        if link not in known:
            known[link] = served_size(browser, link)
        weight.files.append((what, link, known[link]))
        if what == "manifest":
            if link not in icons_of:
                manifest = json.loads(browser.get(link).content)
                icons_of[link] = [icon["src"] for icon in manifest["icons"]]
            queue.extend(("manifest icon", src) for src in icons_of[link])
    return weight


def worker_install(browser: Any) -> Weight:
    """What the service worker fetches once, in the background, when it installs."""
    script = browser.get("/sw.js").content.decode()
    settings = json.loads(re.search(r"^const SETTINGS = (.*);$", script, re.M).group(1))
    weight = Weight("worker install", "/sw.js")
    for url in [settings["offlinePage"], *settings["pages"], *settings["assets"]]:
        weight.files.append(("kept", url, served_size(browser, url)))
    return weight


def client_pages(client: Any, episode: Any) -> dict[str, str]:
    """Make what each client page needs (an open check-in, a questionnaire due, a safety plan)
    and return the pages by name."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from alliance.outcomes.schedule import ScheduleSpec
    from alliance.outcomes.services import schedule_set
    from alliance.people.models import Session, SessionStatus
    from alliance.safetyplan.services import safety_plan_save

    opened = timezone.now() - timedelta(minutes=30)
    session = Session.objects.create(
        episode=episode,
        number=1,
        scheduled_at=opened - timedelta(minutes=50),
        status=SessionStatus.ATTENDED,
        status_changed_at=opened,
        checkin_opens_at=opened,
        checkin_closes_at=opened + timedelta(hours=72),
    )
    schedule_set(
        episode=episode, instrument_id="phq9", spec=ScheduleSpec(at_intake=True), actor=None
    )
    safety_plan_save(
        episode=episode,
        actor=client,
        texts={
            "warning_signs": "I stop answering messages and stay up late.",
            "on_my_own": "A cold shower, the breathing exercise, a walk round the block.",
            "people_places": "The library; my sister's kitchen.",
            "ask_for_help": "My sister Ana; my friend Jo.",
            "reasons_for_living": "My cat, my sister, the trip in June.",
        },
        base_version=0,
    )
    questionnaire = reverse(
        "questionnaire",
        kwargs={"episode_id": episode.id, "instrument_id": "phq9", "occasion": "intake"},
    )
    return {
        "home": reverse("client_home"),
        "check-in": reverse("checkin", kwargs={"session_id": session.id}),
        "diary card": reverse("diary"),
        "safety plan": reverse("my_safety_plan"),
        "questionnaire (PHQ-9)": questionnaire,
        "account": reverse("account"),
        "who has seen my records": reverse("access_log"),
        "offline page": reverse("offline"),
    }


def _report(weights: list[Weight]) -> str:
    lines = [f"{'page':<26}{'files':>6}{'HTML KB':>9}{'total KB':>10}   largest others", "-" * 88]
    for w in weights:
        html = w.files[0][2]
        biggest = sorted(w.files[1:], key=lambda f: -f[2])[:3]
        parts = ", ".join(f"{f[1].rsplit('/', 1)[-1] or f[1]} {f[2] / 1024:.1f}" for f in biggest)
        lines.append(
            f"{w.name:<26}{len(w.files):>6}{html / 1024:>9.1f}{w.total / 1024:>10.1f}   {parts}"
        )
    return "\n".join(lines)


def main() -> int:
    os.environ.setdefault("ALLIANCE_DATA_DIR", tempfile.mkdtemp(prefix="alliance-weight-"))
    os.environ["ALLIANCE_TESTING"] = "1"  # static files from source; fast password hashing
    os.environ.pop("DATABASE_URL", None)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings")
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from alliance.people.models import CareEpisode, Clinic, Role, User

    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(name="Harbour Clinic", timezone="America/Toronto")
    therapist = User.objects.create_user(
        "teresa@example.org", "x" * 20, full_name="Teresa Tran", role=Role.THERAPIST, clinic=clinic
    )
    client = User.objects.create_user(
        "carla@example.org", "x" * 20, full_name="Carla Client", role=Role.CLIENT, clinic=clinic
    )
    episode = CareEpisode.objects.create(clinic=clinic, client=client, therapist=therapist)
    pages = client_pages(client, episode)
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(client)
    known: dict[str, int] = {}
    weights = [weigh(browser, name, url, known) for name, url in pages.items()]
    print(_report(weights))
    print()
    print(_report([worker_install(browser)]))
    over = [w.name for w in weights if w.total > LIMIT]
    verdict = "over: " + ", ".join(over) if over else "all under"
    print(f"\nlimit {LIMIT / 1024:.0f} KB per page: {verdict}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
