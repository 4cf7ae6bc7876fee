"""Pages in another language: what is translated, what keeps its published English, and what is
cached per language.

Each page is fetched once (in English, the default), then its template is rendered again with
the same context under French (Canada), so these tests do not depend on how a person's language
is chosen. They hold with or without a compiled French catalogue: they compare with
``gettext`` of the same words, under the same language.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.template.loader import render_to_string
from django.test.client import Client
from django.utils import translation
from django.utils.translation import gettext

from alliance.core.definitions import builtin, builtin_json
from alliance.core.wording import Grouped, Wording
from alliance.core.wording import ngettext as core_ngettext
from alliance.outcomes.services import instrument_import
from alliance.reachout.models import ReachOutRequest
from alliance.wording import in_language
from tests.web.reach_out import send
from tests.web.test_outcomes import questionnaire_url, schedule

FRENCH = "fr-ca"
NOTE = (
    "These questions are in their published English version: your clinic can load a validated "
    "French version."
)


def _again_in(language: str, browser: Client, url: str) -> str:
    """The page at ``url``, its template rendered once more under ``language``."""
    response = browser.get(url)
    assert response.status_code == 200
    context: dict[str, Any] = response.context[0].flatten()
    with translation.override(language):
        return render_to_string(response.templates[0].name, context, request=response.wsgi_request)


def test_the_built_in_phq9_keeps_its_english_items_in_french_with_one_translated_sentence(
    episode, client_user, login
):
    schedule(episode)
    html = _again_in(FRENCH, login(client_user), questionnaire_url(episode))
    with translation.override(FRENCH):
        note = gettext(NOTE)
    assert html.count(note) == 1
    items = builtin()["phq9"].instrument.items
    marked = [f'lang="en"><span class="qnum">{n}.</span> ' in html for n in range(1, 10)]
    assert (len(items), marked) == (9, [True] * 9)
    assert '<h2 class="stem" lang="en">' in html


def test_the_english_page_has_no_note_and_no_lang_marks(episode, client_user, login):
    schedule(episode)
    html = _again_in("en", login(client_user), questionnaire_url(episode))
    assert (NOTE in html, 'lang="en"' in html.split("<main", 1)[-1]) == (False, False)


def test_a_clinic_that_loaded_its_own_version_gets_no_note(clinic, episode, client_user, login):
    own = json.loads(builtin_json("phq9"))
    own["version"] = 2
    instrument_import(clinic=clinic, text=json.dumps(own))
    schedule(episode)
    html = _again_in(FRENCH, login(client_user), questionnaire_url(episode))
    with translation.override(FRENCH):
        note = gettext(NOTE)
    assert (note in html, 'lang="en"' in html.split("<main", 1)[-1]) == (False, False)


def test_the_check_in_questions_are_cached_once_per_language(episode, client_user, attend, login):
    cache.clear()
    browser = login(client_user)
    session = attend(episode, 1)
    url = f"/checkins/{session.id}/"
    english = browser.get(url)
    question_set = english.context["question_set"]
    _again_in(FRENCH, browser, url)
    keys = [
        make_template_fragment_key("checkin_questions", [question_set, language])
        for language in ("en", FRENCH)
    ]
    assert [cache.get(key) is not None for key in keys] == [True, True]


def test_in_language_translates_a_wording_through_its_template(monkeypatch):
    monkeypatch.setattr("alliance.wording.gettext", lambda text: f"[fr] {text}")
    said = Wording("Please choose a number from 0 to %(high)d.", high=5)
    assert (in_language(said), in_language("Plain words."), in_language("")) == (
        "[fr] Please choose a number from 0 to 5.",
        "[fr] Plain words.",
        "",
    )


def test_in_language_chooses_the_plural_form_in_the_reader_s_language(monkeypatch):
    chosen = []

    def fake_ngettext(singular: str, plural: str, n: int) -> str:
        chosen.append(n)
        return f"[fr] {singular if n <= 1 else plural}"  # French: 0 and 1 take the singular

    monkeypatch.setattr("alliance.wording.ngettext", fake_ngettext)
    said = core_ngettext("%(n)d client", "%(n)d clients", 0, n=0)
    assert (str(said), in_language(said), chosen) == ("0 clients", "[fr] 0 client", [0])


def test_in_language_groups_thousands_as_the_reader_s_language_does():
    said = Wording("Up to %(max)s characters.", max=Grouped(2000))
    with translation.override("en"):
        english = in_language(said)
    with translation.override(FRENCH):
        french = in_language(said)
    assert (str(said), english, french.replace("\u202f", " ").replace("\xa0", " ")) == (
        "Up to 2,000 characters.",
        "Up to 2,000 characters.",
        "Up to 2 000 characters.",
    )


def test_a_reach_out_request_keeps_the_language_of_the_page_it_was_sent_from(teresas_page):
    with translation.override(FRENCH):
        response = send(teresas_page, HTTP_ACCEPT_LANGUAGE="fr-CA")
    assert response.status_code == 302
    assert list(ReachOutRequest.objects.values_list("language", flat=True)) == [FRENCH]


def test_the_answer_mail_and_the_decline_words_are_written_in_the_writer_s_language(
    teresas_page, therapist, monkeypatch
):
    from alliance.reachout import services

    request, _created = services.request_submit(
        page=teresas_page,
        form_token=uuid.uuid4(),
        name="Ana",
        email="ana@example.org",
        message="Bonjour",
        language=FRENCH,
    )
    rendered_in: list[tuple[str, str | None]] = []
    real = services.render_to_string

    def noting(name: str, context: dict[str, Any]) -> str:
        rendered_in.append((name.rsplit("/", 1)[-1], translation.get_language()))
        return real(name, context)

    monkeypatch.setattr(services, "render_to_string", noting)
    with translation.override("en"):  # the therapist reads the app in English
        services.decline_words(teresas_page, by=therapist, language=request.language)
        services.request_reply(request=request, actor=therapist, text="Merci.", site="https://x")
    assert rendered_in == [
        ("decline_words.txt", FRENCH),
        ("answer_subject.txt", FRENCH),
        ("answer.txt", FRENCH),
    ]
