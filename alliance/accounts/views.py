from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from alliance import access
from alliance.access import AuthedRequest
from alliance.accounts import services
from alliance.accounts.forms import (
    EmailChangeForm,
    LanguageForm,
    ProfileForm,
    ReauthForm,
    SetupCodeForm,
    VerifyCodeForm,
)
from alliance.accounts.lockout import lockout_ends_at, lockout_username, record_failed_code
from alliance.accounts.reauth import mark_recent_auth, require_recent_auth
from alliance.people.models import Role, User

ANY_ROLE = tuple(Role.values)
STAFF = (Role.THERAPIST, Role.CLINIC_ADMIN, Role.SUPERVISOR)
NEW_CODES_KEY = "alliance_new_recovery_codes"


def _safe_next(request: HttpRequest, default: str = "home") -> str:
    """Where to go after this step: ``next`` if it stays on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


def _status(request: HttpRequest) -> int:
    return 400 if request.method == "POST" else 200


def locked_out_response(
    request: HttpRequest, original_response: object = None, credentials: Any = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: what happened and when to try again, not a bare 403."""
    if request.user.is_authenticated:
        logout(request)
    credentials = credentials or getattr(request, "axes_credentials", None)
    ends_at = lockout_ends_at(request, lockout_username(request, credentials))
    cooloff = settings.AXES_COOLOFF_TIME
    remaining = (ends_at - timezone.now()) if ends_at else cooloff
    minutes = max(1, math.ceil(remaining.total_seconds() / 60))
    context = {"minutes": minutes, "failures": settings.AXES_FAILURE_LIMIT}
    return render(request, "accounts/locked_out.html", context, status=429)


@require_GET
@access.role_required(*ANY_ROLE)
def account_view(request: AuthedRequest) -> HttpResponse:
    user = request.user
    context = {
        "two_factor": services.two_factor_required(user),
        "authenticator": services.authenticator_for(user),
        "codes_left": services.recovery_codes_left(user),
        "language_form": LanguageForm(initial={"language": translation.get_language()}),
    }
    return render(request, "accounts/account.html", context)


@require_POST
@access.role_required(*ANY_ROLE)
def language_view(request: AuthedRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("language", []):
            messages.error(request, str(error))
        return redirect("account")
    language = form.cleaned_data["language"]
    services.language_choose(user=request.user, language=language)
    # The confirmation is already in the new language.
    translation.activate(language)
    # Translators: say the name of your own language here ("…now in French").
    messages.success(request, _("Saved. Your pages and emails are now in English."))
    response = redirect("account")
    # The login page, after logging out, stays in the same language.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite="Lax",  # settings.LANGUAGE_COOKIE_SAMESITE, as a literal for the type
    )
    return response


@require_http_methods(["GET", "POST"])
@access.role_required(*ANY_ROLE)
def profile_view(request: AuthedRequest) -> HttpResponse:
    user = request.user
    for_therapist = user.role == Role.THERAPIST
    initial = {"display_name": user.display_name, "contact_details": user.contact_details}
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        for_therapist=for_therapist,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(
                user=user,
                display_name=form.cleaned_data["display_name"],
                contact_details=form.cleaned_data["contact_details"] if for_therapist else None,
            )
        except services.AccountError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("account")
    return render(request, "accounts/profile.html", {"form": form}, status=_status(request))


def reauth_check(request: AuthedRequest, form: ReauthForm) -> HttpResponse | bool:
    """Who is at the keyboard, from a valid ``ReauthForm``: True once confirmed (and noted as a
    recent sign-in), False with the reason on the form, or the locked-out page to answer with.

    A wrong password counts toward the lockout (django-axes, through ``reauth_confirm``), and so
    does a wrong second-factor code (``record_failed_code``), wherever the form is asked.
    """
    user = request.user
    try:
        services.reauth_confirm(
            request=request,
            user=user,
            password=form.cleaned_data["password"],
            code=form.cleaned_data.get("code", ""),
        )
    except services.WrongCode as error:
        if record_failed_code(request, user.email):
            return locked_out_response(request)
        form.add_error("code", str(error))
        return False
    except services.AccountError as error:
        if getattr(request, "axes_locked_out", False):
            return locked_out_response(request)
        form.add_error(None, str(error))
        return False
    mark_recent_auth(request)
    return True


@require_http_methods(["GET", "POST"])
@access.role_required(*ANY_ROLE)
def reauth_view(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = ReauthForm(request.POST or None, needs_code=services.two_factor_required(user))
    if request.method == "POST" and form.is_valid():
        confirmed = reauth_check(request, form)
        if isinstance(confirmed, HttpResponse):
            return confirmed
        if confirmed:
            return redirect(_safe_next(request, "account"))
    context = {"form": form, "next": _safe_next(request, "account")}
    return render(request, "accounts/reauth.html", context, status=_status(request))


@require_http_methods(["GET", "POST"])
@access.role_required(*ANY_ROLE)
@require_recent_auth
def password_change_view(request: AuthedRequest) -> HttpResponse:
    user: User = request.user
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_change(user=user, form=form)
        # Other sessions end (their password hash no longer matches); this one carries on.
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password is changed. Other devices are logged out."))
        return redirect("account")
    return render(request, "accounts/password_change.html", {"form": form}, status=_status(request))


@require_http_methods(["GET", "POST"])
@access.role_required(*ANY_ROLE)
@require_recent_auth
def email_change_view(request: AuthedRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            email = services.email_change_request(
                user=request.user,
                email=form.cleaned_data["email"],
                site=request.build_absolute_uri("/").rstrip("/"),
            )
        except services.AccountError as error:
            form.add_error("email", str(error))
        else:
            # The same words whether or not the address has an account somewhere.
            messages.info(
                request,
                _(
                    "We sent a link to %(email)s. Your login changes when you open it (within "
                    "a day); until then, keep using %(current)s."
                )
                % {"email": email, "current": request.user.email},
            )
            return redirect("account")
    return render(request, "accounts/email_change.html", {"form": form}, status=_status(request))


@require_http_methods(["GET", "POST"])
@access.role_required(*ANY_ROLE)
def email_change_confirm_view(request: AuthedRequest, token: str) -> HttpResponse:
    """GET asks, POST changes: a mail program that opens links must not change anything."""
    try:
        new_email = services.email_change_lookup(user=request.user, token=token)
        if request.method == "POST":
            user = services.email_change_confirm(user=request.user, token=token)
            messages.success(
                request,
                _("Your email address is now %(email)s. Use it to log in.") % {"email": user.email},
            )
            return redirect("account")
    except services.AccountError as error:
        context = {"error": str(error)}
        return render(request, "accounts/email_change_confirm.html", context, status=400)
    return render(request, "accounts/email_change_confirm.html", {"new_email": new_email})


@require_http_methods(["GET", "POST"])
@access.role_required(*STAFF)
def two_factor_setup_view(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if services.authenticator_for(user) is not None:
        # Never let a password alone replace the authenticator: that is what reset is for.
        return redirect("account" if services.second_factor_given(user) else "two_factor_verify")
    device = services.totp_setup_start(user=user)
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.totp_setup_confirm(user=user, code=form.cleaned_data["code"])
        except services.AccountError as error:
            form.add_error("code", str(error))
        else:
            otp_login(request, device)
            request.session.cycle_key()
            mark_recent_auth(request)
            request.session[NEW_CODES_KEY] = codes
            return redirect("recovery_codes")
    context = {
        "form": form,
        "secret": services.totp_secret(device),
        "qr": services.totp_qr_data_uri(device),
        "otpauth_url": device.config_url,
    }
    return render(request, "accounts/two_factor_setup.html", context, status=_status(request))


@require_http_methods(["GET", "POST"])
@access.role_required(*STAFF)
def two_factor_verify_view(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if services.second_factor_given(user):
        return redirect(_safe_next(request))
    if services.authenticator_for(user) is None:
        return redirect("two_factor_setup")
    form = VerifyCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_factor_check(user=user, code=form.cleaned_data["code"])
        except services.WrongCode as error:
            if record_failed_code(request, user.email):
                return locked_out_response(request)
            form.add_error("code", str(error))
        except services.AccountError as error:
            form.add_error("code", str(error))
        else:
            otp_login(request, device)
            # A new session id once the second factor is given, as after the password: an id
            # seen before this point (a fixated or sniffed one) never reaches a verified session.
            request.session.cycle_key()
            mark_recent_auth(request)
            if isinstance(device, StaticDevice):
                left = services.recovery_codes_left(user)
                messages.warning(
                    request,
                    _(
                        "You used a recovery code; %(left)s left. If your phone is lost, "
                        "set up a new authenticator app on your Account page."
                    )
                    % {"left": left},
                )
            return redirect(_safe_next(request))
    context = {"form": form, "next": _safe_next(request)}
    return render(request, "accounts/two_factor_verify.html", context, status=_status(request))


@require_GET
@access.role_required(*STAFF)
def recovery_codes_view(request: AuthedRequest) -> HttpResponse:
    """New codes are shown on the first visit after they are made, and never again."""
    codes = request.session.pop(NEW_CODES_KEY, None)
    context = {
        "codes": [services.recovery_code_display(c) for c in codes or []],
        "codes_left": services.recovery_codes_left(request.user),
    }
    return render(request, "accounts/recovery_codes.html", context)


@require_http_methods(["GET", "POST"])
@access.role_required(*STAFF)
@require_recent_auth
def recovery_codes_regenerate_view(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        codes = services.recovery_codes_generate(user=request.user)
        request.session[NEW_CODES_KEY] = codes
        return redirect("recovery_codes")
    return render(request, "accounts/recovery_codes_regenerate.html")


@require_http_methods(["GET", "POST"])
@access.role_required(*STAFF)
@require_recent_auth
def two_factor_reset_view(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        services.two_factor_reset(
            user=request.user,
            actor=request.user,
            keep_session_key=request.session.session_key,
        )
        messages.info(request, _("Your old authenticator app no longer works. Set up the new one."))
        return redirect("two_factor_setup")
    return render(request, "accounts/two_factor_reset.html")


@require_http_methods(["GET", "POST"])
@access.role_required(Role.CLINIC_ADMIN)
@require_recent_auth
def person_two_factor_reset_view(request: AuthedRequest, person_id: str) -> HttpResponse:
    person = access.get_person(request.user, person_id)
    if request.method == "POST":
        try:
            services.two_factor_reset_by_admin(admin=request.user, person=person)
        except services.AccountError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _(
                    "Two-factor is reset for %(person)s. They set up a new authenticator app "
                    "at their next login."
                )
                % {"person": person},
            )
        return redirect("clinic_people")
    context = {"person": person, "authenticator": services.authenticator_for(person)}
    return render(request, "accounts/person_two_factor_reset.html", context)
