from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from alliance.offline.marks import KEEP, OFFLINE_HEADER, PERSON_HEADER
from alliance.offline.middleware import BACKGROUND, FETCH_HEADER
from alliance.outcomes.safety import crisis_resources_for
from alliance.people.models import Role

THEME_COLOUR = "#2f5d7c"  # the brand blue of the favicon and the header
BACKGROUND_COLOUR = "#ffffff"

# (static path, size, purpose): PNGs made by bin/make-icons from the same drawing as the SVG.
ICONS = [
    ("alliance/favicon.svg", "any", "any"),
    ("alliance/icons/icon-192.png", "192x192", "any"),
    ("alliance/icons/icon-512.png", "512x512", "any"),
    ("alliance/icons/maskable-512.png", "512x512", "maskable"),
]
APPLE_TOUCH_ICON = "alliance/icons/apple-touch-icon.png"

# What every page needs to look right offline; the service worker keeps these at install.
OFFLINE_ASSETS = [
    "alliance/alliance.css",
    "alliance/alliance.js",
    "safetyplan/plan.js",
    "alliance/favicon.svg",
    "alliance/favicon-32.png",
]


@require_GET
def manifest_view(request: HttpRequest) -> JsonResponse:
    """The web app manifest, in the language of the request, so the phone can install Alliance."""
    icons = []
    for path, sizes, purpose in ICONS:
        icon = {"src": static(path), "sizes": sizes, "purpose": purpose}
        icon["type"] = "image/svg+xml" if path.endswith(".svg") else "image/png"
        icons.append(icon)
    manifest = {
        "name": _("Alliance"),
        "short_name": _("Alliance"),
        "description": _(
            "Your check-ins, diary card and safety plan between therapy sessions, on your phone."
        ),
        "lang": translation.get_language() or "en",
        "dir": "rtl" if translation.get_language_bidi() else "ltr",
        "id": "/",
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
    }
    response = JsonResponse(
        manifest, content_type="application/manifest+json", json_dumps_params={"indent": 1}
    )
    # The same address answers in the person's language.
    response["Vary"] = "Accept-Language, Cookie"
    response["Cache-Control"] = "no-cache"
    return response


def offline_pages() -> list[str]:
    """The pages the worker fetches as soon as it knows who is signed in, so that they are
    there offline even if never opened: the help page with the crisis lines, then the safety
    plan. Each is kept only if the server marks it (``Alliance-Offline: keep``); the help page
    comes first because it is marked for clients only, so a staff member's phone asks for
    nothing more."""
    return [reverse("crisis_help"), reverse("my_safety_plan")]


@functools.cache
def _worker_source() -> str:
    return (Path(__file__).parent / "static" / "offline" / "sw.js").read_text(encoding="utf-8")


@require_GET
def service_worker_view(request: HttpRequest) -> HttpResponse:
    """The one service worker, at the root so that its scope is the whole site.

    The server writes in what it may keep; the hashed names of the static files change with
    their content, so a new release is a new script and the worker updates itself.
    """
    settings = {
        "offlinePage": reverse("offline"),
        "pages": offline_pages(),
        "assets": [static(path) for path in OFFLINE_ASSETS],
        "logout": reverse("logout"),
        "keepHeader": OFFLINE_HEADER,
        "keep": KEEP,
        "personHeader": PERSON_HEADER,
        "fetchHeader": FETCH_HEADER,
        "background": BACKGROUND,
    }
    head = f"const SETTINGS = {json.dumps(settings)};\n"
    source = head + _worker_source()
    version = hashlib.sha256(source.encode()).hexdigest()[:12]
    body = f"const VERSION = {json.dumps(version)};\n{source}"
    response = HttpResponse(body, content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


# Phones that installed the safety plan's own worker (before there was one for the whole site)
# ask for it again now and then: it removes itself and its copy. Every page registers /sw.js
# for the same scope, which takes the registration over at the next visit anyway.
RETIRED_WORKER = """\
"use strict";
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.delete("alliance-safety-plan-v1")
      .then(() => self.registration.unregister()),
  );
});
"""


@require_GET
def retired_worker_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(RETIRED_WORKER, content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline_page_view(request: HttpRequest) -> HttpResponse:
    """What the worker shows when a page can't be reached: the crisis lines, and for a client
    the way to their safety plan. It holds no record, so it is kept for anyone, staff too."""
    user = request.user
    clinic = getattr(user, "clinic", None) if user.is_authenticated else None
    context = {
        "crisis_resources": crisis_resources_for(clinic),
        "is_client": user.is_authenticated and getattr(user, "role", None) == Role.CLIENT,
    }
    response = render(request, "offline/offline.html", context)
    response[OFFLINE_HEADER] = KEEP
    return response
