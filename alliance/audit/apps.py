from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "alliance.audit"
    label = "audit"
    verbose_name = "Audit log and record retention"

    def ready(self) -> None:
        from alliance.audit import guards  # noqa: F401 -- connects the amend-only receivers
