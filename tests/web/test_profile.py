"""Each person chooses how they are addressed; therapists say how clients reach them; a clinic
admin sets the clinic's contact details and region."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alliance.audit.models import AuditEvent
from alliance.people.models import Clinic, Region
from alliance.people.services import PeopleError, clinic_settings_update

PROFILE = reverse("profile")
SETTINGS = reverse("clinic_settings")


@pytest.mark.parametrize("persona", ["client_user", "therapist", "admin"])
def test_everyone_can_change_the_name_they_are_called(request, login, persona):
    person = request.getfixturevalue(persona)
    browser = login(person)
    response = browser.post(PROFILE, {"display_name": "  Jo   Bright "})
    assert response["Location"] == reverse("account")
    person.refresh_from_db()
    assert person.display_name == "Jo Bright"
    assert person.full_name not in ("", "Jo Bright")  # the full name is left as it was
    assert "<dd>Jo Bright</dd>" in browser.get(reverse("account")).content.decode()


def test_an_empty_name_is_refused_and_nothing_changes(login, client_user):
    response = login(client_user).post(PROFILE, {"display_name": "   "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    client_user.refresh_from_db()
    assert client_user.display_name == "Carla"


def test_a_name_with_a_nul_byte_is_refused(login, client_user):
    response = login(client_user).post(PROFILE, {"display_name": "Jo\x00"})
    assert response.status_code == 400
    client_user.refresh_from_db()
    assert client_user.display_name == "Carla"


def test_a_therapist_sets_how_clients_reach_them(login, therapist):
    browser = login(therapist)
    assert "How clients can reach you between sessions" in browser.get(PROFILE).content.decode()
    browser.post(
        PROFILE, {"display_name": "Teresa", "contact_details": "Text 555-0134 on weekdays."}
    )
    therapist.refresh_from_db()
    assert (therapist.display_name, therapist.contact_details) == (
        "Teresa",
        "Text 555-0134 on weekdays.",
    )


def test_clients_have_no_contact_details_field(login, client_user):
    browser = login(client_user)
    assert "contact_details" not in browser.get(PROFILE).content.decode()
    browser.post(PROFILE, {"display_name": "Carla", "contact_details": "call me"})
    client_user.refresh_from_db()
    assert client_user.contact_details == ""


def test_contact_details_are_limited_to_300_characters(login, therapist):
    response = login(therapist).post(
        PROFILE, {"display_name": "Teresa", "contact_details": "x" * 301}
    )
    assert response.status_code == 400
    therapist.refresh_from_db()
    assert therapist.contact_details == ""


def test_profile_changes_are_logged_without_the_values(login, therapist):
    login(therapist).post(PROFILE, {"display_name": "Maya", "contact_details": "555-0134"})
    rows = list(
        AuditEvent.objects.filter(subject_id=therapist.id, action="update").values_list(
            "detail", flat=True
        )
    )
    assert sorted(rows) == ["contact_details_changed", "display_name_changed"]
    logged = " ".join(str(v) for row in AuditEvent.objects.values_list() for v in row)
    assert "555-0134" not in logged


# --- clinic settings ---------------------------------------------------------------------------


def test_the_region_choices_are_the_four_countries():
    assert Region.choices == [
        ("CA", "Canada"),
        ("US", "United States"),
        ("UK", "United Kingdom"),
        ("AU", "Australia"),
    ]
    assert Clinic._meta.get_field("region").default == "CA"


def test_an_admin_sets_the_clinics_contact_details_and_region(login, admin):
    browser = login(admin)
    assert SETTINGS in browser.get(reverse("clinic_people")).content.decode()
    response = browser.post(
        SETTINGS,
        {
            "region": "UK",
            "contact_phone": "+44 20 7946 0958",
            "contact_email": "Desk@Harbour.example",
            "contact_hours": "Monday to Friday, 9 to 5",
        },
    )
    assert response["Location"] == SETTINGS
    clinic = Clinic.objects.get(pk=admin.clinic_id)
    assert (clinic.region, clinic.contact_phone, clinic.contact_email, clinic.contact_hours) == (
        "UK",
        "+44 20 7946 0958",
        "Desk@Harbour.example",
        "Monday to Friday, 9 to 5",
    )
    row = AuditEvent.objects.get(record_id=str(clinic.id), action="update")
    assert row.detail == "contact_email contact_hours contact_phone region"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("region", "FR", "Select a valid choice. FR is not one of the available choices."),
        ("contact_phone", "call me maybe", "Please give a phone number in digits"),
        ("contact_email", "not-an-email", "Enter a valid email address."),
        ("contact_hours", "x" * 201, "Ensure this value has at most 200 characters"),
    ],
)
def test_bad_clinic_settings_are_refused_with_a_reason(login, admin, field, value, message):
    good = {
        "region": "CA",
        "contact_phone": "416-555-0100",
        "contact_email": "",
        "contact_hours": "",
    }
    response = login(admin).post(SETTINGS, {**good, field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    clinic = Clinic.objects.get(pk=admin.clinic_id)
    assert (clinic.region, clinic.contact_phone) == ("CA", "")


def test_only_an_admin_changes_clinic_settings(therapist):
    with pytest.raises(PeopleError):
        clinic_settings_update(admin=therapist, region="US")


def test_an_unknown_region_is_refused_by_the_service(admin):
    with pytest.raises(PeopleError, match="Unknown region"):
        clinic_settings_update(admin=admin, region="XX")
