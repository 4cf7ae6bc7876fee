"""Text that cannot be stored or read: NUL characters, and posts that are not valid UTF-8."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.test import Client
from django.urls import reverse

import alliance
from alliance.diary.models import DiaryCard, DiaryTarget
from alliance.validators import NUL_MESSAGE

T0 = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # Tuesday 10 March 2026, noon in Toronto
NUL_WORDS = "This has a hidden character we can"  # the start of NUL_MESSAGE, before the apostrophe


@pytest.fixture
def carla(login: Any, client_user, episode) -> Any:
    episode.started_on = date(2026, 1, 5)
    episode.save(update_fields=["started_on"])
    with time_machine.travel(T0, tick=False):
        yield login(client_user)


@pytest.fixture
def teresa(login: Any, therapist, episode) -> Client:
    return login(therapist)


def _card(browser: Client, note: str, action: str = "submit") -> Any:
    return browser.post(
        reverse("diary"),
        {"urge_suicide": "0", "urge_self_harm": "0", "note": note, "action": action,
         "form_token": str(uuid.uuid4())},
    )  # fmt: skip


# --- NUL ----------------------------------------------------------------------------------------


def test_a_diary_note_with_a_nul_is_refused_at_the_note_and_nothing_is_sent(carla):
    response = _card(carla, "a\x00b")
    assert response.status_code == 400
    assert NUL_WORDS in response.content.decode()
    assert not DiaryCard.objects.filter(status="submitted").exists()


def test_a_diary_note_without_a_nul_is_sent(carla):
    assert _card(carla, "a quiet day").status_code == 302


def test_a_draft_with_a_nul_is_refused_and_nothing_is_saved(carla):
    response = _card(carla, "half\x00done", action="draft")
    assert response.status_code == 400
    assert NUL_WORDS in response.content.decode()
    assert not DiaryCard.objects.exists()


def test_an_autosave_with_a_nul_is_refused_in_json_with_the_reason(carla):
    response = carla.post(
        reverse("diary_draft"), {"form_token": str(uuid.uuid4()), "note": "x\x00"}
    )
    assert response.status_code == 400
    assert response.json() == {"saved": False, "message": str(NUL_MESSAGE)}
    assert not DiaryCard.objects.exists()


def test_a_diary_target_name_with_a_nul_is_refused(teresa, client_user):
    response = teresa.post(
        reverse("diary_targets", args=[client_user.id]), {"action": "add", "name": "Bin\x00ge"}
    )
    assert response.status_code == 400
    assert NUL_WORDS in response.content.decode()
    assert not DiaryTarget.objects.exists()


def _form_classes() -> list[type[forms.BaseForm]]:
    found = []
    for module in pkgutil.walk_packages(alliance.__path__, "alliance."):
        if not module.name.endswith(".forms"):
            continue
        for _, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.name:
                found.append(cls)
    return found


def test_every_text_field_of_every_form_refuses_a_nul():
    """Django's CharField refuses NUL with ProhibitNullCharactersValidator: none may drop it."""
    checked = []
    for cls in _form_classes():
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.CharField):
                checked.append(f"{cls.__name__}.{name}")
                assert any(
                    isinstance(v, ProhibitNullCharactersValidator) for v in field.validators
                ), f"{cls.__name__}.{name} accepts NUL"
                with pytest.raises(forms.ValidationError):
                    field.run_validators("a\x00b")
    assert len(checked) > 5  # the walk found the forms


# --- invalid UTF-8 ------------------------------------------------------------------------------

BAD_WORDS = "it is not valid UTF-8, so nothing was saved"


def _multipart(fields: dict[str, bytes], boundary: str = "XyZ") -> tuple[bytes, str]:
    parts = [
        b"--" + boundary.encode() + b'\r\nContent-Disposition: form-data; name="' + name.encode()
        + b'"\r\n\r\n' + value + b"\r\n"
        for name, value in fields.items()
    ]  # fmt: skip
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_form_post_that_is_not_utf8_is_refused_with_words_and_saves_nothing(carla):
    body = b"urge_suicide=0&urge_self_harm=0&action=submit&form_token=" + str(uuid.uuid4()).encode()
    response = carla.post(
        reverse("diary"), body + b"&note=caf%E9", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert BAD_WORDS in response.content.decode()
    assert not DiaryCard.objects.exists()


def test_a_form_post_in_utf8_goes_through(carla):
    body = b"urge_suicide=0&urge_self_harm=0&action=submit&note=caf%C3%A9&form_token=" + (
        str(uuid.uuid4()).encode()
    )
    response = carla.post(reverse("diary"), body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    assert DiaryCard.objects.get().note == "café"


def test_an_autosave_that_is_not_utf8_is_refused_in_json(carla):
    body, content_type = _multipart(
        {"form_token": str(uuid.uuid4()).encode(), "note": b"caf\xe9", "urge_self_harm": b"2"}
    )
    response = carla.post(
        reverse("diary_draft"), body, content_type=content_type, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert BAD_WORDS in response.json()["message"] and response.json()["saved"] is False
    assert not DiaryCard.objects.exists()


def test_an_autosave_in_utf8_is_saved(carla):
    body, content_type = _multipart(
        {"form_token": str(uuid.uuid4()).encode(), "note": "café".encode(), "urge_self_harm": b"2"}
    )
    response = carla.post(
        reverse("diary_draft"), body, content_type=content_type, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200 and response.json()["saved"] is True
    assert "café" in DiaryCard.objects.get().draft


def test_a_json_body_that_is_not_utf8_is_refused_in_json(carla):
    response = carla.post(
        reverse("diary_draft"), b'{"note": "caf\xe9"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert BAD_WORDS in response.json()["message"]


def test_a_query_string_that_is_not_utf8_is_refused_with_words(admin, login):
    response = login(admin).get(reverse("audit_log") + "?action=%FF%FE")
    assert response.status_code == 400
    assert BAD_WORDS in response.content.decode()
    assert "We couldn" in response.content.decode()


def test_a_query_string_in_utf8_goes_through(admin, login):
    assert login(admin).get(reverse("audit_log") + "?action=%C3%A9").status_code == 200
