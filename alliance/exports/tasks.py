"""The research export runs on the task queue (``alliance worker``): it can take minutes."""

from __future__ import annotations

import uuid

from django_tasks import task


@task()
def build_research_export(export_id: str) -> str:
    from alliance.exports.services import research_export_build

    export = research_export_build(export_id=uuid.UUID(export_id))
    return f"research export {export.id}: {export.status} {export.rows}"


@task()
def expire_research_exports() -> str:
    from alliance.exports.services import research_exports_expire

    return f"{research_exports_expire()} research export file(s) deleted"
