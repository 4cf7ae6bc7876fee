from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "alliance.accounts"
    label = "accounts"
    verbose_name = "Sign-in, two-factor authentication and account security"

    def ready(self) -> None:
        from alliance.accounts import reauth  # noqa: F401 -- connects the login signal
