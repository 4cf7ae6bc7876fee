"""Clients and their care episodes."""

from __future__ import annotations

import uuid
from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema

from alliance import access
from alliance.apitokens.endpoints.common import Page, Paging, page, paginate
from alliance.apitokens.rest import staff

router = Router(tags=["clients and episodes"])


class ClientOut(Schema):
    id: uuid.UUID
    full_name: str
    display_name: str
    timezone: str
    is_active: bool


class EpisodeOut(Schema):
    id: uuid.UUID
    client_id: uuid.UUID
    therapist_id: uuid.UUID
    status: str
    started_on: date
    ended_on: date | None


@router.get("/clients", response=Page[ClientOut], url_name="clients")
def list_clients(request: HttpRequest, paging: Query[Paging]) -> dict[str, object]:
    """A therapist's clients; for a clinic admin, the clinic's clients."""
    user = staff(request)
    count, items = paginate(access.clients_for(user), paging, "full_name")
    access.note_listed(user, items)
    return page(count, paging, items)


@router.get("/clients/{client_id}", response=ClientOut, url_name="client")
def get_client(request: HttpRequest, client_id: uuid.UUID) -> object:
    return access.get_client(staff(request), client_id)


@router.get("/episodes", response=Page[EpisodeOut], url_name="episodes")
def list_episodes(request: HttpRequest, paging: Query[Paging]) -> dict[str, object]:
    """The care episodes the therapist is the primary therapist of (none for a clinic admin,
    who sees no clinical record)."""
    user = staff(request)
    count, items = paginate(access.episodes_for(user), paging, "-started_on")
    access.note_listed(user, items)
    return page(count, paging, items)


@router.get("/episodes/{episode_id}", response=EpisodeOut, url_name="episode")
def get_episode(request: HttpRequest, episode_id: uuid.UUID) -> object:
    return access.get_episode(staff(request), episode_id)
