"""The site's routes: each app owns its own `urls.py`; this file only includes them."""

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import set_language

from alliance import views
from alliance.apitokens import rest
from alliance.people.forms import EmailLoginForm

handler500 = "alliance.views.server_error_view"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home_view, name="home"),
    path("healthz", views.healthz_view, name="healthz"),
    path("favicon.ico", views.favicon_view, name="favicon"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="login.html",
            authentication_form=EmailLoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language link of the pages before sign-in: Django's own view sets the language cookie.
    path("language/", set_language, name="set_language"),
    path("", include("alliance.people.urls")),
    path("", include("alliance.checkins.urls")),
    path("", include("alliance.ruptures.urls")),
    path("", include("alliance.accounts.urls")),
    path("", include("alliance.audit.urls")),
    path("", include("alliance.outcomes.urls")),
    path("", include("alliance.diary.urls")),
    path("", include("alliance.reachout.urls")),
    path("", include("alliance.messaging.urls")),
    path("", include("alliance.absences.urls")),
    path("", include("alliance.exports.urls")),
    path("", include("alliance.safetyplan.urls")),
    path("", include("alliance.offline.urls")),
    path("", include("alliance.ratings.urls")),
    path("", include("alliance.supervision.urls")),
    path("", include("alliance.timeline.urls")),
    path("", include("alliance.apitokens.urls")),
    # The REST API (alliance/apitokens/rest.py, docs/api.md): token sign-in only.
    path("api/v1/", rest.urls()),
]
