from django.urls import URLPattern, URLResolver, path

from alliance.ruptures import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("alerts/<uuid:alert_id>/", views.alert_detail_view, name="alert_detail"),
    path(
        "alerts/<uuid:alert_id>/acknowledge/",
        views.alert_acknowledge_view,
        name="alert_acknowledge",
    ),
    path("alerts/<uuid:alert_id>/repair/", views.alert_repair_view, name="alert_repair"),
    path("alerts/<uuid:alert_id>/close/", views.alert_close_view, name="alert_close"),
    path("alerts/<uuid:alert_id>/follow-up/", views.alert_followup_view, name="alert_followup"),
]
