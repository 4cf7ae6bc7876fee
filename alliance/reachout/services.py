"""Writes for reaching out: a page opened or changed, a request received, answered once (a
reply, a kind decline, or an invitation to become a client), and deleted when its time is up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import (
    Entry,
    audit_record,
    audit_record_bulk,
    audit_record_unattributed,
)
from alliance.messaging.models import MessageKind, OutboxMessage
from alliance.messaging.services import message_queue
from alliance.outcomes.safety import crisis_lines_for
from alliance.people.models import Role, User
from alliance.people.services import PeopleError, client_invite
from alliance.reachout.models import ReachOutPage, ReachOutRequest, RequestStatus
from alliance.reachout.selectors import page_of, past_retention, slug_taken

ABOUT_TYPE = "reach_out"


class ReachOutError(Exception):
    """A request that cannot be carried out; the message is written for the person asking."""


def _entry(request: ReachOutRequest, action: str, detail: str = "") -> Entry:
    return Entry(action, RecordType.REACH_OUT, request.id, None, request.page.clinic_id, detail)


# --- the page ----------------------------------------------------------------------------------


PAGE_FIELDS = ("is_open", "slug", "display_name", "welcome")


def page_initial(actor: User, page: ReachOutPage | None) -> dict[str, object]:
    """The settings form's starting values: the page's own, or a suggestion for a new one."""
    if page is not None:
        return {name: getattr(page, name) for name in PAGE_FIELDS}
    name = actor.full_name if actor.role == Role.THERAPIST else actor.clinic.name
    return {"is_open": True, "slug": slugify(name)[:60].strip("-"), "display_name": name}


def page_save(
    *,
    actor: User,
    is_open: bool,
    slug: str,
    display_name: str,
    welcome: str,
    now: datetime | None = None,
) -> ReachOutPage:
    """A therapist opens (or changes, or closes) their own page; a clinic admin the clinic's.

    Closing keeps the page's address and every request that came through it.
    """
    if actor.role not in (Role.THERAPIST, Role.CLINIC_ADMIN):
        raise ReachOutError(_("Only a therapist or a clinic admin has a reach-out page."))
    now = now or timezone.now()
    slug = slug.strip().lower()
    values: dict[str, object] = {
        "is_open": is_open,
        "slug": slug,
        "display_name": display_name.strip(),
        "welcome": welcome.strip(),
    }
    with transaction.atomic():
        page = page_of(actor)
        if slug_taken(slug, other_than=page):
            raise ReachOutError(_("That address is already taken. Please choose another."))
        created = page is None
        if page is None:
            page = ReachOutPage(
                clinic_id=actor.clinic_id,
                therapist=actor if actor.role == Role.THERAPIST else None,
            )
        changed = [name for name in PAGE_FIELDS if getattr(page, name) != values[name]]
        if not created and not changed:
            return page
        for name in changed:
            setattr(page, name, values[name])
        page.updated_at = now
        try:
            page.full_clean()
        except ValidationError as error:
            raise ReachOutError(" ".join(error.messages)) from None
        try:
            with transaction.atomic():
                page.save()
        except IntegrityError:  # another page took the address in the meantime
            raise ReachOutError(
                _("That address is already taken. Please choose another.")
            ) from None
        audit_record(
            actor=actor,
            entry=Entry(
                AuditAction.CREATE if created else AuditAction.UPDATE,
                RecordType.REACH_OUT_PAGE,
                page.id,
                page.therapist_id,
                page.clinic_id,
                "" if created else " ".join(sorted(changed)),
            ),
        )
    return page


# --- a request comes in ----------------------------------------------------------------------


def request_submit(
    *,
    page: ReachOutPage,
    form_token: uuid.UUID,
    name: str,
    email: str,
    phone: str = "",
    message: str = "",
    language: str = "",
    now: datetime | None = None,
) -> tuple[ReachOutRequest, bool]:
    """Store what someone sent through ``page``; returns (request, created).

    ``language`` is the one the page was shown in: the answer mail is written in it.

    The same form sent twice (its ``form_token``) is stored once. Nothing is emailed to the
    address they typed: the form cannot be used to send mail to a stranger.
    """
    if not page.is_open:
        raise ReachOutError(_("This page is not taking messages at the moment."))
    now = now or timezone.now()
    with transaction.atomic():
        existing = ReachOutRequest.objects.filter(form_token=form_token).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                request = ReachOutRequest.objects.create(
                    page=page,
                    form_token=form_token,
                    name=name.strip(),
                    email=email.strip(),
                    phone=phone.strip(),
                    message=message.strip(),
                    language=language,
                    consent_at=now,
                    received_at=now,
                )
        except IntegrityError:  # the same form, sent twice at the same instant
            return ReachOutRequest.objects.get(form_token=form_token), False
        audit_record_unattributed(entry=_entry(request, AuditAction.CREATE))
    return request, True


# --- answering ---------------------------------------------------------------------------------


def _may_answer(actor: User, request: ReachOutRequest) -> bool:
    page = request.page
    if actor.clinic_id != page.clinic_id:
        return False
    if actor.role == Role.THERAPIST:
        return page.therapist_id == actor.id
    if actor.role == Role.CLINIC_ADMIN:
        return page.therapist is None or not page.therapist.is_active
    return False


def _lock_waiting(request: ReachOutRequest, actor: User) -> ReachOutRequest:
    """The request, locked, if ``actor`` may answer it and nobody has yet."""
    locked = (
        ReachOutRequest.objects.select_for_update(of=("self",))
        .select_related("page", "page__clinic", "page__therapist")
        .get(pk=request.pk)
    )
    if not _may_answer(actor, locked):
        raise ReachOutError(_("Only the therapist it was sent to, or the clinic, can answer it."))
    if not locked.is_waiting:
        raise ReachOutError(
            _("This request was already answered (%(status)s, %(when)s), so nothing more was sent.")
            % {
                "status": locked.get_status_display().lower(),
                "when": dateformat.format(timezone.localtime(locked.answered_at), "j M Y, H:i")
                if locked.answered_at
                else "",
            }
        )
    return locked


def _mark(request: ReachOutRequest, status: str, actor: User, now: datetime, answer: str) -> None:
    request.status = status
    request.answered_at = now
    request.answered_by = actor
    request.answer = answer
    request.save(update_fields=["status", "answered_at", "answered_by", "answer", "invited_to"])
    audit_record(actor=actor, entry=_entry(request, AuditAction.TRANSITION, status))


def page_link(page: ReachOutPage, site: str) -> str:
    return site + reverse("reach_out_form", args=[page.slug])


def _in_own_voice(page: ReachOutPage, actor: User) -> bool:
    """Whether ``actor`` answers as the page's own therapist ("I", signed with their name).

    Anyone else (the clinic, for its own page or for a therapist who has left) answers as "we",
    signed with the clinic's name: never in the name of someone who did not write it.
    """
    return page.therapist_id is not None and page.therapist_id == actor.id


def _queue_answer(
    request: ReachOutRequest, text: str, *, actor: User, site: str, now: datetime
) -> None:
    page = request.page
    own = _in_own_voice(page, actor)
    context = {
        "request": request,
        "page": page,
        "signature": page.display_name if own else page.clinic.name,
        "own_voice": own,
        "text": text,
        "link": page_link(page, site),
        "crisis": crisis_lines_for(page.clinic),
        "clinic": page.clinic,
    }
    # In the language they wrote in, whatever the language of the person answering.
    with translation.override(request.language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("reachout/mail/answer_subject.txt", context).split())
        body = render_to_string("reachout/mail/answer.txt", context)
    message_queue(
        kind=MessageKind.REACH_OUT_ANSWER,
        # One answer per request, whichever it is: the outbox refuses a second.
        key=f"{ABOUT_TYPE}:{request.id}",
        subject=subject,
        body=body,
        to_address=request.email,
        clinic=page.clinic,
        about_type=ABOUT_TYPE,
        about_id=request.id,
        now=now,
    )


def _answer(
    *, request: ReachOutRequest, actor: User, text: str, status: str, site: str, now: datetime
) -> ReachOutRequest:
    text = text.strip()
    if not text:
        raise ReachOutError(_("Please write a few words to send."))
    with transaction.atomic():
        locked = _lock_waiting(request, actor)
        _mark(locked, status, actor, now, text)
        _queue_answer(locked, text, actor=actor, site=site, now=now)
    return locked


def request_reply(
    *, request: ReachOutRequest, actor: User, text: str, site: str, now: datetime | None = None
) -> ReachOutRequest:
    """Answer a request: ``text`` goes to them by email, through the outbox. Once only."""
    return _answer(
        request=request,
        actor=actor,
        text=text,
        status=RequestStatus.REPLIED,
        site=site,
        now=now or timezone.now(),
    )


def request_decline(
    *, request: ReachOutRequest, actor: User, text: str, site: str, now: datetime | None = None
) -> ReachOutRequest:
    """Say kindly that there is no place for them here (``decline_words`` to start from)."""
    return _answer(
        request=request,
        actor=actor,
        text=text,
        status=RequestStatus.DECLINED,
        site=site,
        now=now or timezone.now(),
    )


def decline_words(page: ReachOutPage, *, by: User, language: str = "") -> str:
    """The kind decline a form starts with: "I" from the page's therapist, else "we".

    In ``language`` (the one the person wrote in), as the answer that carries it will be.
    """
    context = {"page": page, "clinic": page.clinic, "for_therapist": _in_own_voice(page, by)}
    with translation.override(language or settings.LANGUAGE_CODE):
        return render_to_string("reachout/mail/decline_words.txt", context).strip()


@dataclass(frozen=True)
class Invited:
    request: ReachOutRequest
    email: str


def request_invite(
    *,
    request: ReachOutRequest,
    actor: User,
    full_name: str,
    email: str,
    timezone_name: str,
    site: str,
    display_name: str = "",
    therapist: User | None = None,
    now: datetime | None = None,
) -> Invited:
    """Turn a request into a client invitation in one step (``people.services.client_invite``):
    they are added to the caseload of the therapist it was sent to (a clinic admin chooses the
    therapist) and get the invitation email. Once only."""
    now = now or timezone.now()
    if actor.role == Role.THERAPIST:
        therapist = actor
    elif therapist is None:
        raise ReachOutError(_("Please choose whose caseload they join."))
    with transaction.atomic():
        locked = _lock_waiting(request, actor)
        try:
            sent_to = client_invite(
                therapist=therapist,
                added_by=actor,
                full_name=full_name,
                display_name=display_name,
                email=email,
                timezone_name=timezone_name,
                site=site,
                now=now,
            )
        except PeopleError as error:
            raise ReachOutError(str(error)) from None
        locked.invited_to = therapist
        _mark(locked, RequestStatus.INVITED, actor, now, "")
    return Invited(request=locked, email=sent_to)


# --- retention ---------------------------------------------------------------------------------


def requests_purge(*, now: datetime | None = None, batch: int = 500) -> int:
    """Delete every request received more than ``ALLIANCE_REACH_OUT_RETENTION_DAYS`` ago,
    answered or not, with the answer that went to them from the outbox; returns how many.

    A request exactly that old stays until the next run. Each deletion leaves an audit row
    (which request, when; nothing of what it said).
    """
    now = now or timezone.now()
    deleted = 0
    while True:
        with transaction.atomic():
            rows = list(past_retention(now).select_related("page").order_by("received_at")[:batch])
            if not rows:
                return deleted
            ids = [row.id for row in rows]
            OutboxMessage.objects.filter(about_type=ABOUT_TYPE, about_id__in=ids).delete()
            audit_record_bulk(
                actor=None,
                entries=[_entry(row, AuditAction.DELETE, "retention") for row in rows],
                at=now,
            )
            ReachOutRequest.objects.filter(id__in=ids).delete()
            deleted += len(rows)
