"""Page speed over HTTP, as a ratio to a bare Django hello-world served the same way.

Builds a fresh SQLite data folder with ``benchmarks/build.py``'s generator: one therapist with
``--active`` active clients (60) and ``--weeks`` (104) of weekly history, alerts from
``signals_recompute()``, and one open check-in for the client with the most history. Starts
``alliance serve`` on 127.0.0.1 (``alliance serve``'s own workers and threads unless
``--server-workers`` / ``--threads``; production settings: no test shortcuts), then the same
server code (``alliance.server.serve``: gunicorn, the same workers and options) on a Django
project of one view that answers ``Hello, world`` with no middleware.

Each page is then requested for ``--seconds`` (5) by ``--concurrency`` (8) client processes,
each on one keep-alive connection, as the signed-in client or therapist (sessions made
in-process with ``force_login``, plus a verified authenticator for the therapist, as
``benchmarks/caseload.py`` does), gzip accepted as a browser does. Every answer must be a
200 with the page's own text, or the run fails. Prints requests/s per page and each page's
ratio to the hello-world measured in the same run (before and after the pages, the mean of
both), against the targets: client home >= 10 %, check-in form >= 15 %, caseload of 60
clients >= 3 %.

Then the transfer size of each main page (client home, check-in form, diary card, caseload,
client detail, alert page) without and with ``Accept-Encoding: gzip``, and the cache headers
of a static file.

Run from the repository root::

    python -m benchmarks.pages
    python -m benchmarks.pages --seconds 10 --concurrency 12 --profile
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import multiprocessing
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Nothing from Django or alliance at module level: build.configure() sets the environment first.
from benchmarks import build
from benchmarks.load import HOST, free_port, start_server, stop_server

TARGETS = {"client home": 0.10, "check-in form": 0.15, "caseload (60 clients)": 0.03}

HELLO = """
import sys

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="hello-world-benchmark-" + "x" * 40,
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
)

import django
from django.http import HttpResponse
from django.urls import path


def hello(request):
    return HttpResponse("Hello, world")


urlpatterns = [path("", hello), path("healthz", hello)]

django.setup()
from django.core.wsgi import get_wsgi_application

# alliance.server serves ``alliance.wsgi.application``: give it this one instead.
wsgi = type(sys)("alliance.wsgi")
wsgi.application = get_wsgi_application()
sys.modules["alliance.wsgi"] = wsgi
from alliance.server import serve

sys.exit(serve("127.0.0.1", int(sys.argv[1]), workers=int(sys.argv[2]), threads=int(sys.argv[3])))
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--active", type=int, default=60, help="active clients of the therapist")
    parser.add_argument("--weeks", type=int, default=104, help="weeks of weekly history")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--seconds", type=float, default=5.0, help="per page")
    parser.add_argument("--concurrency", type=int, default=8, help="client processes")
    parser.add_argument("--server-workers", type=int, help="default: alliance serve's own")
    parser.add_argument("--threads", type=int, help="default: alliance serve's own")
    parser.add_argument("--data-dir", help="keep the data folder here (default: temp, removed)")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile 50 requests of each page in-process"
    )
    return parser.parse_args(argv)


@dataclass
class Page:
    label: str
    path: str
    cookie: str
    expect: str  # text the page must contain


# --- the load side: plain processes, each one keep-alive connection ---------------------------


def _hammer(port: int, page: Page, seconds: float, start_at: float, out: Any) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Cookie": page.cookie, "Accept-Encoding": "gzip"}
    expect = page.expect.encode()
    done = failed = 0
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    while time.time() < deadline:
        try:
            conn.request("GET", page.path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.getheader("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if response.status == 200 and expect in body:
                done += 1
            else:
                failed += 1
            if response.will_close:
                conn.close()
        except (OSError, http.client.HTTPException):
            failed += 1
            conn.close()
    conn.close()
    out.put((done, failed))


def measure(port: int, page: Page, seconds: float, concurrency: int) -> float:
    """Requests per second over ``seconds`` from ``concurrency`` client processes."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    start_at = time.time() + 0.5
    workers = [
        ctx.Process(target=_hammer, args=(port, page, seconds, start_at, out))
        for _ in range(concurrency)
    ]
    for w in workers:
        w.start()
    results = [out.get(timeout=seconds + 120) for _ in workers]
    for w in workers:
        w.join()
    done = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    if failed:
        raise SystemExit(f"{page.label}: {failed} answers were not a 200 with the page's text")
    return done / seconds


def fetch(port: int, page: Page, *, gzip_ok: bool) -> tuple[int, bytes, dict[str, str]]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Cookie": page.cookie}
    if gzip_ok:
        headers["Accept-Encoding"] = "gzip"
    conn.request("GET", page.path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    found = {k.lower(): v for k, v in response.getheaders()}
    conn.close()
    return response.status, body, found


# --- the clinic -----------------------------------------------------------------------------


def prepare(args: argparse.Namespace) -> dict[str, Page]:
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connections
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from alliance.core import synthetic
    from alliance.people.models import CareEpisode, Session, SessionStatus, User
    from alliance.ruptures.models import Alert
    from alliance.ruptures.services import signals_recompute
    from benchmarks.caseload import _until_active
    from benchmarks.caseload import login as staff_login

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    shell = synthetic.generate_clinic(
        seed=args.seed, n_therapists=1, n_clients=0, weeks=args.weeks, now=now,
        fixed_people=False,
    )  # fmt: skip
    clients = synthetic.iter_clients(
        seed=args.seed, n_therapists=1, n_clients=10 * args.active + 20, weeks=args.weeks,
        now=now, fixed_people=False,
    )  # fmt: skip
    built = build.build_clinic(
        name=shell.name,
        therapists=shell.therapists,
        clients=_until_active(clients, args.active),
        now=now,
    )
    recomputed = signals_recompute()
    therapist = User.objects.get(id=next(iter(built.therapist_ids.values())))
    active = CareEpisode.objects.filter(therapist=therapist, status="active")
    busiest = (
        active.annotate(n=Count("checkins"))
        .order_by("-n", "client__email")
        .select_related("client")
        .first()
    )
    assert busiest is not None
    last = Session.objects.filter(episode=busiest).order_by("-number").first()
    opened = timezone.now() - timedelta(minutes=30)
    session = Session.objects.create(
        episode=busiest,
        number=(last.number if last else 0) + 1,
        scheduled_at=opened - timedelta(minutes=50),
        status=SessionStatus.ATTENDED,
        status_changed_at=opened,
        checkin_opens_at=opened,
        checkin_closes_at=opened + timedelta(hours=72),
    )
    alert = Alert.objects.filter(episode=busiest).order_by("-created_at").first()
    assert alert is not None
    print(
        f"build: 1 therapist, {active.count()} active clients ({built.clients} in all), "
        f"{args.weeks} weeks, {built.sessions} sessions, {built.checkins} check-ins, "
        f"{recomputed.alerts_created} alerts; client home of {busiest.client.email}: "
        f"{busiest.n} check-ins"
    )

    def cookie_of(user: Any, *, staff: bool) -> str:
        browser = Client()
        if staff:
            staff_login(browser, user)
        else:
            browser.force_login(user)
        return f"sessionid={browser.cookies['sessionid'].value}"

    carla, teresa = cookie_of(busiest.client, staff=False), cookie_of(therapist, staff=True)
    # The caseload must list every active client as a client in care (a benchmark of an empty
    # list measured nothing: docs/performance.md, "After issue 8").
    call_command("collectstatic", interactive=False, verbosity=0)  # as `alliance serve` does
    browser = Client(HTTP_HOST=HOST)
    browser.cookies.load(teresa)
    listed = browser.get("/caseload/").content.decode().count('<li class="case attention-')
    assert listed == active.count() == args.active, (listed, active.count(), args.active)
    connections.close_all()
    return {
        "client home": Page("client home", "/me/", carla, "Your check-ins"),
        "check-in form": Page(
            "check-in form", f"/checkins/{session.id}/", carla, 'name="form_token"'
        ),
        "diary card": Page("diary card", "/diary/", carla, 'name="form_token"'),
        "caseload (60 clients)": Page("caseload (60 clients)", "/caseload/", teresa, "Caseload"),
        "client detail": Page(
            "client detail", f"/clients/{busiest.client_id}/", teresa, busiest.client.full_name
        ),
        "alert page": Page("alert page", f"/alerts/{alert.id}/", teresa, "Alert"),
    }


def start_hello(port: int, workers: int, threads: int, log: Any) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALLIANCE_", "DJANGO_"))}
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    server = subprocess.Popen(
        [sys.executable, "-c", HELLO, str(port), str(workers), str(threads)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the hello-world server exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                conn.close()
                return server
        except OSError:
            pass
        time.sleep(0.05)
    server.kill()
    raise RuntimeError("the hello-world server did not answer within 60 s")


def profile_pages(pages: dict[str, Page], n: int = 50) -> None:
    """cProfile of ``n`` requests per page through Django's test client (no HTTP)."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for page in pages.values():
        browser = Client(HTTP_HOST=HOST)
        browser.cookies.load(page.cookie)
        assert browser.get(page.path).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            browser.get(page.path)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(n):
            browser.get(page.path)
        profiler.disable()
        each = (time.perf_counter() - started) / n
        print(f"--- {page.label}: {each * 1000:.1f} ms/request in-process (profiled), "
              f"{len(queries.captured_queries)} queries ---")  # fmt: skip
        for q in queries.captured_queries:
            print(f"    {q['sql'][:150]}")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.pop("DATABASE_URL", None)
    # Production settings, as `alliance serve` runs for a clinic (as benchmarks/load.py).
    os.environ.pop("ALLIANCE_TESTING", None)
    os.environ["ALLIANCE_DEBUG"] = "0"
    os.environ.setdefault("ALLIANCE_SECRET_KEY", secrets.token_urlsafe(60))
    if not os.environ.get("ALLIANCE_ENCRYPTION_KEYS"):
        from cryptography.fernet import Fernet

        os.environ["ALLIANCE_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    os.environ["ALLIANCE_SECURE_COOKIES"] = "false"  # plain HTTP on loopback
    os.environ["ALLIANCE_ALLOWED_HOSTS"] = HOST
    data_dir = build.configure(args.data_dir)
    try:
        return run(args, data_dir)
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(args: argparse.Namespace, data_dir: Path) -> int:
    from alliance.server import GUNICORN_THREADS, default_workers

    print(f"database: {build.database_label()}")
    pages = prepare(args)
    workers = args.server_workers or default_workers()
    threads = args.threads or GUNICORN_THREADS
    print(
        f"servers: {workers} processes x {threads} thread(s) each; {args.concurrency} client "
        f"processes, {args.seconds:.0f} s per page"
    )
    print(build.load_line())
    rates: dict[str, float] = {}
    hello_rates: list[float] = []
    log_path = data_dir / "server.log"
    hello_page = Page("hello-world", "/", "", "Hello, world")
    with log_path.open("a") as log:
        hello_port = free_port()
        hello = start_hello(hello_port, workers, threads, log)
        try:
            hello_rates.append(measure(hello_port, hello_page, args.seconds, args.concurrency))
        finally:
            stop_server(hello)
        port = free_port()
        server = start_server(port, args.threads, log, workers=args.server_workers)
        try:
            for page in pages.values():
                if page.label in TARGETS:
                    rates[page.label] = measure(port, page, args.seconds, args.concurrency)
            sizes = []
            for page in pages.values():
                status, raw, _ = fetch(port, page, gzip_ok=False)
                status_gz, packed, headers = fetch(port, page, gzip_ok=True)
                assert status == status_gz == 200, (page.path, status, status_gz)
                assert page.expect.encode() in raw, page.path
                encoding = headers.get("content-encoding", "none")
                sizes.append((page.label, len(raw), len(packed), encoding))
            css = re.search(rb'href="(/static/[^"]+\.css)"', raw)
            static = None
            if css:
                static_page = Page("static", css[1].decode(), "", "")
                _, body, headers = fetch(port, static_page, gzip_ok=True)
                static = (css[1].decode(), len(body), headers)
        finally:
            stop_server(server)
        hello = start_hello(hello_port, workers, threads, log)
        try:
            hello_rates.append(measure(hello_port, hello_page, args.seconds, args.concurrency))
        finally:
            stop_server(hello)
    print(build.load_line())
    hello_rate = statistics.mean(hello_rates)
    print(
        f"hello-world: {hello_rate:,.0f} requests/s "
        f"(before {hello_rates[0]:,.0f}, after {hello_rates[1]:,.0f})"
    )
    failed = False
    for label, rate in rates.items():
        ratio = rate / hello_rate
        verdict = "met" if ratio >= TARGETS[label] else "MISSED"
        failed |= verdict != "met"
        print(
            f"{label}: {rate:,.1f} requests/s = {ratio:.1%} of hello-world "
            f"(target >= {TARGETS[label]:.0%}: {verdict})"
        )
    print("transfer (one response each; bytes on the wire without and with gzip):")
    for label, raw_size, packed_size, encoding in sizes:
        print(
            f"  {label}: {raw_size / 1024:.1f} KiB raw, {packed_size / 1024:.1f} KiB sent "
            f"with Accept-Encoding: gzip (Content-Encoding: {encoding})"
        )
    if static:
        path, size, headers = static
        print(
            f"  static {path}: {size / 1024:.1f} KiB sent, "
            f"Cache-Control: {headers.get('cache-control', '-')}, "
            f"Content-Encoding: {headers.get('content-encoding', 'none')}"
        )
    if args.profile:
        profile_pages(pages)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
