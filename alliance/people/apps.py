from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "alliance.people"
    label = "people"
    verbose_name = "People and care episodes"
