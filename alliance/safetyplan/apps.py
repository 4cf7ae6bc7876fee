from django.apps import AppConfig


class SafetyPlanConfig(AppConfig):
    name = "alliance.safetyplan"
    label = "safetyplan"
    verbose_name = "Safety plan"
