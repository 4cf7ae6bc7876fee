from django.apps import AppConfig


class AbsencesConfig(AppConfig):
    name = "alliance.absences"
    label = "absences"
    verbose_name = "Planned absences"

    def ready(self) -> None:
        # The notice's body and its "still wanted" check (alliance.messaging.services).
        from alliance.absences import notices  # noqa: F401
