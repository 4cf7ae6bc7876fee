"""Load test: concurrent check-ins over HTTP, a server crash mid-run, and nothing lost.

Builds a fresh SQLite data folder (``benchmarks/build.py``): a synthetic clinic of ``--clients``
clients with ``--weeks`` of history, alerts from ``signals_recompute()``, and ``--open`` sessions
per active client whose check-ins are open and unanswered. Starts ``alliance serve`` on
127.0.0.1 (a free port; ``--server-workers`` processes of ``--threads`` threads, by default
``alliance serve``'s own: 2 x cores + 1 processes of one thread; production settings: Argon2,
no test shortcuts) and logs in ``--logins`` clients through the login form before any timing.

Then ``--workers`` threads submit check-ins as browsers would, each client one at a time: GET
the form (CSRF token and the hidden ``form_token``), POST the answers, and count a 302 to the
thanks page as acknowledged. Some posts are replayed on purpose with the same ``form_token``
(``--replay``: sent again after the 302; ``--double``: sent twice at once, a double click).
At ``--kill-after`` seconds the server's master process gets SIGKILL (its workers die with
it) and the server is started again; every request that
got no answer is retried with the same ``form_token``, as a browser resubmits. The run stops
after ``--duration`` seconds or ``--submissions`` submissions, whichever comes first.

Last, the database is read directly: every acknowledged submission must be stored exactly once,
by ``form_token`` and by session, with the answers that were sent. Prints submissions per second
(steady part: from one second after the start until the kill), acknowledged, stored, lost,
duplicates and errors, and exits 1 on any loss, duplicate or error. Target: zero losses and at
least 200 submissions/s on SQLite. ``--profile`` then profiles the server side of 100
submissions in-process (Django test client, no HTTP) to show what dominates.

Each client also sends ``--diary-days`` diary cards (today and the days before, one after every
five check-ins): GET ``/diary/?day=``, POST "Done for today", a 302 to the done page counts as
acknowledged; they are checked in the database the same way (one card per client and day, with
the form token and answers sent).

Run from the repository root (SQLite only; ``DATABASE_URL`` is ignored)::

    python -m benchmarks.load
    python -m benchmarks.load --duration 30 --submissions 6000 --workers 24 --profile
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

# Nothing from Django or alliance at module level: build.configure() sets the environment first.
from benchmarks import build

HOST = "127.0.0.1"
PASSWORD = "load-test-password-2026"  # noqa: S105 - synthetic clients on loopback
TARGET_RATE = 200.0
WARMUP_SECONDS = 1.0
GIVE_UP_SECONDS = 60.0  # after the end of the run, retries of unanswered requests stop
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
# The earlier moment the follow-up question names; a browser sends it back as a hidden field.
_FOLLOWUP_ALERT = re.compile(r'name="followup_alert" value="([^"]+)"')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200, help="clients in the clinic (N)")
    parser.add_argument("--logins", type=int, default=64, help="clients logged in (K)")
    parser.add_argument("--open", type=int, default=60, help="open check-ins per active client")
    parser.add_argument(
        "--diary-days", type=int, default=7, help="diary cards per client (today and before)"
    )
    parser.add_argument("--weeks", type=int, default=26, help="weeks of history per client")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of submissions")
    parser.add_argument("--submissions", type=int, default=3000, help="at most this many")
    parser.add_argument("--workers", type=int, default=16, help="concurrent browser threads")
    parser.add_argument(
        "--server-workers",
        type=int,
        help="alliance serve --workers (default: alliance serve's own, 2 x cores + 1)",
    )
    parser.add_argument(
        "--threads", type=int, help="threads per server process (default: alliance serve's own)"
    )
    parser.add_argument("--kill-after", type=float, help="seconds (default: half the duration)")
    parser.add_argument("--replay", type=float, default=0.05, help="share posted again after 302")
    parser.add_argument("--double", type=float, default=0.02, help="share posted twice at once")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data-dir", help="keep the data folder here (default: temp, removed)")
    parser.add_argument("--profile", action="store_true", help="profile 100 submissions after")
    args = parser.parse_args(argv)
    if args.logins > args.clients:
        parser.error("--logins cannot exceed --clients")
    if args.kill_after is None:
        args.kill_after = args.duration / 2
    return args


# --- the browser side ----------------------------------------------------------------------


class Disconnected(Exception):
    """No HTTP answer: refused, reset, or the connection died mid-request."""


CHECKIN, DIARY = "check-in", "diary card"


class Browser:
    """One client: their cookie jar (session and CSRF cookies) and what they will send."""

    def __init__(self, email: str, tasks: list[tuple[str, str]]) -> None:
        self.email = email
        self.tasks = deque(tasks)  # (CHECKIN, session id) or (DIARY, day as YYYY-MM-DD)
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def remember(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value


class Link:
    """A keep-alive HTTP connection of one worker thread; reopened after any failure."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, browser: Browser, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        headers = {"Cookie": browser.cookie_header()}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise Disconnected(str(error)) from None
        browser.remember(response)
        if response.will_close:
            self.close()
        return response.status, response.getheader("Location", ""), text

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Submission:
    browser: Browser
    kind: str  # CHECKIN or DIARY
    key: str  # the session id, or the diary card's day
    answers: dict[str, str] = field(default_factory=dict)
    form_token: str = ""
    started: float = 0.0
    acked_at: float | None = None

    @property
    def path(self) -> str:
        return f"/checkins/{self.key}/" if self.kind == CHECKIN else f"/diary/?day={self.key}"

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.kind, self.browser.email, self.key)

    def acknowledged(self, status: int, location: str) -> bool:
        if status != 302:
            return False
        if self.kind == CHECKIN:
            return location.rstrip("/").endswith("/thanks")
        return "/diary/done/" in location

    def fill(self, html: str, index: int) -> None:
        if self.kind == CHECKIN:
            self.answers = answers_for(index, followup='name="followup_resolved"' in html)
            moment = _FOLLOWUP_ALERT.search(html)
            if moment is not None:
                self.answers["followup_alert"] = moment.group(1)
        else:
            self.answers = {**diary_answers_for(index), "day": self.key, "action": "submit"}


@dataclass
class Tally:
    """Everything the workers observed; one lock, held only for counting."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    started: int = 0
    acked: dict[tuple[str, str, str], Submission] = field(default_factory=dict)  # by ident
    ack_times: list[float] = field(default_factory=list)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (ack time, seconds)
    replays: int = 0
    doubles: int = 0
    disconnects: int = 0
    resubmitted: int = 0  # POSTs sent again with the same form_token after no answer
    errors: Counter[str] = field(default_factory=Counter)
    gave_up: list[Submission] = field(default_factory=list)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] += 1


class Control:
    """The run's clock and budget, and whether the server is (believed to be) up."""

    def __init__(self, *, duration: float, budget: int, replay: float, double: float) -> None:
        self.replay, self.double = replay, double
        self.t0 = time.monotonic()
        self.deadline = self.t0 + duration
        self.give_up_at = self.deadline + GIVE_UP_SECONDS
        self.budget = budget
        self.server_up = threading.Event()
        self.server_up.set()

    def now(self) -> float:
        return time.monotonic() - self.t0

    def claim(self, tally: Tally) -> bool:
        with tally.lock:
            if tally.started >= self.budget or time.monotonic() >= self.deadline:
                return False
            tally.started += 1
            return True

    def wait_for_server(self) -> None:
        self.server_up.wait(timeout=5)
        time.sleep(0.02)  # refused connections come back at once: don't spin

    def giving_up(self) -> bool:
        return time.monotonic() >= self.give_up_at


def answers_for(index: int, *, followup: bool) -> dict[str, str]:
    """Deterministic answers: mostly settled sessions, every tenth with some tension."""
    answers = {
        "bond": str(4 + index % 3),
        "tasks": str(5 + index % 2),
        "goals": str(4 + (index // 3) % 3),
        "tension": "0",
        "comment": "Felt heard today." if index % 5 == 0 else "",
    }
    if index % 10 == 7:
        answers.update(tension="2", talked="1", resolved="2")
    if followup:
        answers["followup_resolved"] = "2"
    return answers


# The diary card's answers that are checked in the database after the run.
DIARY_CHECKED = ("anger", "joy", "skills_code")


def diary_answers_for(index: int) -> dict[str, str]:
    """A calm day's card (no risk answer, so no crisis alert), varied by ``index``."""
    return {
        "urge_suicide": "0",
        "acted_suicide": "no",
        "urge_self_harm": str(index % 2),
        "acted_self_harm": "no",
        "urge_substance": str(index % 3),
        "acted_substance": "no",
        "urge_quit": "0",
        "anger": str(index % 6),
        "fear": "1",
        "joy": str((index // 2) % 6),
        "sadness": "2",
        "shame": "1",
        "emotional_misery": "2",
        "physical_misery": "1",
        "medication": "yes",
        "skills_code": str(index % 8),
        "note": "Used a skill at work." if index % 4 == 0 else "",
    }


def post(link: Link, sub: Submission, form: dict[str, str], tally: Tally, ctl: Control) -> str:
    """POST until the server answers; a lost answer is resubmitted with the same form_token."""
    first = True
    while True:
        if not first:
            with tally.lock:
                tally.resubmitted += 1
        first = False
        try:
            status, location, _ = link.request(sub.browser, "POST", sub.path, form)
        except Disconnected:
            with tally.lock:
                tally.disconnects += 1
            if ctl.giving_up():
                return "gave up"
            ctl.wait_for_server()
            continue
        if sub.acknowledged(status, location):
            return "ok"
        return f"POST {sub.kind} {status}"


def submit(
    link: Link, spare: Link, sub: Submission, tally: Tally, ctl: Control, index: int
) -> None:
    rng = random.Random(index)
    while True:
        try:
            status, location, html = link.request(sub.browser, "GET", sub.path)
            break
        except Disconnected:
            with tally.lock:
                tally.disconnects += 1
            if ctl.giving_up():
                with tally.lock:
                    tally.gave_up.append(sub)
                return
            ctl.wait_for_server()
    csrf, token = _CSRF.search(html), _FORM_TOKEN.search(html)
    if status != 200 or csrf is None or token is None:
        tally.error(f"GET {sub.kind} form {status} {location}".strip())
        return
    sub.form_token = token.group(1)
    sub.fill(html, index)
    form = {**sub.answers, "csrfmiddlewaretoken": csrf.group(1), "form_token": sub.form_token}

    if rng.random() < ctl.double:
        # A double click: the same form sent twice at once, on two connections.
        other: list[str] = []
        twin = threading.Thread(target=lambda: other.append(post(spare, sub, form, tally, ctl)))
        twin.start()
        outcome = post(link, sub, form, tally, ctl)
        twin.join()
        with tally.lock:
            tally.doubles += 1
        if other[0] != "ok":
            tally.error(f"double {other[0]}")
    else:
        outcome = post(link, sub, form, tally, ctl)
    if outcome == "gave up":
        with tally.lock:
            tally.gave_up.append(sub)
        return
    if outcome != "ok":
        tally.error(outcome)
        return
    sub.acked_at = ctl.now()
    with tally.lock:
        tally.acked[sub.ident] = sub
        tally.ack_times.append(sub.acked_at)
        tally.latencies.append((sub.acked_at, sub.acked_at - sub.started))
    if rng.random() < ctl.replay:
        # The back button and "send" again: the same form_token must store nothing new.
        replayed = post(link, sub, form, tally, ctl)
        with tally.lock:
            tally.replays += 1
        if replayed != "ok":
            tally.error(f"replay {replayed}")


def worker(browsers: list[Browser], port: int, tally: Tally, ctl: Control, base: int) -> None:
    """Round-robin over this worker's clients, one submission at a time each."""
    link, spare = Link(port), Link(port)
    index = base
    try:
        while any(b.tasks for b in browsers):
            for browser in browsers:
                if not browser.tasks:
                    continue
                if not ctl.claim(tally):
                    return
                kind, key = browser.tasks.popleft()
                sub = Submission(browser, kind, key, started=ctl.now())
                submit(link, spare, sub, tally, ctl, index)
                index += 1
    finally:
        link.close()
        spare.close()


def login(port: int, browser: Browser) -> None:
    link = Link(port)
    try:
        status, _, html = link.request(browser, "GET", "/login/")
        csrf = _CSRF.search(html)
        if status != 200 or csrf is None:
            raise RuntimeError(f"GET /login/ answered {status} without a CSRF token")
        form = {"username": browser.email, "password": PASSWORD, "csrfmiddlewaretoken": csrf[1]}
        status, _, _ = link.request(browser, "POST", "/login/", form)
        home, _, _ = link.request(browser, "GET", "/me/")
        if status != 302 or home != 200:
            raise RuntimeError(f"login of {browser.email} failed (POST {status}, /me/ {home})")
    finally:
        link.close()


def login_all(port: int, browsers: list[Browser]) -> None:
    for browser in browsers:
        login(port, browser)


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(
    port: int, threads: int | None, log: TextIO, *, workers: int | None
) -> subprocess.Popen[bytes]:
    exe = shutil.which("alliance")
    command = [exe] if exe else [sys.executable, "-m", "alliance.cli"]
    command += ["serve", "--host", HOST, "--port", str(port)]
    if threads is not None:
        command += ["--threads", str(threads)]
    if workers is not None:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"alliance serve exited with {server.returncode}; see {log.name}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return server
            conn.close()
        except OSError:
            pass
        time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"alliance serve did not answer /healthz within 60 s; see {log.name}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- the clinic ----------------------------------------------------------------------------


@dataclass
class Prepared:
    browsers: list[Browser]
    spare: dict[str, list[tuple[str, str]]]  # the tasks of clients not logged in, by email
    open_sessions: int
    history_checkins: int


DIARY_EVERY = 5  # one diary card after every five check-ins, while the client has cards left


def _tasks(sessions: list[str], days: list[str]) -> list[tuple[str, str]]:
    tasks: list[tuple[str, str]] = []
    cards = deque(days)
    for i, session_id in enumerate(sessions, start=1):
        tasks.append((CHECKIN, session_id))
        if i % DIARY_EVERY == 0 and cards:
            tasks.append((DIARY, cards.popleft()))
    return tasks + [(DIARY, day) for day in cards]


def prepare(args: argparse.Namespace) -> Prepared:
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.db import connections, transaction
    from django.db.models import Max
    from django.utils import timezone

    from alliance.core import diary as card_def
    from alliance.core import synthetic
    from alliance.people.models import CareEpisode, EpisodeStatus, Session, SessionStatus, User
    from alliance.ruptures.services import signals_recompute

    now = timezone.now().replace(microsecond=0)
    n_therapists = max(1, args.clients // 25)
    shell = synthetic.generate_clinic(
        seed=args.seed, n_therapists=n_therapists, n_clients=0, weeks=args.weeks, now=now,
        fixed_people=False,
    )  # fmt: skip
    clients = synthetic.iter_clients(
        seed=args.seed, n_therapists=n_therapists, n_clients=args.clients, weeks=args.weeks,
        now=now, fixed_people=False,
    )  # fmt: skip
    built = build.build_clinic(
        name=shell.name, therapists=shell.therapists, clients=clients, now=now
    )
    recomputed = signals_recompute()
    episodes = list(
        CareEpisode.objects.filter(clinic_id=built.clinic_id, status=EpisodeStatus.ACTIVE)
        .annotate(last=Max("sessions__number"))
        .select_related("client")
        .order_by("client__email")
    )
    window = timedelta(hours=72)
    opens = now - timedelta(hours=1)
    rows = build.RowWriter(
        Session,
        ("id", "episode_id", "number", "scheduled_at", "status", "status_changed_at",
         "checkin_opens_at", "checkin_closes_at"),
    )  # fmt: skip
    by_email: dict[str, list[tuple[str, str]]] = {}
    days = min(args.diary_days, card_def.BACKFILL_DAYS)  # a day's margin if midnight passes
    for episode in episodes:
        ids = []
        for j in range(args.open):
            session_id = uuid.uuid4()
            scheduled = opens - timedelta(minutes=50 + args.open - j)
            rows.add(session_id, episode.id, (episode.last or 0) + 1 + j, scheduled,
                     SessionStatus.ATTENDED, opens, opens, opens + window)  # fmt: skip
            ids.append(str(session_id))
        today = card_def.local_day(now, episode.client.zone)
        cards = [(today - timedelta(days=back)).isoformat() for back in range(days)]
        by_email[episode.client.email] = _tasks(ids, cards)
    with transaction.atomic():
        rows.flush()
    emails = sorted(by_email)[: args.logins]
    if len(emails) < args.logins:
        raise SystemExit(f"only {len(emails)} active clients; lower --logins or raise --clients")
    User.objects.filter(email__in=emails).update(password=make_password(PASSWORD))
    connections.close_all()
    print(
        f"build: {built.clients} clients ({len(episodes)} active), {args.weeks} weeks, "
        f"{built.sessions} sessions, {built.checkins} check-ins, "
        f"{recomputed.alerts_created} alerts, + {len(episodes) * args.open} open check-ins "
        f"and {days} diary days per active client, in {built.seconds:.1f} s"
    )
    return Prepared(
        browsers=[Browser(email, by_email[email]) for email in emails],
        spare={e: tasks for e, tasks in by_email.items() if e not in set(emails)},
        open_sessions=len(episodes) * args.open,
        history_checkins=built.checkins,
    )


# --- verification --------------------------------------------------------------------------


@dataclass
class Verdict:
    acknowledged: Counter[str]
    stored: Counter[str]
    lost: list[tuple[str, str, str]]
    duplicates: int
    wrong_answers: list[tuple[str, str, str]]
    unacknowledged_stored: int


def verify(tally: Tally, browsers: list[Browser], attempted: list[str]) -> Verdict:
    """Read the database directly: each acknowledged submission stored exactly once, as sent.

    ``attempted`` holds the session ids the run could have answered; diary cards are looked up
    for the run's clients (the build makes none).
    """
    from django.db import connections
    from django.db.models import Count

    from alliance.checkins.models import CheckIn
    from alliance.diary.models import DiaryCard, DiaryStatus

    # ident -> [(form token, answers checked)] for everything stored
    stored: dict[tuple[str, str, str], list[tuple[str, tuple[int | None, ...]]]] = {}
    for start in range(0, len(attempted), 500):
        rows = CheckIn.objects.filter(session_id__in=attempted[start : start + 500]).values_list(
            "client__email", "session_id", "form_token", "bond", "tasks", "goals", "tension"
        )
        for email, session_id, token, *numbers in rows:
            ident = (CHECKIN, email, str(session_id))
            stored.setdefault(ident, []).append((str(token), tuple(numbers)))
    cards = DiaryCard.objects.filter(
        client__email__in=[b.email for b in browsers], status=DiaryStatus.SUBMITTED
    ).values_list("client__email", "day", "form_token", *DIARY_CHECKED)
    for email, day, token, *numbers in cards:
        stored.setdefault((DIARY, email, day.isoformat()), []).append((str(token), tuple(numbers)))
    token_dupes = (
        CheckIn.objects.values("form_token").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    lost, wrong = [], []
    for ident, sub in tally.acked.items():
        found = [numbers for token, numbers in stored.get(ident, []) if token == sub.form_token]
        if not found:
            lost.append(ident)
            continue
        keys = ("bond", "tasks", "goals", "tension") if sub.kind == CHECKIN else DIARY_CHECKED
        if found[0] != tuple(int(sub.answers[k]) for k in keys):
            wrong.append(ident)
    connections.close_all()
    return Verdict(
        acknowledged=Counter(kind for kind, _, _ in tally.acked),
        stored=Counter(kind for (kind, _, _), rows in stored.items() for _ in rows),
        lost=lost,
        duplicates=token_dupes + sum(len(rows) - 1 for rows in stored.values() if len(rows) > 1),
        wrong_answers=wrong,
        unacknowledged_stored=sum(1 for ident in stored if ident not in tally.acked),
    )


# --- profile -------------------------------------------------------------------------------

# Functions on a submission's server path whose cumulative time is shown (absent ones are
# skipped, so a rename elsewhere does not break the profile).
PROFILE_FUNCTIONS = (
    ("alliance/checkins/views.py", "checkin_view"),
    ("alliance/access.py", "get_session"),
    ("alliance/checkins/services.py", "followup_alert_for"),
    ("django/template/backends/django.py", "render"),
    ("alliance/checkins/services.py", "checkin_submit"),
    ("alliance/ruptures/services.py", "signals_on_checkin"),
    ("alliance/ruptures/services.py", "_apply_followup"),
    ("alliance/ruptures/services.py", "episode_points"),
    ("alliance/ruptures/services.py", "alerts_upsert"),
    ("alliance/core/signals.py", "detect_for_latest"),
    ("alliance/audit/recorder.py", "flush"),
    ("alliance/audit/recorder.py", "audit_record"),
    ("alliance/diary/views.py", "diary_view"),
    ("alliance/diary/selectors.py", "client_card_page"),
    ("alliance/diary/services.py", "diary_card_submit"),
    ("alliance/outcomes/safety.py", "rules_for"),
    ("alliance/crypto.py", "encrypt"),
    ("alliance/crypto.py", "decrypt"),
    ("~", "<method 'commit' of 'sqlite3.Connection' objects>"),
)


def _area(filename: str, func: str) -> str:
    if filename == "~":
        return "sqlite3 (C)" if "sqlite3" in func else "builtins (C)"
    for area in ("django/db/", "django/template/", "django/", "alliance/core/", "alliance/"):
        if f"/{area}" in filename:
            return area.rstrip("/")
    return "other Python"


def _print_profile(label: str, profiler: Any, n: int, queries: list[str]) -> None:
    import pstats

    stats: Any = pstats.Stats(profiler)
    entries = stats.stats.items()
    total = sum(tt for (_, _, tt, _, _) in stats.stats.values())
    writes = sum(1 for q in queries if q.startswith(("INSERT", "UPDATE", "DELETE")))
    commits = sum(1 for q in queries if q.startswith("COMMIT"))
    print(
        f"{label}: {total / n * 1000:.1f} ms per request under cProfile; "
        f"{len(queries)} SQL statements ({writes} writes, {commits} write transactions)"
    )
    areas: Counter[str] = Counter()
    for (filename, _, func), (_, _, tt, _, _) in entries:
        areas[_area(filename, func)] += tt
    print("  own time by area: " + ", ".join(
        f"{area} {tt / n * 1000:.1f} ms" for area, tt in areas.most_common(6)
    ))  # fmt: skip
    for suffix, name in PROFILE_FUNCTIONS:
        spent = max(
            (
                ct
                for (f, _, func), (_, _, _, ct, _) in entries
                if func == name and f.endswith(suffix)
            ),
            default=0.0,
        )
        if spent:
            where = "sqlite3 commit" if suffix == "~" else f"{suffix}:{name}"
            print(f"    {spent / n * 1000:6.2f} ms  {where}")


def profile(prepared: Prepared, n: int = 100) -> None:
    """Server side of ``n`` submissions of each kind, in-process (no HTTP, no threads).

    Timed first without the profiler, then the SQL of one submission is captured, then ``n``
    more run under cProfile. Django's test client, unlike a server, keeps one database
    connection for the whole loop, so connection set-up per request is not in these figures.
    """
    from alliance.people.models import User

    users = {u.email: u for u in User.objects.filter(email__in=prepared.spare)}
    for kind in (CHECKIN, DIARY):
        work = [
            (users[e], key) for e, tasks in prepared.spare.items() for k, key in tasks if k == kind
        ]
        count = min(n, (len(work) - 1) // 2)
        if count < 10:
            print(f"profile: {kind}: skipped, only {len(work)} left outside the run")
            continue
        _profile_kind(kind, work, count)


def _profile_kind(kind: str, work: list[tuple[Any, str]], n: int) -> None:
    import cProfile

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    times: dict[str, list[float]] = {"GET": [], "POST": []}
    current: list[Any] = [None]

    def one(user: Any, key: str, index: int, hooks: dict[str, Any]) -> None:
        if user != current[0]:
            client.force_login(user)
            current[0] = user
        sub = Submission(Browser(user.email, []), kind, key)
        with hooks["GET"]:
            started = time.perf_counter()
            page = client.get(sub.path)
            times["GET"].append(time.perf_counter() - started)
        html = page.content.decode()
        token = _FORM_TOKEN.search(html)
        assert page.status_code == 200 and token, (kind, page.status_code)
        sub.fill(html, index)
        with hooks["POST"]:
            started = time.perf_counter()
            done = client.post(sub.path, {**sub.answers, "form_token": token[1]})
            times["POST"].append(time.perf_counter() - started)
        assert sub.acknowledged(done.status_code, done.get("Location", "")), (kind, done)

    plain = {"GET": _Nothing(), "POST": _Nothing()}
    for i, (user, key) in enumerate(work[:n]):
        one(user, key, i, plain)
    get_ms = statistics.median(times["GET"]) * 1000
    post_ms = statistics.median(times["POST"]) * 1000
    print(
        f"--- {kind}, server side in-process, {n} without a profiler: median GET "
        f"{get_ms:.1f} ms + POST {post_ms:.1f} ms = {get_ms + post_ms:.1f} ms, so at most "
        f"{1000 / (get_ms + post_ms):.0f} per second per Python process (one GIL) ---"
    )
    captured = {"GET": CaptureQueriesContext(connection), "POST": CaptureQueriesContext(connection)}
    one(*work[n], n, captured)
    # Read now: every later request resets Django's query log.
    sql = {method: [q["sql"] for q in c.captured_queries] for method, c in captured.items()}
    profilers = {"GET": cProfile.Profile(), "POST": cProfile.Profile()}
    for i, (user, key) in enumerate(work[n + 1 : 2 * n + 1]):
        one(user, key, n + 1 + i, profilers)
    path = "/checkins/<id>/" if kind == CHECKIN else "/diary/?day=<day>"
    for method in ("GET", "POST"):
        _print_profile(f"{method} {path}", profilers[method], n, sql[method])


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# --- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.environ.pop("DATABASE_URL", None):
        print("load: ignoring DATABASE_URL; this benchmark runs on SQLite in a fresh folder")
    # Production settings, as `alliance serve` runs for a clinic: no test shortcuts.
    os.environ.pop("ALLIANCE_TESTING", None)
    os.environ["ALLIANCE_DEBUG"] = "0"
    os.environ.setdefault("ALLIANCE_SECRET_KEY", secrets.token_urlsafe(60))
    if not os.environ.get("ALLIANCE_ENCRYPTION_KEYS"):
        from cryptography.fernet import Fernet

        os.environ["ALLIANCE_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    os.environ["ALLIANCE_SECURE_COOKIES"] = "false"  # plain HTTP on loopback
    os.environ["ALLIANCE_ALLOWED_HOSTS"] = HOST
    data_dir = build.configure(args.data_dir)
    print(f"database: {build.database_label()}")
    prepared = prepare(args)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load} before the run")

    port = free_port()
    log_path = data_dir / "server.log"
    with log_path.open("a") as log:
        server = start_server(port, args.threads, log, workers=args.server_workers)
        try:
            started = time.perf_counter()
            for_login = list(prepared.browsers)
            login_threads = [
                threading.Thread(target=login_all, args=(port, for_login[i :: args.workers]))
                for i in range(args.workers)
            ]
            for t in login_threads:
                t.start()
            for t in login_threads:
                t.join()
            missing = [b.email for b in prepared.browsers if "sessionid" not in b.cookies]
            if missing:
                raise SystemExit(f"login failed for {len(missing)} clients, e.g. {missing[0]}")
            seconds = time.perf_counter() - started
            print(
                f"logins: {len(prepared.browsers)} clients through /login/ (Argon2) in "
                f"{seconds:.1f} s, before timing"
            )
            server, run = drive(args, prepared, port, server, log)
        finally:
            stop_server(server)
    attempted = [key for tasks in run.assigned.values() for kind, key in tasks if kind == CHECKIN]
    verdict = verify(run.tally, prepared.browsers, attempted)
    failed = report(args, run, verdict)
    if args.profile:
        profile(prepared)
    if not args.data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 1 if failed else 0


@dataclass
class Run:
    tally: Tally
    ctl: Control
    assigned: dict[str, list[tuple[str, str]]]
    kill_at: float | None = None
    in_flight_at_kill: int = 0
    restart_seconds: float = 0.0
    ended_at: float = 0.0
    cpu: tuple[float, float] | None = None  # (server, load generator) CPU ms per submission
    server_processes: int = 0


def _stat_fields(pid: int) -> list[str]:
    """Linux /proc/<pid>/stat after the command name: field 3 (state) comes first."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (fields 14 and 15), 0 once it has gone."""
    try:
        fields = _stat_fields(pid)
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def server_processes(pid: int) -> list[int]:
    """The server's master ``pid`` and its worker processes (children, by parent pid)."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds used so far by the server and by this process, and submissions acknowledged."""

    server: float
    generator: float
    acked: int

    @classmethod
    def take(cls, pid: int, tally: Tally) -> CpuSample:
        times = os.times()
        server = (
            sum(_cpu_seconds(p) for p in server_processes(pid))
            if Path("/proc").is_dir()
            else float("nan")
        )
        with tally.lock:
            acked = len(tally.acked)
        return cls(server=server, generator=times.user + times.system, acked=acked)

    def per_submission_since(self, earlier: CpuSample) -> tuple[float, float] | None:
        done = self.acked - earlier.acked
        if done <= 0:
            return None
        return (
            (self.server - earlier.server) / done * 1000,
            (self.generator - earlier.generator) / done * 1000,
        )


def drive(
    args: argparse.Namespace,
    prepared: Prepared,
    port: int,
    server: subprocess.Popen[bytes],
    log: TextIO,
) -> tuple[subprocess.Popen[bytes], Run]:
    tally = Tally()
    assigned = {b.email: list(b.tasks) for b in prepared.browsers}
    ctl = Control(
        duration=args.duration, budget=args.submissions, replay=args.replay, double=args.double
    )
    run = Run(tally=tally, ctl=ctl, assigned=assigned)
    groups = [prepared.browsers[i :: args.workers] for i in range(args.workers)]
    threads = [
        threading.Thread(target=worker, args=(group, port, tally, ctl, i * 1_000_000), daemon=True)
        for i, group in enumerate(groups)
        if group
    ]
    for t in threads:
        t.start()
    while ctl.now() < WARMUP_SECONDS and any(t.is_alive() for t in threads):
        time.sleep(0.01)
    first = CpuSample.take(server.pid, tally)
    run.server_processes = len(server_processes(server.pid))
    # The crash: SIGKILL at --kill-after, then the server starts again on the same port.
    while ctl.now() < args.kill_after and any(t.is_alive() for t in threads):
        time.sleep(0.01)
    run.cpu = CpuSample.take(server.pid, tally).per_submission_since(first)
    if any(t.is_alive() for t in threads):
        with tally.lock:
            run.in_flight_at_kill = tally.started - len(tally.acked) - sum(tally.errors.values())
        run.kill_at = ctl.now()
        ctl.server_up.clear()
        server.send_signal(signal.SIGKILL)
        server.wait()
        restarted = time.perf_counter()
        server = start_server(port, args.threads, log, workers=args.server_workers)
        run.restart_seconds = time.perf_counter() - restarted
        ctl.server_up.set()
    for t in threads:
        t.join()
    run.ended_at = ctl.now()
    return server, run


def report(args: argparse.Namespace, run: Run, verdict: Verdict) -> bool:
    tally = run.tally
    steady_end = run.kill_at if run.kill_at is not None else run.ended_at
    steady = [t for t in tally.ack_times if WARMUP_SECONDS <= t < steady_end]
    rate = len(steady) / max(steady_end - WARMUP_SECONDS, 1e-9)
    overall = len(tally.ack_times) / max(run.ended_at, 1e-9)
    latencies = [s for t, s in tally.latencies if WARMUP_SECONDS <= t < steady_end]
    errors = sum(tally.errors.values()) + len(tally.gave_up)
    acknowledged, stored = verdict.acknowledged.total(), verdict.stored.total()
    print(
        f"run: {args.workers} browser threads; server: {run.server_processes} processes "
        f"(master and workers), {args.threads or 'default'} threads each; "
        f"{tally.started} submissions started in {run.ended_at:.1f} s"
    )
    if run.kill_at is None:
        print("kill: the run ended before --kill-after; no crash was tested")
    else:
        print(
            f"kill: SIGKILL at {run.kill_at:.1f} s with about {run.in_flight_at_kill} "
            f"submissions in flight; restarted and healthy in {run.restart_seconds:.2f} s; "
            f"{tally.disconnects} requests got no answer, {tally.resubmitted} POSTs resubmitted "
            "with the same form_token"
        )
    if latencies:
        print(
            f"latency (GET form + POST, steady part): median "
            f"{statistics.median(latencies) * 1000:.0f} ms, "
            f"p90 {build.percentile(latencies, 0.9) * 1000:.0f} ms"
        )
    if run.cpu is not None:
        server_ms, generator_ms = run.cpu
        print(
            f"cpu (steady part): server {server_ms:.1f} ms, load generator {generator_ms:.1f} ms "
            f"per submission ({os.cpu_count()} cores)"
        )
    print(
        f"replays: {tally.replays} posted again after the 302, {tally.doubles} double clicks "
        "(two posts at once)"
    )
    if tally.errors:
        print(f"errors: {dict(tally.errors)}")
    if tally.gave_up:
        print(f"gave up: {len(tally.gave_up)} submissions still unanswered {GIVE_UP_SECONDS:.0f} s "
              "after the end")  # fmt: skip
    if verdict.wrong_answers:
        print(f"stored with other answers than sent: {len(verdict.wrong_answers)}")
    if verdict.unacknowledged_stored:
        print(f"stored but never acknowledged (not a loss): {verdict.unacknowledged_stored}")
    for kind in (CHECKIN, DIARY):
        lost = sum(1 for k, _, _ in verdict.lost if k == kind)
        print(
            f"{kind}s: acknowledged {verdict.acknowledged[kind]}, stored {verdict.stored[kind]}, "
            f"lost {lost}"
        )
    met = "met" if rate >= TARGET_RATE else "MISSED"
    print(
        f"result: submissions/s={rate:.0f} (steady; {overall:.0f} over the whole run) "
        f"acknowledged={acknowledged} stored={stored} lost={len(verdict.lost)} "
        f"duplicates={verdict.duplicates} errors={errors}"
    )
    print(f"target >= {TARGET_RATE:.0f} submissions/s on SQLite: {met}; zero losses: "
          f"{'met' if not verdict.lost else 'MISSED'}")  # fmt: skip
    return bool(verdict.lost or verdict.duplicates or verdict.wrong_answers or errors)


if __name__ == "__main__":
    sys.exit(main())
