from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "alliance.people"
    label = "people"
    verbose_name = "People and care episodes"

    def ready(self) -> None:
        # The first of Alliance's apps: a translation catalogue changed since the install (a
        # pull, a merge) is compiled before any page is translated (alliance/catalogue.py).
        from alliance.catalogue import compile_stale

        compile_stale()
