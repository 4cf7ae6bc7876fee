"""Which language a page and a message are in: the browser's before sign-in, then the person's.

These tests read a tiny French catalogue of their own (``french`` below), so they do not depend
on the wording the translators chose; English stays the default everywhere else.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polib
import pytest
from django.core import mail
from django.template import Context, Template
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from alliance import catalogue
from alliance.audit.models import AuditEvent
from alliance.messaging.models import OutboxMessage
from alliance.messaging.reminders import checkin_reminders_scan
from alliance.messaging.services import messages_deliver_due
from alliance.people.models import Session, User
from alliance.people.services import session_set_status
from tests.conftest import PASSWORD

FRENCH = {
    "Log in": "Se connecter (test)",
    "Your account": "Votre compte (test)",
    "Saved. Your pages and emails are now in English.": "Enregistré (test) : en français.",
    "Please choose one of the languages offered.": "Choisissez une langue offerte (test).",
    "Choose a new Alliance password": "Nouveau mot de passe Alliance (test)",
    "You have a check-in waiting": "Un bilan vous attend (test)",
    "Hello %(name)s,": "Bonjour %(name)s (test),",
}
FRENCH_FUZZY = {"Log out": "Se déconnecter (à revoir)"}


@pytest.fixture
def french(tmp_path):
    """A French catalogue of a few entries, compiled by Alliance's own compiler."""
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "fr_CA",
        "Plural-Forms": "nplurals=2; plural=(n > 1);",
    }
    for msgid, msgstr in FRENCH.items():
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    for msgid, msgstr in FRENCH_FUZZY.items():
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr, flags=["fuzzy"]))
    folder = tmp_path / "fr_CA" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po.save(str(folder / "django.po"))
    catalogue.compile_catalogue(folder / "django.po")
    with override_settings(LOCALE_PATHS=[str(tmp_path)]):
        yield
    translation.activate("en")


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- before sign-in: the browser decides ----------------------------------------------------


def test_accept_language_fr_ca_gives_a_french_login_page(db, french):
    response = Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5")
    page = _page(response)
    assert '<html lang="fr-ca">' in page
    assert "<h1>Se connecter (test)</h1>" in page
    assert response["Content-Language"] == "fr-ca"
    assert "Accept-Language" in response["Vary"]
    # A fuzzy entry is not used: that word stays English.
    assert "Se déconnecter" not in page


def test_plain_french_in_the_browser_also_gives_canadian_french(db, french):
    page = _page(Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr"))
    assert '<html lang="fr-ca">' in page


def test_without_accept_language_the_login_page_is_english(db, french):
    page = _page(Client().get(reverse("login")))
    assert '<html lang="en">' in page
    assert "<h1>Log in</h1>" in page


def test_a_language_the_site_does_not_speak_gives_english(db, french):
    page = _page(Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"))
    assert '<html lang="en">' in page


def test_the_login_page_offers_the_other_language_named_in_itself(db, french):
    english = _page(Client().get(reverse("login")))
    assert 'value="fr-ca" lang="fr-ca">Français</button>' in english
    assert 'value="en"' not in english
    french_page = _page(Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr-CA"))
    assert 'value="en" lang="en">English</button>' in french_page


def test_the_language_link_keeps_the_choice_over_the_browser(db, french):
    browser = Client()
    response = browser.post(reverse("set_language"), {"language": "fr-ca", "next": "/login/"})
    assert (response.status_code, response["Location"]) == (302, "/login/")
    page = _page(browser.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en"))
    assert '<html lang="fr-ca">' in page


def test_the_language_link_ignores_a_language_it_does_not_offer(db, french):
    browser = Client()
    browser.post(reverse("set_language"), {"language": "de", "next": "/login/"})
    assert '<html lang="en">' in _page(browser.get(reverse("login")))


def test_the_language_link_does_not_send_anyone_to_another_site(db, french):
    response = Client().post(
        reverse("set_language"), {"language": "fr-ca", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


# --- signed in: the person's own choice -----------------------------------------------------


def test_a_signed_in_persons_choice_wins_over_the_header(client_user, login, french):
    client_user.language = "en"
    client_user.save(update_fields=["language"])
    page = _page(login(client_user).get(reverse("account"), HTTP_ACCEPT_LANGUAGE="fr-CA"))
    assert '<html lang="en">' in page
    client_user.language = "fr-ca"
    client_user.save(update_fields=["language"])
    page = _page(login(client_user).get(reverse("account"), HTTP_ACCEPT_LANGUAGE="en"))
    assert '<html lang="fr-ca">' in page
    assert "<h1>Votre compte (test)</h1>" in page


def test_the_first_sign_in_keeps_the_language_the_browser_asked_for(client_user, french):
    assert client_user.language == ""
    browser = Client(HTTP_ACCEPT_LANGUAGE="fr-CA")
    browser.post(reverse("login"), {"username": client_user.email, "password": PASSWORD})
    client_user.refresh_from_db()
    assert client_user.language == "fr-ca"
    # Later sign-ins from an English browser change nothing: the account's language stays.
    Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("login"), {"username": client_user.email, "password": PASSWORD}
    )
    client_user.refresh_from_db()
    assert client_user.language == "fr-ca"


def test_the_account_page_switches_the_language_with_a_message_in_it(client_user, login, french):
    browser = login(client_user)
    response = browser.post(reverse("account_language"), {"language": "fr-ca"}, follow=True)
    page = _page(response)
    assert response.redirect_chain == [(reverse("account"), 302)]
    assert '<html lang="fr-ca">' in page
    assert "Enregistré (test) : en français." in page
    client_user.refresh_from_db()
    assert client_user.language == "fr-ca"
    assert browser.cookies["alliance_language"].value == "fr-ca"
    assert AuditEvent.objects.filter(subject_id=client_user.pk, detail="language_changed").count()
    # The page offers the current language as the one chosen.
    assert '<option value="fr-ca" selected>' in page


def test_the_account_page_refuses_a_language_it_does_not_offer(client_user, login, french):
    client_user.language = "en"
    client_user.save(update_fields=["language"])
    response = login(client_user).post(reverse("account_language"), {"language": "de"}, follow=True)
    assert "Select a valid choice" not in _page(response)
    assert "Please choose one of the languages offered." in _page(response)
    client_user.refresh_from_db()
    assert client_user.language == "en"
    assert not AuditEvent.objects.filter(detail="language_changed").exists()


def test_the_language_form_takes_posts_only_and_only_from_someone_signed_in(client_user, login):
    assert login(client_user).get(reverse("account_language")).status_code == 405
    response = Client().post(reverse("account_language"), {"language": "fr-ca"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- mail: the recipient's language ---------------------------------------------------------


def test_a_password_reset_mail_goes_out_in_the_recipients_language(client_user, french):
    client_user.language = "fr-ca"
    client_user.save(update_fields=["language"])
    # Asked for from an English browser: the mail is still in the account's language.
    Client(HTTP_ACCEPT_LANGUAGE="en").post(reverse("password_reset"), {"email": client_user.email})
    assert [message.subject for message in mail.outbox] == ["Nouveau mot de passe Alliance (test)"]


def test_a_reminder_is_written_and_sent_in_the_recipients_language(
    episode, client_user, other_client, french
):
    client_user.language = "fr-ca"
    client_user.save(update_fields=["language"])
    at = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)
    for person, number in ((client_user, 1), (other_client, 1)):
        own = episode if person == client_user else _episode_for(other_client, episode)
        session = Session.objects.create(
            episode=own, number=number, scheduled_at=at - timedelta(hours=1)
        )
        session_set_status(session=session, status="attended", actor=own.therapist, now=at)
    translation.activate("fr-ca")  # whatever the worker had active, each gets their own
    assert checkin_reminders_scan(now=at + timedelta(minutes=1)) == 2
    subjects = dict(OutboxMessage.objects.values_list("to_address", "subject"))
    assert subjects == {
        client_user.email: "Un bilan vous attend (test)",
        other_client.email: "You have a check-in waiting",
    }
    messages_deliver_due(now=at + timedelta(minutes=2))
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert bodies[client_user.email].startswith("Bonjour Carla (test),")
    assert bodies[other_client.email].startswith("Hello Olivia,")


def _episode_for(client: User, like):
    from alliance.people.models import CareEpisode

    return CareEpisode.objects.create(clinic=like.clinic, client=client, therapist=like.therapist)


# --- dates and numbers ----------------------------------------------------------------------


def test_dates_times_and_numbers_follow_the_language():
    when = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)
    template = Template(
        '{{ when|date:"DATE_FORMAT" }}|{{ when|date:"DATETIME_FORMAT" }}|'
        '{{ when|date:"TIME_FORMAT" }}|{{ when|date:"MONTH_DAY_FORMAT" }}|'
        "{{ ratio|floatformat:1 }}"
    )
    context = Context({"when": when, "ratio": 3.25})
    with translation.override("en"):
        assert template.render(context) == "3 Dec 2026|3 Dec 2026, 14:30|14:30|3 Dec|3.3"
    with translation.override("fr-ca"):
        assert template.render(context) == (
            "3 décembre 2026|3 décembre 2026, 14\u00a0h\u00a030|14\u00a0h\u00a030|3 décembre|3,3"
        )


# --- the compiled catalogue -----------------------------------------------------------------


def test_the_compiled_catalogue_is_current():
    """The .mo beside each .po is what the .po compiles to today (the build or start-up made
    it): a .po merged since then is not silently ignored."""
    pos = catalogue.catalogues()
    assert [po.relative_to(catalogue.LOCALE).as_posix() for po in pos] == [
        "fr_CA/LC_MESSAGES/django.po"
    ]
    for po in pos:
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} is missing: pip install -e . (or start Alliance) makes it"
        assert not catalogue.is_stale(po)
        fresh = polib.mofile(str(mo))
        # Keyed by context and text: "Sent" and pgettext("diary card status", "Sent") differ.
        entries = polib.pofile(str(po)).translated_entries()
        expected = {(e.msgctxt, e.msgid): e.msgstr for e in entries}
        assert {(e.msgctxt, e.msgid): e.msgstr for e in fresh if e.msgid} == expected


def test_a_stale_or_missing_mo_is_compiled_again_and_a_current_one_is_left(tmp_path):
    folder = tmp_path / "fr_CA" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po_path = folder / "django.po"
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    po.append(polib.POEntry(msgid="Home", msgstr="Accueil"))
    po.append(polib.POEntry(msgid="Draft", msgstr="Brouillon", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="Empty", msgstr=""))
    po.save(str(po_path))
    mo_path = po_path.with_suffix(".mo")

    assert catalogue.compile_stale(tmp_path) == [mo_path]  # missing
    assert {e.msgid: e.msgstr for e in polib.mofile(str(mo_path)) if e.msgid} == {"Home": "Accueil"}
    assert catalogue.compile_stale(tmp_path) == []  # current

    past = po_path.stat().st_mtime - 60
    os.utime(mo_path, (past, past))
    assert catalogue.compile_stale(tmp_path) == [mo_path]  # older than its .po
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_a_folder_that_cannot_be_written_is_left_alone(tmp_path, monkeypatch, caplog):
    folder = tmp_path / "fr_CA" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    polib.POFile().save(str(folder / "django.po"))

    def refuse(po: Path, mo: Path | None = None) -> Path:
        raise PermissionError(13, "Permission denied", str(po))

    monkeypatch.setattr(catalogue, "compile_catalogue", refuse)
    assert catalogue.compile_stale(tmp_path) == []
    assert "Permission denied" in caplog.text
