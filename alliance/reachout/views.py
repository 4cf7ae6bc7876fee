from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance import access, formtoken
from alliance.access import AuthedRequest
from alliance.accounts.lockout import client_ip
from alliance.outcomes.safety import crisis_resources_for
from alliance.people.models import Role
from alliance.reachout import selectors, services, spam
from alliance.reachout.forms import AnswerForm, InviteForm, PageForm, ReachOutForm
from alliance.reachout.models import ReachOutPage, ReachOutRequest

STAFF = (Role.THERAPIST, Role.CLINIC_ADMIN)


def _site(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _open_page(slug: str) -> ReachOutPage:
    page = selectors.open_page(slug)
    if page is None:
        raise Http404
    return page


def _public(page: ReachOutPage) -> dict[str, Any]:
    """What every public page shows: the page, and its clinic's crisis lines in the footer."""
    return {
        "page": page,
        "crisis_clinic": page.clinic,
        "crisis_resources": crisis_resources_for(page.clinic),
        "retention_days": settings.ALLIANCE_REACH_OUT_RETENTION_DAYS,
    }


def _form_page(
    request: HttpRequest,
    page: ReachOutPage,
    form: ReachOutForm,
    *,
    token: str,
    refusal: spam.Refusal | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _public(page) | {
        "form": form,
        "form_token": token,
        # A fresh stamp every time the form is shown, with whatever was typed kept.
        "stamp": spam.stamp(page.id, now=timezone.now()),
        "refusal": refusal.value if refusal is not None else "",
        "honeypot": spam.HONEYPOT_FIELD,
    }
    return render(request, "reachout/form.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def reach_out_form_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The public page: no account, nothing from any other site, the same form after a refusal
    with every word kept (docs/reach-out.md)."""
    page = _open_page(slug)
    if request.method == "GET":
        return _form_page(request, page, ReachOutForm(page=page), token=formtoken.or_fresh(""))
    now, address = timezone.now(), client_ip(request)
    form = ReachOutForm(request.POST, page=page)
    token = formtoken.parse(request.POST.get("form_token"))
    if token is not None and selectors.already_received(page, token):
        return redirect("reach_out_thanks", slug=page.slug)  # a second press: stored once
    refusal = spam.refusal(request.POST, page.id, address, has_token=token is not None, now=now)
    if refusal is None and form.is_valid() and token is not None:
        data = form.cleaned_data
        services.request_submit(
            page=page,
            form_token=token,
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            message=data["message"],
            language=translation.get_language() or "",
            now=now,
        )
        spam.count_attempt(address, now=now)
        return redirect("reach_out_thanks", slug=page.slug)
    if refusal is not None and refusal.counts:
        spam.count_attempt(address, now=now)
    status = 429 if refusal == spam.Refusal.RATE_LIMITED else 400
    token_text = formtoken.or_fresh(str(token or ""))
    return _form_page(request, page, form, token=token_text, refusal=refusal, status=status)


@require_GET
def reach_out_thanks_view(request: HttpRequest, slug: str) -> HttpResponse:
    page = _open_page(slug)
    context = _public(page) | {"answer_days": settings.ALLIANCE_REACH_OUT_ANSWER_DAYS}
    return render(request, "reachout/thanks.html", context)


# --- staff ------------------------------------------------------------------------------------


@require_GET
@access.role_required(*STAFF)
def reach_out_list_view(request: AuthedRequest) -> HttpResponse:
    requests = selectors.requests_listed(access.reach_outs_for(request.user))
    access.note_reach_outs_listed(request.user, requests)
    context = {
        "requests": requests,
        "page": selectors.page_of(request.user),
        "retention_days": settings.ALLIANCE_REACH_OUT_RETENTION_DAYS,
    }
    return render(request, "reachout/list.html", context)


def _detail(
    request: AuthedRequest, reach_out: ReachOutRequest, *, status: int = 200, **forms: Any
) -> HttpResponse:
    """The request and its three answers; ``forms`` are the ones posted with an error."""
    page = reach_out.page
    admin = request.user.role == Role.CLINIC_ADMIN
    context = {
        "reach_out": reach_out,
        "page": page,
        "reply_form": forms.get("reply_form") or AnswerForm(decline=False),
        "decline_form": forms.get("decline_form")
        or AnswerForm(
            decline=True,
            initial={
                "text": services.decline_words(page, by=request.user, language=reach_out.language)
            },
        ),
        "invite_form": forms.get("invite_form")
        or InviteForm(
            initial={
                "full_name": reach_out.name,
                "email": reach_out.email,
                "timezone": page.clinic.timezone,
            },
            therapists=selectors.intake_therapists(request.user) if admin else None,
        ),
    }
    return render(request, "reachout/detail.html", context, status=status)


@require_GET
@access.role_required(*STAFF)
def reach_out_detail_view(request: AuthedRequest, request_id: str) -> HttpResponse:
    return _detail(request, access.get_reach_out(request.user, request_id))


def _answer_view(request: AuthedRequest, request_id: str, *, decline: bool) -> HttpResponse:
    reach_out = access.get_reach_out(request.user, request_id)
    form = AnswerForm(request.POST, decline=decline)
    if not form.is_valid():
        key = "decline_form" if decline else "reply_form"
        return _detail(request, reach_out, status=400, **{key: form})
    answer = services.request_decline if decline else services.request_reply
    try:
        answer(
            request=reach_out,
            actor=request.user,
            text=form.cleaned_data["text"],
            site=_site(request),
        )
    except services.ReachOutError as error:
        messages.info(request, str(error))
    else:
        messages.success(
            request,
            _("Your answer is on its way to %(email)s.") % {"email": reach_out.email},
        )
    return redirect("reach_out_detail", request_id=reach_out.id)


@require_POST
@access.role_required(*STAFF)
def reach_out_reply_view(request: AuthedRequest, request_id: str) -> HttpResponse:
    return _answer_view(request, request_id, decline=False)


@require_POST
@access.role_required(*STAFF)
def reach_out_decline_view(request: AuthedRequest, request_id: str) -> HttpResponse:
    return _answer_view(request, request_id, decline=True)


@require_POST
@access.role_required(*STAFF)
def reach_out_invite_view(request: AuthedRequest, request_id: str) -> HttpResponse:
    reach_out = access.get_reach_out(request.user, request_id)
    admin = request.user.role == Role.CLINIC_ADMIN
    form = InviteForm(
        request.POST, therapists=selectors.intake_therapists(request.user) if admin else None
    )
    if not form.is_valid():
        return _detail(request, reach_out, status=400, invite_form=form)
    try:
        invited = services.request_invite(
            request=reach_out,
            actor=request.user,
            full_name=form.cleaned_data["full_name"],
            display_name=form.cleaned_data["display_name"],
            email=form.cleaned_data["email"],
            timezone_name=form.cleaned_data["timezone"],
            therapist=form.cleaned_data.get("therapist"),
            site=_site(request),
        )
    except services.ReachOutError as error:
        messages.info(request, str(error))
    else:
        messages.success(
            request,
            _("An invitation is on its way to %(email)s; it waits on %(name)s's caseload.")
            % {"email": invited.email, "name": invited.request.invited_to},
        )
    return redirect("reach_out_detail", request_id=reach_out.id)


@require_http_methods(["GET", "POST"])
@access.role_required(*STAFF)
def reach_out_page_view(request: AuthedRequest) -> HttpResponse:
    """A therapist's own page, or for a clinic admin the clinic's: open it, word it, close it."""
    page = selectors.page_of(request.user)
    form = PageForm(
        request.POST if request.method == "POST" else None,
        initial=services.page_initial(request.user, page),
    )
    if request.method == "POST" and form.is_valid():
        try:
            page = services.page_save(actor=request.user, **form.cleaned_data)
        except services.ReachOutError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your reach-out page is saved."))
            return redirect("reach_out_page")
    context = {
        "form": form,
        "page": page,
        "link": services.page_link(page, _site(request)) if page is not None else "",
    }
    return render(
        request,
        "reachout/page_settings.html",
        context,
        status=400 if request.method == "POST" else 200,
    )
