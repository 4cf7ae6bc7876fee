"""Alliance on a phone: the manifest, the service worker, what it may keep, the offline page,
and a diary card sent by diary.js after it waited on the phone (alliance/offline)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import resolve, reverse
from PIL import Image

from alliance.diary.models import DiaryCard, DiaryStatus
from alliance.middleware import CONTENT_SECURITY_POLICY
from alliance.people.models import CareEpisode, User
from tests.conftest import PASSWORD, enrol_authenticator
from tests.web.test_accounts import password_step
from tests.web.test_diary import CALM, T0, TODAY

MANIFEST = reverse("manifest")
WORKER = reverse("service_worker")
OFFLINE = reverse("offline")
JSON_ACCEPT = {"HTTP_ACCEPT": "application/json"}


def _manifest(browser: Client) -> dict[str, Any]:
    response = browser.get(MANIFEST)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    return json.loads(response.content)


def _static_file(url: str) -> Path:
    found = finders.find(url.removeprefix("/static/"))
    assert found, f"no static file behind {url}"
    return Path(found)


# --- manifest -----------------------------------------------------------------------------


def test_the_manifest_meets_what_browsers_ask_before_offering_to_install(db):
    manifest = _manifest(Client())
    assert manifest["name"] == "Alliance" and manifest["short_name"] == "Alliance"
    assert manifest["description"]
    assert (manifest["start_url"], manifest["scope"], manifest["id"]) == ("/", "/", "/")
    assert manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    # Chrome wants a 192 px and a 512 px PNG icon; Android a maskable one for its shapes.
    pngs = {}
    for icon in manifest["icons"]:
        path = _static_file(icon["src"])
        if icon["type"] == "image/png":
            with Image.open(path) as image:
                assert image.format == "PNG"
                assert f"{image.width}x{image.height}" == icon["sizes"]
                if icon["purpose"] == "maskable":  # a mask may cut any corner: no transparency
                    assert image.convert("RGBA").getextrema()[3] == (255, 255)
            pngs[(icon["sizes"], icon["purpose"])] = path
        else:
            assert (icon["type"], icon["sizes"]) == ("image/svg+xml", "any")
            assert path.read_text().startswith("<svg")
    assert set(pngs) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}


def test_the_manifest_is_in_the_language_of_the_request(db):
    """Accept-Language decides before sign-in (LocaleMiddleware), with the real catalogue."""
    english = _manifest(Client(HTTP_ACCEPT_LANGUAGE="en"))
    french = _manifest(Client(HTTP_ACCEPT_LANGUAGE="fr-CA"))
    assert english["lang"] == "en"
    assert english["description"].startswith("Your check-ins")
    assert french["lang"] == "fr-ca"
    assert french["description"].startswith("Vos bilans de séance")
    assert french["name"] == "Alliance"  # the product's name is the same in both


def test_every_page_links_the_manifest_the_icons_and_the_worker(login, client_user, therapist):
    pages = [
        Client().get(reverse("login")),
        login(client_user).get(reverse("client_home")),
        login(therapist).get(reverse("caseload")),
    ]
    for response in pages:
        head = response.content.decode().split("</head>")[0]
        assert f'<link rel="manifest" href="{MANIFEST}">' in head
        assert '<meta name="theme-color" content="#2f5d7c">' in head
        assert f'<meta name="alliance-worker" content="{WORKER}">' in head
        touch = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', head).group(1)
        with Image.open(_static_file(touch)) as image:
            assert image.size == (180, 180)
            assert image.convert("RGBA").getextrema()[3] == (255, 255)  # iOS: opaque


def test_the_policy_allows_our_own_worker_and_nothing_more():
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["worker-src"] == "'self'"
    assert directives["manifest-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["connect-src"] == "'self'"
    assert all("unsafe" not in value and "*" not in value for value in directives.values())


# --- the worker ---------------------------------------------------------------------------


def _worker_settings(script: str) -> dict[str, Any]:
    return json.loads(re.search(r"^const SETTINGS = (.*);$", script, re.M).group(1))


def test_the_worker_is_served_from_the_root_and_keeps_only_client_pages(db):
    response = Client().get(WORKER)
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    settings = _worker_settings(script)
    assert settings["offlinePage"] == OFFLINE
    names = [resolve(url).url_name for url in settings["pages"]]
    assert names == ["crisis_help", "my_safety_plan"]  # the first: marked for clients only
    assert all(url.startswith("/static/") for url in settings["assets"])
    assert settings["logout"] == reverse("logout")
    assert (settings["keepHeader"], settings["keep"]) == ("Alliance-Offline", "keep")
    assert (settings["fetchHeader"], settings["background"]) == ("Alliance-Fetch", "background")
    assert 'addEventListener("fetch"' in script  # Chrome installs only with a fetch handler
    assert re.search(r'^const VERSION = "[0-9a-f]{12}";$', script, re.M)


def test_the_old_safety_plan_worker_removes_itself(db):
    response = Client().get(reverse("safety_plan_worker"))
    script = response.content.decode()
    assert response["Content-Type"].startswith("text/javascript")
    assert "self.registration.unregister()" in script
    assert 'caches.delete("alliance-safety-plan-v1")' in script
    assert "fetch" not in script  # it serves nothing any more


# --- what may be kept, and for whom -------------------------------------------------------


def test_only_client_pages_meant_for_offline_are_marked(login, client_user, episode, therapist):
    carla = login(client_user)
    marked = {
        url: carla.get(url).get("Alliance-Offline")
        for url in (
            OFFLINE,
            reverse("my_safety_plan"),
            reverse("crisis_help"),
            reverse("client_home"),
            reverse("diary"),
            reverse("account"),
            reverse("access_log"),
        )
    }
    assert marked == {
        OFFLINE: "keep",
        reverse("my_safety_plan"): "keep",
        reverse("crisis_help"): "keep",
        reverse("client_home"): None,
        reverse("diary"): None,
        reverse("account"): None,
        reverse("access_log"): None,
    }
    teresa = login(therapist)
    # A staff page is never marked, not even the pages a client's copy is made of; the offline
    # page holds no record and is kept for anyone.
    assert teresa.get(OFFLINE)["Alliance-Offline"] == "keep"
    for url in (
        reverse("crisis_help"),
        reverse("caseload"),
        reverse("safety_plan", args=[client_user.id]),
        reverse("client_detail", args=[client_user.id]),
    ):
        response = teresa.get(url)
        assert response.status_code == 200, url
        assert "Alliance-Offline" not in response, url
    # Nor an API answer, nor a page that sends the person elsewhere.
    assert "Alliance-Offline" not in Client().get("/api/v1/me")
    assert "Alliance-Offline" not in Client().get(reverse("my_safety_plan"))


def test_each_signed_in_page_names_its_person_and_signed_out_pages_none(
    login, client_user, other_client, therapist
):
    carla = login(client_user).get(reverse("client_home"))["Alliance-Person"]
    assert carla == login(client_user).get(OFFLINE)["Alliance-Person"]
    olivia = login(other_client).get(OFFLINE)["Alliance-Person"]
    teresa = login(therapist).get(reverse("caseload"))["Alliance-Person"]
    assert len({carla, olivia, teresa}) == 3
    assert str(client_user.pk) not in carla and len(carla) == 20
    assert "Alliance-Person" not in Client().get(reverse("login"))
    assert "Alliance-Person" not in Client().get(OFFLINE)


def test_the_offline_page_has_the_crisis_lines_and_for_a_client_the_plan(
    login, client_user, episode, therapist
):
    page = login(client_user).get(OFFLINE).content.decode()
    assert "No connection right now" in page
    assert f'href="{reverse("my_safety_plan")}"' in page.split("<footer")[0].split("</nav>")[1]
    assert 'class="crisis-list"' in page and 'href="tel:' in page
    staff = login(therapist).get(OFFLINE).content.decode()
    assert 'class="crisis-list"' in staff
    assert "Open my safety plan" not in staff
    signed_out = Client().get(OFFLINE)
    assert (
        signed_out.status_code == 200 and "Open my safety plan" not in signed_out.content.decode()
    )


# --- a diary card that waited on the phone ------------------------------------------------


@pytest.fixture
def carla(login: Any, client_user: User, episode: CareEpisode) -> Any:
    with time_machine.travel(T0, tick=False):
        yield login(client_user)


def _send(browser: Client, token: str, **answers: str) -> Any:
    data = {**answers, "action": "submit", "form_token": token, "day": TODAY.isoformat()}
    return browser.post(reverse("diary"), data, **JSON_ACCEPT)


def test_a_card_sent_by_the_script_answers_where_to_go_and_twice_is_once(carla, client_user):
    token = str(uuid.uuid4())
    first = _send(carla, token, **CALM)
    assert first.status_code == 200
    assert first.json() == {"sent": True, "url": reverse("diary_done")}
    card = DiaryCard.objects.get(client=client_user, day=TODAY)
    assert card.status == DiaryStatus.SUBMITTED
    sent_at = card.updated_at
    # The online event and the next page load may both try: the form token makes it one card.
    again = _send(carla, token, **{**CALM, "note": "Sent twice"})
    assert again.json() == {"sent": True, "url": reverse("diary_done")}
    card.refresh_from_db()
    assert card.updated_at == sent_at and DiaryCard.objects.filter(client=client_user).count() == 1


def test_a_card_the_server_refuses_says_why_and_keeps_the_answers(carla, client_user):
    response = _send(carla, str(uuid.uuid4()), urge_suicide="9", note="Kept for later")
    assert response.status_code == 400
    body = response.json()
    assert body["sent"] is False and body["message"]
    assert "urge_suicide" in body["errors"]
    card = DiaryCard.objects.get(client=client_user, day=TODAY)
    assert card.status == DiaryStatus.DRAFT  # kept as a draft, not sent
    assert "Kept for later" in carla.get(reverse("diary")).content.decode()


def test_a_card_without_its_token_or_for_a_closed_day_is_refused_in_json(carla):
    missing = _send(carla, "", **CALM)
    assert missing.status_code == 400 and missing.json()["sent"] is False
    old = carla.post(
        reverse("diary"),
        {**CALM, "action": "submit", "form_token": str(uuid.uuid4()), "day": "2026-01-01"},
        **JSON_ACCEPT,
    )
    assert old.status_code == 400 and old.json()["message"]
    unreadable = carla.post(reverse("diary"), {"day": "not-a-day"}, **JSON_ACCEPT)
    assert unreadable.status_code == 400 and unreadable.json()["sent"] is False


def test_the_card_page_carries_the_words_the_script_says(carla):
    page = carla.get(reverse("diary")).content.decode()
    for say in ("kept", "waiting", "sending", "login", "refused", "still-here"):
        assert f'data-diary-says="{say}"' in page


def test_no_person_is_named_while_a_staff_login_waits_for_its_code(therapist):
    enrol_authenticator(therapist)
    pending = password_step(therapist)
    response = pending.get(reverse("two_factor_verify"))
    assert response.status_code == 200
    # The worker would start fetching in the background while the login still changes.
    assert "Alliance-Person" not in response


def _form_token(response: Any) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]


@time_machine.travel(T0, tick=False)
def test_a_background_fetch_that_comes_back_after_the_login_sets_no_cookie(client_user, episode):
    """The race seen on a phone: the worker's fetch left with the token from before the login
    and came back after it; Django's answer carried that old token, the browser took it, and
    the diary card sent next was refused as a forgery."""
    phone = Client(enforce_csrf_checks=True)
    page = phone.get(reverse("login"))
    before = phone.cookies["csrftoken"].value
    late = Client()  # the worker's fetch, on its way with the cookies of that moment
    late.cookies["csrftoken"] = before
    logged_in = phone.post(
        reverse("login"),
        {
            "username": client_user.email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": _form_token(page),
        },
    )
    assert logged_in.status_code == 302
    after = phone.cookies["csrftoken"].value
    assert after != before  # the login gave a new token

    marked = late.get(reverse("crisis_help"), HTTP_ALLIANCE_FETCH="background")
    assert marked.status_code == 200
    assert dict(marked.cookies) == {}  # so the browser keeps the login's token
    # Unmarked, the same late answer puts the old token back: the hazard itself.
    unmarked = late.get(reverse("crisis_help"))
    assert unmarked.cookies["csrftoken"].value == before
    # The person's own pages keep Django's cookies, the login's token among them, and a form
    # sent from one is accepted.
    own = phone.get(reverse("diary"))
    assert own.cookies["csrftoken"].value == after
    sent = phone.post(
        reverse("diary"),
        {
            **CALM,
            "csrfmiddlewaretoken": _form_token(own),
            "action": "submit",
            "form_token": str(uuid.uuid4()),
            "day": TODAY.isoformat(),
        },
        **JSON_ACCEPT,
    )
    assert sent.status_code == 200 and sent.json()["sent"] is True
