from django.urls import URLPattern, URLResolver, path

from alliance.checkins import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("me/", views.client_home_view, name="client_home"),
    path("checkins/<uuid:session_id>/", views.checkin_view, name="checkin"),
    path(
        "checkins/<uuid:session_id>/thanks/",
        views.checkin_thanks_view,
        name="checkin_thanks",
    ),
]
