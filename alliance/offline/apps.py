from django.apps import AppConfig


class OfflineConfig(AppConfig):
    name = "alliance.offline"
    label = "offline"
    verbose_name = "Offline"
