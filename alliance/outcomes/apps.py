from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "alliance.outcomes"
    label = "outcomes"
    verbose_name = "Outcome questionnaires, schedules and safety"
