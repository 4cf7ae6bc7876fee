from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "alliance.messaging"
    label = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the "only if still not done" checks of each reminder kind.
        from alliance.messaging import reminders  # noqa: F401
