from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "alliance.exports"
    label = "exports"
    verbose_name = "Exports (the client's own, research, FHIR)"
