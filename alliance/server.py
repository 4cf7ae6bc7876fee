"""The production HTTP server behind ``alliance serve``.

Two servers, one choice per platform:

- **gunicorn** (Linux, macOS): a pre-fork master and ``workers`` processes, each with ``threads``
  threads (its ``gthread`` worker, which keeps connections alive and tolerates slow clients).
  Python runs one thread at a time per process, so more processes are what let a second core
  serve requests. The application is loaded once in the master and the workers are forked from
  it, so a restart takes well under a second.
- **waitress** (Windows, or ``workers == 1``): one process, ``threads`` threads, pure Python.

Both speak plain HTTP; put a TLS-terminating reverse proxy in front (docs/configuration.md).

A worker must never outlive its master: if the master is killed (``SIGKILL``, the OOM killer),
orphaned workers would keep the port and go on answering with nobody to restart them. On Linux
each worker asks the kernel to send it ``SIGKILL`` when its parent dies (``PR_SET_PDEATHSIG``);
elsewhere gunicorn's own check (a worker stops once its parent has changed) applies.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from typing import Any

# prctl(2) option: the signal this process gets when its parent thread dies.
_PR_SET_PDEATHSIG = 1


def default_workers() -> int:
    """Two worker processes per CPU core, plus one (gunicorn's own rule of thumb).

    A worker waiting for SQLite's write lock, or for PostgreSQL, leaves its core to another.
    """
    return 2 * (os.cpu_count() or 1) + 1 if _can_fork() else 1


def _can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"


def die_with_parent(parent_pid: int) -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where that is unsupported.

    ``parent_pid`` is the parent this process was forked from: if it is no longer the parent
    (it died between the fork and this call), the process exits at once. Comparing with the
    known pid, not with 1, keeps this right when the master itself is PID 1 (a container's
    entrypoint) or orphans go to a subreaper.
    """
    if not sys.platform.startswith("linux"):
        return False
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return False
    if os.getppid() != parent_pid:
        os._exit(1)
    return True


# Threads per process when none are asked for. A gunicorn worker gets one: its threads would
# only queue for the interpreter lock, and other workers use the other cores. Waitress is one
# process, so its threads are what let one slow request not hold up everyone else.
GUNICORN_THREADS = 1
WAITRESS_THREADS = 8

# What both servers put in the ``Server`` response header: not which server software (or which
# version) answers, which would only help someone looking for a known weakness in it.
SERVER_HEADER = "alliance"


def uses_waitress(workers: int) -> bool:
    return workers <= 1 or not _can_fork()


def serve(host: str, port: int, *, workers: int, threads: int | None = None) -> int:
    """Serve the Django application until stopped; returns the exit status."""
    if uses_waitress(workers):
        return _serve_waitress(host, port, threads=threads or WAITRESS_THREADS)
    return _serve_gunicorn(host, port, workers=workers, threads=threads or GUNICORN_THREADS)


def _serve_waitress(host: str, port: int, *, threads: int) -> int:
    from waitress import serve as waitress_serve

    from alliance.wsgi import application

    waitress_serve(application, host=host, port=port, threads=threads, ident=SERVER_HEADER)
    return 0


def hide_gunicorn_name() -> None:
    """Make gunicorn answer ``Server: alliance`` instead of ``Server: gunicorn``.

    gunicorn has no setting for the header: every response takes it from the module constant
    ``gunicorn.http.wsgi.SERVER``, so that is what is replaced (in the master, before the
    workers are forked from it).
    """
    import gunicorn.http.wsgi

    gunicorn.http.wsgi.SERVER = SERVER_HEADER


def _serve_gunicorn(host: str, port: int, *, workers: int, threads: int) -> int:
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from alliance.wsgi import application

    # No database connection may cross the fork: each worker opens its own.
    connections.close_all()
    hide_gunicorn_name()

    def post_fork(server: Any, worker: Any) -> None:
        die_with_parent(worker.ppid)  # gunicorn records the master's pid on each worker
        connections.close_all()

    options: dict[str, Any] = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": True,
        "post_fork": post_fork,
        "proc_name": "alliance",
        # Requests are answered in well under a second; a worker silent for 60 s is stuck.
        "timeout": 60,
        "graceful_timeout": 30,
        "keepalive": 5,
        # Proxy headers are Django's business (ALLIANCE_PROXY_COUNT, ALLIANCE_BEHIND_TLS_PROXY),
        # so the same request means the same thing under either server.
        "forwarded_allow_ips": "",
        "control_socket_disable": True,
        "errorlog": "-",
        "loglevel": "warning",
    }

    class AllianceServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    # gunicorn reads sys.argv for its own options: give it none of ours.
    saved_argv = sys.argv
    sys.argv = [saved_argv[0]]
    try:
        AllianceServer().run()
    finally:
        sys.argv = saved_argv
    return 0
