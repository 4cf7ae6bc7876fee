from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "alliance.timeline"
    label = "timeline"
    verbose_name = "Client timeline and session prep"
