"""Making, using and revoking personal access tokens (writes, each in its own transaction)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.apitokens.models import PersonalAccessToken, RateWindow, Scope
from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import Entry, audit_record
from alliance.people.models import Role, User

TOKEN_PREFIX = "alc_"  # noqa: S105 -- a marker, not a secret
MAX_LIFETIME = timedelta(days=365)
STAFF_ROLES = (Role.THERAPIST, Role.CLINIC_ADMIN)
# Only this many characters of the secret after ``alc_`` are kept in clear, to tell tokens apart.
SHOWN_CHARACTERS = 8
# How often ``last_used_at`` is written: not on every request, which would be a write per read.
LAST_USED_EVERY = timedelta(minutes=5)


class TokenError(ValueError):
    """Bad input for a new token, said in words the person can act on."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _entry(token: PersonalAccessToken, action: str, detail: str) -> Entry:
    return Entry(
        action=action,
        record_type=RecordType.API_TOKEN,
        record_id=token.id,
        subject_id=token.user_id,
        clinic_id=token.user.clinic_id,
        detail=detail,
    )


def token_create(
    *, user: User, name: str, scope: str, expires_at: datetime, now: datetime | None = None
) -> tuple[PersonalAccessToken, str]:
    """A new token and its secret (the only time the secret exists outside the caller)."""
    now = now or timezone.now()
    if user.role not in STAFF_ROLES or not user.is_active:
        raise TokenError(_("Only therapists and clinic admins can have API tokens."))
    name = name.strip()
    if not name:
        raise TokenError(_("Please give the token a name, so you can tell it apart later."))
    if len(name) > 80:
        raise TokenError(_("Please keep the name to 80 characters or fewer."))
    if scope not in Scope.values:
        raise TokenError(_("Please choose read only, or read and write."))
    if expires_at <= now:
        raise TokenError(_("The expiry date must be in the future."))
    if expires_at > now + MAX_LIFETIME:
        raise TokenError(_("A token can last one year at most."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = PersonalAccessToken.objects.create(
            user=user,
            name=name,
            prefix=secret[: len(TOKEN_PREFIX) + SHOWN_CHARACTERS],
            secret_hash=digest(secret),
            scope=scope,
            created_at=now,
            expires_at=expires_at,
        )
        audit_record(actor=user, entry=_entry(token, AuditAction.CREATE, f"scope={scope}"))
    return token, secret


def token_revoke(*, token: PersonalAccessToken, actor: User, now: datetime | None = None) -> bool:
    """Revoke the token; False (and nothing written) if it was revoked already."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = PersonalAccessToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return False
        locked.revoked_at = now
        locked.save(update_fields=["revoked_at"])
        token.revoked_at = now
        audit_record(actor=actor, entry=_entry(locked, AuditAction.TRANSITION, "revoked"))
    return True


def token_use(*, secret: str, now: datetime | None = None) -> PersonalAccessToken | None:
    """The live token this secret belongs to (its user active and staff), or None.

    Notes when it was last used, at most every few minutes.
    """
    now = now or timezone.now()
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = (
        PersonalAccessToken.objects.select_related("user", "user__clinic")
        .filter(secret_hash=digest(secret))
        .first()
    )
    if token is None or not token.is_usable(now):
        return None
    if not token.user.is_active or token.user.role not in STAFF_ROLES:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def rate_count(token: PersonalAccessToken, *, window: int) -> int:
    """Count one more request of ``token`` in ``window``; how many it has made there now.

    One row per token and window, incremented in the database (``used = used + 1``) inside a
    transaction, so two processes or two servers counting at the same moment both count: the
    second waits for the first's row lock (PostgreSQL) or write lock (SQLite). The first request
    of a window makes its row; two first requests at once meet the unique constraint, and the
    loser counts on the winner's row. The token's finished windows are deleted then.
    """
    counted = RateWindow.objects.filter(token=token, window=window)
    with transaction.atomic():
        if not counted.update(used=F("used") + 1):
            try:
                with transaction.atomic():
                    RateWindow.objects.create(token=token, window=window, used=1)
            except IntegrityError:
                counted.update(used=F("used") + 1)
            RateWindow.objects.filter(token=token, window__lt=window).delete()
        used: int = counted.values_list("used", flat=True).get()
    return used
