"""The nightly deletion of reach-out requests past their retention period (ops.periodic)."""

from __future__ import annotations

from django_tasks import task


@task()
def purge_requests() -> str:
    from alliance.reachout.services import requests_purge

    return f"{requests_purge()} reach-out requests past their retention period deleted"
