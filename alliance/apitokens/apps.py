from django.apps import AppConfig


class ApiTokensConfig(AppConfig):
    name = "alliance.apitokens"
    label = "apitokens"
    verbose_name = "API access tokens"
