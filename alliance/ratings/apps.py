from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "alliance.ratings"
    label = "ratings"
    verbose_name = "The therapist's view of each session"
