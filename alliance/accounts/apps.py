from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "alliance.accounts"
    label = "accounts"
    verbose_name = "Sign-in, two-factor authentication and account security"

    def ready(self) -> None:
        # All three connect receivers of the login signal.
        from alliance.accounts import language, reauth, sessions  # noqa: F401
