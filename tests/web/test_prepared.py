"""alliance/prepared.py: a queryset compiled once gives what the queryset gives, every time."""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.diary.models import DiaryCard
from alliance.people.models import CareEpisode, Session
from alliance.prepared import Prepared

SESSION_WITH_EPISODE = Prepared(
    lambda episode_id, number: (
        Session.objects.filter(episode_id=episode_id, number__gte=number)
        .select_related("episode", "episode__therapist", "episode__clinic")
        .order_by("number")
    ),
    uuid.UUID,
    int,
)


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_rows_and_related_objects_are_what_the_queryset_gives(episode, attend):
    for number in (1, 2, 3):
        attend(episode, number)
    expected = list(
        Session.objects.filter(episode_id=episode.id, number__gte=2)
        .select_related("episode", "episode__therapist", "episode__clinic")
        .order_by("number")
    )
    found = SESSION_WITH_EPISODE.fetch(episode.id, 2)
    assert [_fields(s) for s in found] == [_fields(s) for s in expected]
    assert [s.number for s in found] == [2, 3]
    with CaptureQueriesContext(connection) as queries:
        # select_related objects are populated: no query to reach them.
        assert found[0].episode.therapist.email == episode.therapist.email
        assert found[0].episode.clinic.name == episode.clinic.name
        assert found[0].scheduled_at.tzinfo is not None  # converters ran (aware datetimes)
    assert len(queries) == 0


def test_each_call_binds_its_own_values(episode, other_episode, attend):
    attend(episode, 1)
    attend(other_episode, 5)
    assert [s.number for s in SESSION_WITH_EPISODE.fetch(episode.id, 1)] == [1]
    assert [s.number for s in SESSION_WITH_EPISODE.fetch(other_episode.id, 1)] == [5]
    assert SESSION_WITH_EPISODE.fetch(other_episode.id, 6) == []
    # A string id is read as a UUID; one that is not a UUID is refused.
    assert [s.number for s in SESSION_WITH_EPISODE.fetch(str(episode.id), 1)] == [1]
    with pytest.raises(ValueError):
        SESSION_WITH_EPISODE.fetch("not-a-uuid", 1)
    assert SESSION_WITH_EPISODE.first(uuid.uuid4(), 1) is None


def test_it_is_one_query_of_the_same_sql_as_the_orm_writes(episode, attend):
    attend(episode, 1)
    with CaptureQueriesContext(connection) as orm:
        list(
            Session.objects.filter(episode_id=episode.id, number__gte=1)
            .select_related("episode", "episode__therapist", "episode__clinic")
            .order_by("number")
        )
    with CaptureQueriesContext(connection) as prepared:
        SESSION_WITH_EPISODE.fetch(episode.id, 1)
    assert [q["sql"] for q in prepared.captured_queries] == [q["sql"] for q in orm.captured_queries]


def test_dates_bind_too(episode, client_user):
    now = timezone.now()
    days = [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)]
    for day in days:
        DiaryCard.objects.create(
            episode=episode, client=client_user, day=day, created_at=now, updated_at=now
        )
    window = Prepared(
        lambda client_id, first, last: DiaryCard.objects.filter(
            client_id=client_id, day__gte=first, day__lte=last
        ).order_by("day"),
        uuid.UUID,
        date,
        date,
    )
    found = window.fetch(client_user.id, days[1], days[2])
    assert [c.day for c in found] == days[1:]
    assert window.fetch(client_user.id, days[2] + timedelta(days=1), date(2027, 1, 1)) == []
    with pytest.raises(TypeError):
        window.fetch(client_user.id, timezone.now(), days[2])  # a datetime is not a day


def test_select_for_update_inside_a_transaction(episode, attend):
    attend(episode, 1)
    locked = Prepared(
        lambda episode_id: Session.objects.select_for_update().filter(episode_id=episode_id),
        uuid.UUID,
    )
    with transaction.atomic():
        assert [s.number for s in locked.fetch(episode.id)] == [1]


@pytest.mark.django_db(transaction=True)
def test_select_for_update_outside_a_transaction_is_refused_as_django_does(episode, attend):
    attend(episode, 1)
    locked = Prepared(
        lambda episode_id: Session.objects.select_for_update().filter(episode_id=episode_id),
        uuid.UUID,
    )
    with transaction.atomic():
        locked.fetch(episode.id)  # compiled inside
    with pytest.raises(transaction.TransactionManagementError):
        locked.fetch(episode.id)


@pytest.mark.django_db(transaction=True)
def test_each_thread_uses_its_own_connection(episode, attend):
    attend(episode, 1)
    SESSION_WITH_EPISODE.fetch(episode.id, 1)  # compiled on this thread
    seen: list[object] = []

    def other_thread() -> None:
        try:
            seen.append([s.number for s in SESSION_WITH_EPISODE.fetch(episode.id, 1)])
            seen.append(SESSION_WITH_EPISODE._local.compiled.connection is connections["default"])
        finally:
            connections.close_all()

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert seen == [[1], True]
    assert SESSION_WITH_EPISODE._local.compiled.connection is connections["default"]


def test_a_value_that_is_not_a_parameter_is_refused_at_first_use(db):
    ignores_its_value = Prepared(lambda episode_id: Session.objects.all(), uuid.UUID)
    with pytest.raises(ImproperlyConfigured, match="not a query parameter"):
        ignores_its_value.fetch(uuid.uuid4())


def test_values_list_gives_the_same_tuples(episode, attend):
    for number in (2, 1):
        attend(episode, number)

    def build(episode_id):
        return (
            Session.objects.filter(episode_id=episode_id)
            .order_by("number")
            .values_list("id", "number", "scheduled_at", "episode__clinic__name")
        )

    assert Prepared(build, uuid.UUID).fetch(episode.id) == list(build(episode.id))


def test_only_model_or_values_list_querysets_without_prefetching(db):
    values = Prepared(lambda i: Session.objects.filter(episode_id=i).values("id"), uuid.UUID)
    with pytest.raises(ImproperlyConfigured, match="model instances or values_list"):
        values.fetch(uuid.uuid4())
    flat = Prepared(
        lambda i: Session.objects.filter(episode_id=i).values_list("id", flat=True), uuid.UUID
    )
    with pytest.raises(ImproperlyConfigured, match="model instances or values_list"):
        flat.fetch(uuid.uuid4())
    prefetching = Prepared(
        lambda i: CareEpisode.objects.filter(id=i).prefetch_related("sessions"), uuid.UUID
    )
    with pytest.raises(ImproperlyConfigured, match="prefetch"):
        prefetching.fetch(uuid.uuid4())


def test_wrong_kinds_and_counts_are_refused(db):
    with pytest.raises(TypeError, match="UUID, str, int or date"):
        Prepared(lambda day: Session.objects.filter(scheduled_at=day), float)
    with pytest.raises(TypeError, match="expected 2 values"):
        SESSION_WITH_EPISODE.fetch(uuid.uuid4())
    with pytest.raises(TypeError, match="expected an int"):
        SESSION_WITH_EPISODE.fetch(uuid.uuid4(), "2")
    with pytest.raises(TypeError, match="expected an int"):
        SESSION_WITH_EPISODE.fetch(uuid.uuid4(), True)


def test_the_signed_in_person_is_loaded_by_compiled_queries(client_user, login):
    """Session and user rows come through alliance/accounts/backends.py, as Django's would."""
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session as StoredSession

    browser = login(client_user)
    assert browser.get("/me/").status_code == 200
    stored = StoredSession.objects.get()
    assert stored.get_decoded()[SESSION_KEY] == str(client_user.pk)
    # An expired session row is no session, as with Django's own store.
    StoredSession.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert browser.get("/me/").status_code == 302
    # A deactivated person is not loaded, either.
    fresh = login(client_user)
    client_user.is_active = False
    client_user.save(update_fields=["is_active"])
    assert fresh.get("/me/").status_code == 302
