from django.urls import URLPattern, URLResolver, path

from alliance.ratings import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("sessions/<uuid:session_id>/rating/", views.session_rating_view, name="session_rating"),
]
