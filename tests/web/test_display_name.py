"""People are addressed by the name they chose, never by the first word of their full name."""

from __future__ import annotations

import pytest
from django.test import Client

from alliance.people.models import Role, User
from alliance.people.services import client_add, therapist_add

GOOD_PASSWORD = "a long enough sentence"


@pytest.fixture
def dr_chen(make_user) -> User:
    user = make_user("maya@example.org", Role.THERAPIST, "Dr. Maya Chen")
    user.display_name = "Maya"
    user.save(update_fields=["display_name"])
    return user


def test_the_client_checkin_page_uses_the_therapists_chosen_name(
    clinic, dr_chen, client_user, attend, login
):
    from alliance.people.models import CareEpisode

    episode = CareEpisode.objects.create(clinic=clinic, client=client_user, therapist=dr_chen)
    session = attend(episode, 1)
    html = login(client_user).get(f"/checkins/{session.id}/").content.decode()
    assert "Send to Maya" in html
    assert "Dr." not in html


def test_without_a_chosen_name_the_whole_name_is_used_not_its_first_word(make_user):
    user = make_user("sam@example.org", Role.THERAPIST, "Dr. Samuel Okafor")
    assert user.display_name == "Dr. Samuel Okafor"


def test_the_therapist_chooses_the_clients_name_when_adding_them(therapist):
    added = client_add(
        therapist=therapist,
        full_name="Jordan Alexis Rivera",
        display_name="Jo",
        email="jo@example.org",
        timezone_name="America/Toronto",
    )
    assert added.user.display_name == "Jo"


def test_the_admin_sets_how_clients_address_a_new_therapist(admin, login):
    login(admin).post(
        "/clinic/people/",
        {
            "full_name": "Dr. Priya Singh",
            "display_name": "Priya",
            "email": "priya@example.org",
            "role": "therapist",
        },
    )
    assert User.objects.get(email="priya@example.org").display_name == "Priya"


def test_a_blank_name_on_the_staff_form_falls_back_to_the_whole_name(admin):
    added = therapist_add(
        admin=admin, full_name=" Dr. Priya Singh ", display_name="  ", email="p@example.org"
    )
    assert added.user.display_name == "Dr. Priya Singh"


def test_accepting_an_invite_lets_the_person_choose_their_name(therapist):
    added = client_add(
        therapist=therapist,
        full_name="Jordan Rivera",
        email="jordan@example.org",
        timezone_name="America/Toronto",
    )
    c = Client()
    page = c.get(f"/invite/{added.invite_token}/").content.decode()
    assert "What you&#x27;d like to be called" in page
    assert 'value="Jordan Rivera"' in page
    response = c.post(
        f"/invite/{added.invite_token}/",
        {"display_name": "Jordy", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.get(email="jordan@example.org").display_name == "Jordy"
    assert "Hello, Jordy" in c.get("/me/").content.decode()


def test_the_welcome_after_an_invite_uses_the_chosen_name(admin):
    added = therapist_add(admin=admin, full_name="Dr. Maya Chen", email="m@example.org")
    c = Client()
    c.post(
        f"/invite/{added.invite_token}/",
        {"display_name": "Maya", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
        follow=True,
    )
    assert User.objects.get(email="m@example.org").display_name == "Maya"
