from django.urls import URLPattern, URLResolver, path

from alliance.diary import views

urlpatterns: list[URLPattern | URLResolver] = [
    # Client: the day is in the query (?day=YYYY-MM-DD), today when there is none.
    path("diary/", views.diary_view, name="diary"),
    path("diary/draft/", views.diary_draft_view, name="diary_draft"),
    path("diary/done/", views.diary_done_view, name="diary_done"),
    # Therapist
    path("clients/<uuid:client_id>/diary/", views.diary_week_view, name="diary_week"),
    path(
        "clients/<uuid:client_id>/diary/targets/",
        views.diary_targets_view,
        name="diary_targets",
    ),
]
