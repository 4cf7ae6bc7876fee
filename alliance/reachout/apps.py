from django.apps import AppConfig


class ReachOutConfig(AppConfig):
    name = "alliance.reachout"
    label = "reachout"
    verbose_name = "Reaching out"
    default_auto_field = "django.db.models.BigAutoField"
