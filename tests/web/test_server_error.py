"""The 500 page: it still shows the crisis lines, whatever broke, in the person's language."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory, override_settings
from django.urls import path
from django.utils import translation

from alliance.people.models import Clinic, User
from alliance.views import server_error_view
from tests.web.test_crisis_lines import dialled, region_numbers, set_region


def _broken(request: Any) -> Any:
    raise RuntimeError("something on our side")


# A URL configuration of its own: the site's pages plus one that fails.
urlpatterns = [path("broken/", _broken)]
handler500 = "alliance.views.server_error_view"


def _every_region() -> tuple[set[str], set[str]]:
    calls: set[str] = set()
    texts: set[str] = set()
    for region in ("CA", "US", "UK", "AU"):
        call, text = region_numbers(region)
        calls |= call
        texts |= text
    return calls, texts


def _page(user: Any) -> tuple[int, str]:
    request = RequestFactory().get("/anything/")
    request.user = user
    response = server_error_view(request)
    return response.status_code, response.content.decode()


@pytest.mark.django_db
def test_nobody_signed_in_sees_the_lines_of_every_region() -> None:
    status, page = _page(AnonymousUser())
    assert status == 500
    assert "Something went wrong on our side" in page
    assert "Nothing you saved before this was lost" in page
    assert dialled(page) == _every_region()


def test_a_signed_in_person_sees_their_clinics_region(clinic: Clinic, client_user: User) -> None:
    set_region(clinic, "UK")
    client_user.refresh_from_db()
    status, page = _page(client_user)
    assert (status, dialled(page)) == (500, region_numbers("UK"))


@pytest.mark.django_db
def test_when_the_clinic_cannot_be_read_every_region_is_shown() -> None:
    class DatabaseDown:
        is_authenticated = True

        @property
        def clinic(self) -> Clinic:
            raise ConnectionError("the database is down")

    status, page = _page(DatabaseDown())
    assert (status, dialled(page)) == (500, _every_region())


@pytest.mark.django_db
def test_the_page_is_in_french_for_a_french_reader() -> None:
    with translation.override("fr-ca"):
        status, page = _page(AnonymousUser())
    assert status == 500
    assert '<html lang="fr-ca">' in page
    assert "Something went wrong" not in page
    assert dialled(page) == _every_region()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_an_error_in_a_view_answers_with_this_page() -> None:
    response = Client(raise_request_exception=False).get("/broken/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "something on our side" not in page  # never the error itself
    assert dialled(page) == _every_region()
