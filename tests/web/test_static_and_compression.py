"""Compressed pages (not those with secrets) and hashed static files with a long cache life."""

from __future__ import annotations

import gzip
import http.client
import re

from django.urls import reverse

from tests.conftest import GOOD_ANSWERS
from tests.web.test_checkin_loop import submit
from tests.web.test_serve import _free_port, _start, _stop, serve_env  # noqa: F401 - fixture

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def test_a_page_is_sent_compressed_to_a_browser_that_accepts_it(
    login, episode, client_user, attend
):
    for n in range(1, 4):
        submit(attend(episode, n), client_user, GOOD_ANSWERS)
    carla = login(client_user)
    plain = carla.get(reverse("client_home"))
    packed = carla.get(reverse("client_home"), **GZIP)
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    html = gzip.decompress(packed.content).decode()
    assert "Your check-ins" in html
    assert len(packed.content) < len(plain.content) / 2


def test_pages_with_a_secret_on_them_are_never_compressed(login, therapist, client):
    # Every page of the account views (the authenticator key, recovery codes), the invitation
    # pages and the login page are sent as they are.
    from alliance.compression import carries_secret

    teresa = login(therapist)
    account = teresa.get(reverse("account"), **GZIP)
    assert account.status_code == 200 and len(account.content) > 1000
    assert "Content-Encoding" not in account
    assert "Content-Encoding" not in client.get(reverse("login"), **GZIP)
    for route in ("two_factor_setup", "recovery_codes", "client_add"):
        request = client.get(reverse(route)).wsgi_request
        assert carries_secret(request), route
    assert not carries_secret(teresa.get(reverse("caseload")).wsgi_request)


def get(port, path, **headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_alliance_serve_sends_hashed_static_files_cached_for_a_long_time(serve_env):  # noqa: F811
    port = _free_port()
    process = _start(serve_env, port, "--workers", "2")
    try:
        response, body = get(port, "/login/")
        assert response.status == 200
        names = re.findall(r"/static/alliance/alliance\.([0-9a-f]{12})\.css", body.decode())
        assert names, "the page links the hashed stylesheet"
        css = f"/static/alliance/alliance.{names[0]}.css"
        response, body = get(port, css, **{"Accept-Encoding": "gzip"})
        assert response.status == 200
        assert response.getheader("Content-Encoding") == "gzip"
        cache = response.getheader("Cache-Control")
        assert "immutable" in cache and "max-age=315360000" in cache
        assert b".card" in gzip.decompress(body)
        # The unhashed name still answers (an old page in a cache), with a short life.
        response, _ = get(port, "/static/alliance/alliance.css")
        assert response.status == 200
        assert "immutable" not in (response.getheader("Cache-Control") or "")
    finally:
        _stop(process)
