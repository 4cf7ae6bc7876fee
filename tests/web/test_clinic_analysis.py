"""The clinic admin's alliance–outcome page: refusal with a reason, figures once there are
enough clients, audit, and nothing for anyone else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from alliance.audit.models import AuditAction, AuditEvent, RecordType
from alliance.core.analysis import Refusal
from alliance.demo import seed_demo
from alliance.outcomes.analysis import clinic_analysis
from alliance.people.models import User

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
URL = reverse("clinic_analysis")


def _staff_client(email: str) -> Client:
    browser = Client()
    browser.force_login(User.objects.get(email=email))
    return browser


@pytest.mark.django_db
def test_the_demo_clinic_of_12_clients_is_refused_with_the_reason() -> None:
    seed_demo(seed=2026, password="demo-password-1", now=NOW)
    response = _staff_client("admin@demo.example").get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    refusal = clinic_analysis(User.objects.get(email="admin@demo.example").clinic_id).model
    assert isinstance(refusal, Refusal)
    # Scripted clients with short episodes have fewer than 3 paired scores.
    assert refusal.clients < 12
    assert refusal.reason.startswith(
        f"Too few data for this analysis: {refusal.clients} clients with at least 3 "
    )
    assert refusal.reason in text
    assert "it needs 20" in text
    assert "they show what went together in your clinic, not what caused what" in text
    assert "PHQ-9 points per point of alliance" not in text


@pytest.mark.django_db
def test_a_clinic_of_40_gets_the_model_and_the_reading_is_audited() -> None:
    seed_demo(seed=2026, password="demo-password-1", now=NOW, n_clients=40)
    admin = User.objects.get(email="admin@demo.example")
    response = _staff_client("admin@demo.example").get(URL)
    text = response.content.decode()
    assert response.status_code == 200
    assert "PHQ-9 points per point of alliance" in text
    assert "Too few data" not in text
    row = AuditEvent.objects.get(record_type=RecordType.CLINIC_ANALYSIS)
    assert (row.actor_id, row.action, row.subject_id, row.clinic_id) == (
        admin.id,
        AuditAction.VIEW,
        None,
        admin.clinic_id,
    )
    # Pooled figures only: no client's name appears on the page.
    for client in User.objects.filter(role="client"):
        assert client.full_name not in text


@pytest.mark.django_db
def test_a_therapist_gets_404() -> None:
    seed_demo(seed=3, password="demo-password-1", weeks=12, n_clients=2)
    assert _staff_client("therapist@demo.example").get(URL).status_code == 404
