"""`alliance serve`: worker processes, a crash of the master, and a restart on the same port."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from alliance import server

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to read its status counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and _alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def _wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _health(port: int) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


def _server_header(port: int) -> str | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.getheader("Server")


@pytest.fixture
def serve_env(tmp_path):
    env = {
        **os.environ,
        "ALLIANCE_DATA_DIR": str(tmp_path),
        "ALLIANCE_SECRET_KEY": "x" * 60 + "serve-test-key-not-secret",
        "ALLIANCE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLIANCE_ALLOWED_HOSTS": "127.0.0.1",
        "ALLIANCE_DEBUG": "0",
        "ALLIANCE_SECURE_COOKIES": "false",
    }
    env.pop("ALLIANCE_TESTING", None)
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "alliance.cli", "migrate", "--verbosity", "0"],
        env=env,
        check=True,
        timeout=300,
    )
    return env


def _start(env: dict[str, str], port: int, *extra: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "alliance.cli", "serve", "--port", str(port), *extra]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if not _wait_until(lambda: _health(port) == 200 or process.poll() is not None, 60):
        process.kill()
    assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
    return process


def _stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
    return process.returncode


def test_default_is_two_workers_per_core_plus_one():
    if sys.platform == "win32":
        assert server.default_workers() == 1
    else:
        assert server.default_workers() == 2 * (os.cpu_count() or 1) + 1


@linux_only
def test_a_process_that_asked_to_die_with_its_parent_does(tmp_path):
    # A parent forks a child that calls die_with_parent(), then the parent is killed.
    script = textwrap.dedent(
        f"""
        import os, time
        from alliance.server import die_with_parent
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            ok = die_with_parent(parent)
            open({str(tmp_path / "child")!r}, "w").write(f"{{os.getpid()}} {{ok}}")
            time.sleep(60)
            os._exit(0)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    marker = tmp_path / "child"
    assert _wait_until(lambda: marker.exists() and marker.read_text().strip(), 20)
    child_pid, asked = marker.read_text().split()
    assert asked == "True"
    assert _alive(int(child_pid))
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert _wait_until(lambda: not _alive(int(child_pid)), 10), "the child outlived its parent"


@linux_only
def test_serve_with_workers_survives_a_killed_master_and_restarts_on_the_same_port(serve_env):
    port = _free_port()
    master = _start(serve_env, port, "--workers", "2", "--threads", "2")
    try:
        workers = _children(master.pid)
        assert len(workers) == 2
        assert all(_alive(pid) for pid in workers)
        # A crash of the master: no worker may keep the port with nobody to restart it.
        master.send_signal(signal.SIGKILL)
        master.wait()
        assert _wait_until(lambda: not any(_alive(pid) for pid in workers), 10), (
            "workers outlived their master"
        )
        assert _health(port) is None
        again = _start(serve_env, port, "--workers", "2", "--threads", "2")
    finally:
        if master.poll() is None:
            master.kill()
    try:
        assert _health(port) == 200
        # Not "gunicorn": the header does not say which server software answers.
        assert _server_header(port) == "alliance"
    finally:
        assert _stop(again) == 0
    assert _wait_until(lambda: _health(port) is None, 10)


@linux_only
def test_a_child_whose_parent_is_already_gone_exits(tmp_path):
    """Forked, then the parent dies before the child asks: the child must not run on."""
    script = textwrap.dedent(
        """
        import os, sys
        from alliance.server import die_with_parent
        die_with_parent(os.getppid() + 100000)  # not our parent: as if it had died
        sys.exit(0)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], timeout=60, check=False)
    assert result.returncode == 1


def test_serve_with_one_worker_uses_a_single_process_of_eight_threads(serve_env):
    port = _free_port()
    process = _start(serve_env, port, "--workers", "1")
    try:
        assert _health(port) == 200
        assert _server_header(port) == "alliance"
        if sys.platform.startswith("linux"):
            assert _children(process.pid) == []
            assert len(list(Path(f"/proc/{process.pid}/task").iterdir())) >= 8
    finally:
        _stop(process)


def test_serve_refuses_zero_workers(serve_env):
    result = subprocess.run(
        [sys.executable, "-m", "alliance.cli", "serve", "--workers", "0"],
        env=serve_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "--workers and --threads must be at least 1" in result.stderr
