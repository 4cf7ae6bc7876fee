"""The periodic absence scan (enqueued by ``alliance.ops.periodic``)."""

from __future__ import annotations

from django_tasks import task


@task()
def scan_absences() -> str:
    from alliance.absences.notices import absences_scan

    told, cover = absences_scan()
    return f"absence notices {told}, cover risk notices {cover} queued"
