"""Two-factor authentication, recovery codes, email changes and ending sessions.

Staff (therapists and clinic admins) sign in with a password and a code from an authenticator
app (TOTP, RFC 6238, through django-otp), or one of ten single-use recovery codes. Clients sign
in with a password only.
"""

from __future__ import annotations

import math
from base64 import b32encode
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

import django_otp
import segno
from django.conf import settings
from django.contrib.auth import SESSION_KEY, authenticate
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from alliance.accounts.mail import send_notice
from alliance.accounts.models import Authenticator, RecoveryCodes
from alliance.audit.models import AuditAction
from alliance.audit.recorder import about_person, audit_record
from alliance.crypto import decrypt, encrypt
from alliance.people.models import Role, User

STAFF_ROLES = frozenset({Role.THERAPIST, Role.CLINIC_ADMIN, Role.SUPERVISOR})
RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


class AccountError(Exception):
    """A request that cannot be carried out; the message is written for the person asking."""


class WrongCredentials(AccountError):
    """A wrong password or code: counted towards the lockout."""


class WrongCode(WrongCredentials):
    pass


class CodeThrottled(AccountError):
    """Too many wrong codes in a row: django-otp refuses to check another one yet."""


# --- who needs what ------------------------------------------------------------------------


def two_factor_required(user: User) -> bool:
    return user.role in STAFF_ROLES


def second_factor_given(user: object) -> bool:
    """Whether this session's user gave their second factor (django-otp's `is_verified`)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(callable(is_verified) and is_verified())


def two_factor_pending(user: object) -> bool:
    """A signed-in staff member who has not yet given their second factor in this session."""
    if not isinstance(user, User) or not two_factor_required(user):
        return False
    return not second_factor_given(user)


def authenticator_for(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


# --- setting up an authenticator -----------------------------------------------------------


def totp_setup_start(*, user: User) -> TOTPDevice:
    """The not-yet-confirmed authenticator being set up (the same secret on every reload)."""
    if not two_factor_required(user):
        raise AccountError(_("Two-factor authentication is for staff accounts."))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it: base32, in groups of four."""
    encoded = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// setup link as a QR code, an SVG data URI for an <img> (no inline style)."""
    return str(
        segno.make(device.config_url, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")
    )


def totp_setup_confirm(*, user: User, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the new authenticator with a code from it; returns it and new recovery codes.

    Any earlier authenticator stops working, and so do earlier recovery codes.
    """
    codes: list[str] = []
    with transaction.atomic():
        device = (
            Authenticator.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-id")
            .first()
        )
        if device is None:
            raise AccountError(_("Please start the set-up again."))
        _check_allowed(device)
        # A wrong code must still be counted by the throttle, so it leaves the transaction
        # committed rather than rolled back by the exception.
        matched = device.verify_token(normalize_code(code))
        if matched:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = recovery_codes_generate(user=user)
    if not matched:
        raise WrongCode(
            _(
                "That code didn't match. Check the app shows Alliance, then type the "
                "6-digit code it shows now."
            )
        )
    return device, codes


def recovery_codes_generate(*, user: User) -> list[str]:
    """Ten new single-use recovery codes; the old ones stop working. Shown once, then gone."""
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=user, defaults={"name": RECOVERY_NAME, "confirmed": True}
        )
        StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def recovery_code_display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


# --- checking a code -----------------------------------------------------------------------


def normalize_code(raw: str) -> str:
    """People type codes with spaces or a dash, and recovery codes in capitals."""
    return "".join(raw.split()).replace("-", "").lower()


def _check_allowed(device: Device) -> None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return
    until = (info or {}).get("locked_until")
    message = _("Too many wrong codes in a row.")
    if isinstance(until, datetime):
        seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
        if seconds < 120:
            wait = ngettext(
                "Please wait %(n)d second and try again.",
                "Please wait %(n)d seconds and try again.",
                seconds,
            ) % {"n": seconds}
        else:
            minutes = math.ceil(seconds / 60)
            wait = ngettext(
                "Please wait %(n)d minute and try again.",
                "Please wait %(n)d minutes and try again.",
                minutes,
            ) % {"n": minutes}
        message = f"{message} {wait}"
    raise CodeThrottled(message)


def two_factor_check(*, user: User, code: str) -> Device:
    """The device that accepts ``code``: the authenticator (6 digits) or a recovery code.

    A recovery code is used up. Wrong codes raise WrongCode and, from the second one in a row,
    slow down further tries (django-otp's throttling, 2, 4, 8… seconds; see
    ``alliance.accounts.models``); a try while slowed down raises CodeThrottled.
    """
    token = normalize_code(code)
    devices: list[Device]
    if len(token) == 6 and token.isdigit():
        devices = list(Authenticator.objects.filter(user=user, confirmed=True))
    else:
        devices = list(RecoveryCodes.objects.filter(user=user, confirmed=True))
    for device in devices:
        _check_allowed(device)
        verified = django_otp.verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    raise WrongCode(
        _("That code didn't work. Type the 6-digit code your app shows now, or a recovery code.")
    )


def reauth_confirm(*, request: HttpRequest, user: User, password: str, code: str) -> None:
    """Check the person's password (and a code, for staff) again before a sensitive action.

    The password goes through ``authenticate``, so a wrong one counts towards the lockout.
    """
    checked = authenticate(request, username=user.email, password=password)
    if checked is None or checked.pk != user.pk:
        raise WrongCredentials(_("That password isn't right. Please try again."))
    if two_factor_required(user):
        two_factor_check(user=user, code=code)


# --- resetting -----------------------------------------------------------------------------


def two_factor_reset(
    *, user: User, actor: User | None, keep_session_key: str | None = None
) -> None:
    """Remove the authenticator and recovery codes; the next sign-in sets up a new one.

    The person's other sessions end: once the old authenticator is gone, any of them could
    otherwise set up a new one. ``actor`` is who asked (the person, a clinic admin, or None for
    the ``reset_two_factor`` command); the audit log keeps it.
    """
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(actor=actor, entry=about_person(user, AuditAction.UPDATE, "two_factor_reset"))
    sessions_end(user=user, keep_session_key=keep_session_key)


def two_factor_reset_by_admin(*, admin: User, person: User) -> None:
    """A clinic admin resets a staff member's two-factor, e.g. after a lost phone."""
    if admin.role != Role.CLINIC_ADMIN or person.clinic_id != admin.clinic_id:
        raise AccountError(_("Only a clinic admin of the same clinic can reset two-factor."))
    if person.pk == admin.pk:
        raise AccountError(_("To reset your own authenticator app, use your Account page."))
    if not two_factor_required(person):
        raise AccountError(_("Only staff accounts use two-factor authentication."))
    two_factor_reset(user=person, actor=admin)


def sessions_end(
    *, user: User, keep_session_key: str | None = None, now: datetime | None = None
) -> int:
    """Delete every server-side session of ``user`` (but ``keep_session_key``); returns how many.

    Sessions are stored encoded, so each live one is decoded to find its user. A clinic has a
    few hundred sessions at most; this runs only on deactivation and two-factor resets.
    """
    now = now or timezone.now()
    user_id = str(user.pk)
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=now).only(
            "session_key", "session_data"
        )
        if session.session_key != keep_session_key
        and session.get_decoded().get(SESSION_KEY) == user_id
    ]
    # Through the session engine, so the cached copy goes with the row (cached_db sessions).
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in ended:
        store(session_key=key).delete()
    return len(ended)


# --- email ---------------------------------------------------------------------------------


def password_change(*, user: User, form: Any) -> None:
    """Save a valid ``SetPasswordForm`` for ``user``, and log that the password changed."""
    with transaction.atomic():
        form.save()
        audit_record(actor=user, entry=about_person(user, AuditAction.UPDATE, "password_changed"))


def profile_update(*, user: User, display_name: str, contact_details: str | None = None) -> User:
    """Change how the person is addressed, and (therapists) how clients reach them.

    ``contact_details`` of None leaves it as it is (only therapists have it). Each change is
    logged as other account changes are, without the values.
    """
    display_name = " ".join(display_name.split())[:80]
    if not display_name:
        raise AccountError(_("Please give the name you'd like to be called."))
    if contact_details is not None and user.role != Role.THERAPIST:
        raise AccountError(_("Only therapists give contact details for their clients."))
    changed: list[str] = []
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if display_name != user.display_name:
            user.display_name = display_name
            changed.append("display_name")
        if contact_details is not None and contact_details.strip() != user.contact_details:
            user.contact_details = contact_details.strip()
            changed.append("contact_details")
        if changed:
            user.save(update_fields=changed)
            for field in changed:
                audit_record(
                    actor=user, entry=about_person(user, AuditAction.UPDATE, f"{field}_changed")
                )
    return user


def language_choose(*, user: User, language: str) -> User:
    """The language of the person's pages and mail, from now on (logged, as other changes)."""
    if language not in dict(settings.LANGUAGES):
        raise AccountError(_("Please choose one of the languages offered."))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.language != language:
            user.language = language
            user.save(update_fields=["language"])
            audit_record(
                actor=user, entry=about_person(user, AuditAction.UPDATE, "language_changed")
            )
    return user


def password_reset_complete(*, form: Any) -> User:
    """Save the new password chosen through a reset link, and log that it changed.

    Nothing about two-factor changes: a staff member still gives a code at their next login.
    Every session of the person ends (Django checks the password hash each session holds).
    """
    with transaction.atomic():
        user: User = form.save_password()
        audit_record(actor=user, entry=about_person(user, AuditAction.UPDATE, "password_reset"))
    return user


EMAIL_CHANGE_SALT = "alliance.accounts.email_change"
EMAIL_CHANGE_MAX_AGE = timedelta(days=1)


def email_change_request(*, user: User, email: str, site: str) -> str:
    """Mail a link to the new address; the login changes only when it is opened.

    Returns the new address (normalised). What the person sees next is the same whether or not
    the address already has an account, here or in another clinic: then the owner of that
    address is told someone tried to use it, and nothing changes. A person cannot use this page
    to learn who uses Alliance.
    """
    email = User.objects.normalize_email(email.strip()).lower()
    if email == user.email:
        raise AccountError(_("That is already your email address."))
    with transaction.atomic():
        audit_record(
            actor=user, entry=about_person(user, AuditAction.UPDATE, "email_change_requested")
        )
        owner = User.objects.filter(email__iexact=email).first()
        if owner is not None:
            send_notice(
                to=email,
                name="email_change_address_in_use",
                context={"clinic": user.clinic},
                language=owner.language,
            )
        else:
            # Signed, so it can't be altered; neither address can be read from it (links end up
            # in browser histories and server logs).
            token = signing.dumps(
                {"user": str(user.pk), "from": _address_tag(user.email), "to": encrypt(email)},
                salt=EMAIL_CHANGE_SALT,
            )
            send_notice(
                to=email,
                name="email_change_confirm",
                context={
                    "person": user,
                    "link": site + reverse("email_change_confirm", args=[token]),
                },
                language=user.language,
            )
    return email


def email_change_lookup(*, user: User, token: str) -> str:
    """The new address a link from ``email_change_request`` is for, if it still works.

    A link works for a day, only for the person who asked, and once: it names the address it
    changes from, so once the change is made (or another link was used) it no longer applies.
    """
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.SignatureExpired:
        raise AccountError(
            _(
                "This link has expired (links work for a day). You can ask for a new one on your "
                "Account page."
            )
        ) from None
    except signing.BadSignature:
        raise AccountError(
            _("This link is not valid. Please check you opened the whole link from the message.")
        ) from None
    if not isinstance(data, dict) or data.get("user") != str(user.pk):
        raise AccountError(
            _(
                "This link was sent for another account. Log out, then log in as the person who "
                "asked for the change."
            )
        )
    if data.get("from") != _address_tag(user.email):
        raise AccountError(
            _("This link has already been used, or your address changed since it was sent.")
        )
    return decrypt(str(data["to"]), where="an email change link")


def _address_tag(email: str) -> str:
    return salted_hmac(EMAIL_CHANGE_SALT, email).hexdigest()[:32]


def email_change_confirm(*, user: User, token: str) -> User:
    """Make the change a link confirms; the old address is told."""
    email = email_change_lookup(user=user, token=token)
    taken = AccountError(_("This address can't be used for your account. Nothing was changed."))
    previous = user.email
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=user.pk)
            email = email_change_lookup(user=user, token=token)  # again, under the lock
            if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                raise taken
            user.email = email
            user.save(update_fields=["email"])
            # Neither address goes in the log, only that it changed.
            audit_record(actor=user, entry=about_person(user, AuditAction.UPDATE, "email_changed"))
    except IntegrityError:
        raise taken from None
    send_notice(
        to=previous,
        name="email_changed_notice",
        context={"person": user, "new_email": email, "clinic": user.clinic},
        language=user.language,
    )
    return user
