from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "alliance.diary"
    label = "diary"
    verbose_name = "DBT diary card"
