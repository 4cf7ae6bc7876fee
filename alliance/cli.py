"""The `alliance` console command: demo, serve, worker, stats, and Django's management commands.

Its commands and what each is for are listed once, in ``_usage()`` (what ``alliance --help``
prints). The words it prints are in the language of the environment (LANG, or
ALLIANCE_LANGUAGE; see alliance/cli_language.py). They are read with Python's gettext, since
most are printed before Django starts.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path

from alliance.cli_language import cli_gettext as _
from alliance.cli_language import cli_ngettext as ngettext
from alliance.cli_language import in_cli_language

DEFAULT_DATA_DIR = "./alliance-data"
# Documented in the README; the demo listens on loopback only.
DEMO_PASSWORD_DEFAULT = "alliance-demo-2026"  # noqa: S105


def _usage() -> str:
    """What `alliance` and `alliance --help` print: each command, and what it is for."""
    commands = [
        (
            "alliance demo [--data-dir DIR] [--port 8000] [--reset] [--no-serve] [--clients 12]",
            _("the demo clinic, with made-up people, on this computer"),
        ),
        (
            "alliance serve [--data-dir DIR] [--host 127.0.0.1] [--port 8000] [--workers N] "
            "[--threads N]",
            _("serve Alliance"),
        ),
        (
            "alliance worker [--once]",
            _("the task queue: messages, reminders, nightly signal recompute, ..."),
        ),
        ("alliance recompute-signals [--clinic NAME]", _("recompute the rupture signals")),
        (
            "alliance purge-reach-outs [--dry-run]",
            _("delete reach-out requests past their retention period"),
        ),
        (
            "alliance generate-key",
            _("a new key for ALLIANCE_ENCRYPTION_KEYS; no settings needed"),
        ),
        ("alliance rotate-keys [--check]", _("re-encrypt free text under the first key")),
        (
            "alliance stats change|sudden|ruptures FILE.csv [...]",
            _("no database; see docs/statistics.md"),
        ),
        (
            "alliance instruments import FILE [--scoring S.json] [--clinic NAME] | list",
            _("questionnaires"),
        ),
        (
            _("alliance <any Django management command>"),
            _("migrate, check --deploy, shell, ..."),
        ),
    ]
    lines = [_("The alliance command:"), ""]
    for syntax, purpose in commands:
        lines += [f"  {syntax}", f"      {purpose}"]
    lines += ["", _("Each command's options: alliance COMMAND --help")]
    return "\n".join(lines)


def _set_data_dir(path: str) -> Path:
    data_dir = Path(path).expanduser().resolve()
    os.environ["ALLIANCE_DATA_DIR"] = str(data_dir)
    return data_dir


def _pop_data_dir(argv: list[str]) -> list[str]:
    """Take --data-dir out of the arguments (it must be known before Django starts)."""
    rest: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--data-dir":
            try:
                _set_data_dir(next(args))
            except StopIteration:
                sys.exit(_("alliance: --data-dir needs a folder"))
        elif arg.startswith("--data-dir="):
            _set_data_dir(arg.split("=", 1)[1])
        else:
            rest.append(arg)
    if "ALLIANCE_DATA_DIR" not in os.environ:
        _set_data_dir(DEFAULT_DATA_DIR)
    return rest


def _add_data_dir_option(parser: argparse.ArgumentParser) -> None:
    """List --data-dir in --help; main() has already taken it out of the arguments."""
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=DEFAULT_DATA_DIR,
        help=_("folder for the database and keys (default %(folder)s; or ALLIANCE_DATA_DIR)")
        % {"folder": DEFAULT_DATA_DIR},
    )


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings")
    import django

    django.setup()


def _collect_static() -> None:
    """Hashed, compressed copies of the static files, before serving (settings.STATIC_ROOT)."""
    from django.conf import settings
    from django.core.management import call_command

    if settings.STATIC_ROOT is None:  # tests: plain storage, nothing to collect
        return
    Path(settings.STATIC_ROOT).mkdir(mode=0o700, parents=True, exist_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)


def _demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="alliance demo", description=_("Run the demo clinic."))
    _add_data_dir_option(parser)
    parser.add_argument("--port", type=int, default=8000, help=_("the port (default 8000)"))
    parser.add_argument(
        "--reset", action="store_true", help=_("delete the demo data and start over")
    )
    parser.add_argument("--no-serve", action="store_true", help=_("prepare the data, don't serve"))
    parser.add_argument(
        "--seed", type=int, default=2026, help=_("the made-up history's seed (default 2026)")
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=12,
        help=_(
            "clients in the demo clinic (default 12; 40 or more lets the alliance-outcome "
            "analysis run)"
        ),
    )
    args = parser.parse_args(argv)
    if args.clients < 7:
        parser.error(_("--clients must be at least 7 (one client per scripted pattern)"))

    data_dir = Path(os.environ["ALLIANCE_DATA_DIR"])
    if args.reset and data_dir.exists():
        for name in ("alliance.sqlite3", "alliance.sqlite3-wal", "alliance.sqlite3-shm"):
            (data_dir / name).unlink(missing_ok=True)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if "DATABASE_URL" in os.environ:
        print(
            _(
                "alliance demo: ignoring DATABASE_URL; the demo always uses SQLite in the data "
                "folder."
            )
        )
        del os.environ["DATABASE_URL"]
    # The demo listens on loopback over plain HTTP, so cookies cannot be Secure-only.
    os.environ.setdefault("ALLIANCE_SECURE_COOKIES", "false")
    key_file = data_dir / "demo-secret-key"
    if "ALLIANCE_SECRET_KEY" not in os.environ:
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))  # 0600: main() set the umask
        os.environ["ALLIANCE_SECRET_KEY"] = key_file.read_text().strip()
    if not os.environ.get("ALLIANCE_ENCRYPTION_KEYS"):
        from alliance.crypto import demo_key

        os.environ["ALLIANCE_ENCRYPTION_KEYS"] = demo_key(data_dir / "demo-encryption-key")
    _django_setup()

    from django.core.management import call_command

    from alliance.demo import (
        DEMO_LOGINS,
        DEMO_TOTP_SECRET,
        demo_enrol_two_factor,
        demo_exists,
        demo_report,
        seed_demo,
        totp_key_hex,
    )

    totp_secret = os.environ.get("ALLIANCE_DEMO_TOTP_SECRET") or DEMO_TOTP_SECRET
    try:
        with in_cli_language():
            totp_key_hex(totp_secret)
    except ValueError as error:
        sys.exit(_("alliance demo: ALLIANCE_DEMO_TOTP_SECRET: %(problem)s") % {"problem": error})
    call_command("migrate", interactive=False, verbosity=0)
    _collect_static()
    password = os.environ.get("ALLIANCE_DEMO_PASSWORD") or DEMO_PASSWORD_DEFAULT
    if demo_exists():
        print(
            _("Using the existing demo data in %(folder)s (use --reset to start over).")
            % {"folder": data_dir}
        )
    else:
        print(_("Creating the demo clinic in %(folder)s ...") % {"folder": data_dir})
        seed_demo(
            seed=args.seed, password=password, totp_secret=totp_secret, n_clients=args.clients
        )
        with in_cli_language():
            print(demo_report())
    demo_enrol_two_factor(secret=totp_secret)
    url = f"http://127.0.0.1:{args.port}/"
    print()
    shown_password = (
        _("the value of ALLIANCE_DEMO_PASSWORD")
        if os.environ.get("ALLIANCE_DEMO_PASSWORD")
        else DEMO_PASSWORD_DEFAULT
    )
    print(_("Demo logins (password: %(password)s):") % {"password": shown_password})
    with in_cli_language():
        for email, role in DEMO_LOGINS:
            print(f"  {email:<28} {role}")
    from alliance.reachout.demo import CLINIC_SLUG, THERAPIST_SLUG

    print()
    print(
        _("Public reach-out pages (no login; two requests are waiting under Reach-out requests):")
    )
    for slug in (THERAPIST_SLUG, CLINIC_SLUG):
        print(f"  {url}reach-out/to/{slug}/")  # untranslated: a URL
    shown_secret = (
        _("the value of ALLIANCE_DEMO_TOTP_SECRET")
        if os.environ.get("ALLIANCE_DEMO_TOTP_SECRET")
        else " ".join(DEMO_TOTP_SECRET[i : i + 4] for i in range(0, len(DEMO_TOTP_SECRET), 4))
    )
    print()
    print(_("Staff (the admin and the therapists) also type a 6-digit code after the password."))
    print(_("Add this setup key to an authenticator app (choose to enter a key; time-based):"))
    print(f"  {shown_secret}")
    if args.no_serve:
        return 0
    print()
    print(_("Alliance demo running at %(url)s  (Ctrl+C to stop)") % {"url": url})
    print(_("Email is printed here instead of being sent: the demo's worker delivers it."))
    from alliance.server import serve

    worker = _demo_worker()
    try:
        # One process is plenty for one person trying the demo.
        return serve("127.0.0.1", args.port, workers=1, threads=4)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()


def _demo_worker() -> subprocess.Popen[bytes]:
    """The demo's task-queue worker, as a child that dies with the demo (reminders, mail)."""
    return subprocess.Popen(  # noqa: S603 (our own interpreter and module, no user input)
        [sys.executable, "-m", "alliance.cli", "worker", "--parent-pid", str(os.getpid())],
        env=os.environ.copy(),
    )


def _worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="alliance worker",
        description=_(
            "Run the task queue: messages, reminders, and the periodic jobs (nightly signal "
            "recompute, hourly sign-in clean-up, the outbox sweep)."
        ),
    )
    _add_data_dir_option(parser)
    parser.add_argument(
        "--once", action="store_true", help=_("enqueue what is due, run every queued task, exit")
    )
    # The demo's child worker: exit when the demo does.
    parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.parent_pid:
        from alliance.server import die_with_parent

        die_with_parent(args.parent_pid)
    _django_setup()
    from alliance.worker import run

    return run(once=args.once)


def _serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="alliance serve",
        description=_("Serve Alliance: gunicorn worker processes (waitress on Windows)."),
    )
    _add_data_dir_option(parser)
    parser.add_argument(
        "--host",
        default=os.environ.get("ALLIANCE_HOST", "127.0.0.1"),
        help=_("the address to listen on (default 127.0.0.1; or ALLIANCE_HOST)"),
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("ALLIANCE_PORT", "8000")),
        help=_("the port (default 8000; or ALLIANCE_PORT)"),
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help=_("worker processes (default: 2 x CPU cores + 1; 1 serves with waitress)"),
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help=_("threads per worker process (default: 1 under gunicorn, 8 under waitress)"),
    )
    parser.add_argument("--migrate", action="store_true", help=_("apply migrations before serving"))
    args = parser.parse_args(argv)
    Path(os.environ["ALLIANCE_DATA_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    _django_setup()
    if args.migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=1)
    _collect_static()
    from alliance import server

    workers = server.default_workers() if args.workers is None else args.workers
    if workers < 1 or (args.threads is not None and args.threads < 1):
        parser.error(_("--workers and --threads must be at least 1"))
    waitress = server.uses_waitress(workers)
    threads = args.threads or (server.WAITRESS_THREADS if waitress else server.GUNICORN_THREADS)
    url = f"http://{args.host}:{args.port}/"
    if waitress:
        how = ngettext(
            "Alliance serving on %(url)s with waitress (%(threads)s thread)",
            "Alliance serving on %(url)s with waitress (%(threads)s threads)",
            threads,
        )
    else:
        how = ngettext(
            "Alliance serving on %(url)s with gunicorn (%(workers)s worker processes x "
            "%(threads)s thread)",
            "Alliance serving on %(url)s with gunicorn (%(workers)s worker processes x "
            "%(threads)s threads)",
            threads,
        )
    print(how % {"url": url, "workers": workers, "threads": threads}, flush=True)
    return server.serve(args.host, args.port, workers=workers, threads=threads)


# Spellings with hyphens that map to Django command modules (which cannot contain hyphens).
COMMAND_ALIASES = {
    "rotate-keys": "rotate_keys",
    "recompute-signals": "recompute_signals",
    "purge-reach-outs": "purge_reach_outs",
}


def main(argv: list[str] | None = None) -> int:
    # Every file Alliance makes (the database and its -wal/-shm, keys, backups, logs) holds
    # therapy records or what protects them: readable by this account only.
    os.umask(0o077)
    argv = _pop_data_dir(list(sys.argv[1:] if argv is None else argv))
    if argv and argv[0] in COMMAND_ALIASES:
        argv[0] = COMMAND_ALIASES[argv[0]]
    command = argv[0] if argv else "help"
    if command == "demo":
        return _demo(argv[1:])
    if command == "serve":
        return _serve(argv[1:])
    if command == "worker":
        return _worker(argv[1:])
    if command == "generate-key":
        from alliance.crypto import generate_key

        print(generate_key())
        return 0
    if command == "stats":
        from alliance.stats_cli import main as stats_main

        return stats_main(argv[1:])
    if command in {"help", "-h", "--help"} and len(argv) <= 1:
        print(_usage())
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["alliance", *argv])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
