"""The clinic installation's periodic jobs as tasks (enqueued by ``alliance.ops.periodic``)."""

from __future__ import annotations

from django_tasks import task


@task()
def recompute_signals() -> str:
    from alliance.ruptures.dropout import dropout_scan
    from alliance.ruptures.services import signals_recompute

    report = signals_recompute()
    dropout = dropout_scan()
    return (
        f"{report.checkins} check-ins, {report.alerts_created} alerts opened, "
        f"{report.alerts_updated} updated; dropout risk for {dropout.raised} of "
        f"{dropout.episodes} episodes, {dropout.opened} alerts opened"
    )


@task()
def clear_sessions() -> str:
    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.module_loading import import_string

    expired = Session.objects.filter(expire_date__lt=timezone.now()).count()
    # Django's own clean-up, through whichever session engine is configured.
    import_string(f"{settings.SESSION_ENGINE}.SessionStore").clear_expired()
    return f"{expired} expired sign-in sessions deleted"


@task()
def open_ended_sessions() -> str:
    from alliance.people.services import sessions_open_ended

    return f"{sessions_open_ended()} check-ins opened at the end of their session"
