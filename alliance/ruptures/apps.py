from django.apps import AppConfig


class RupturesConfig(AppConfig):
    name = "alliance.ruptures"
    label = "ruptures"
    verbose_name = "Ruptures, alerts and repair"
