from django.urls import URLPattern, URLResolver, path

from alliance.outcomes import views

urlpatterns: list[URLPattern | URLResolver] = [
    # Client
    path(
        "questionnaires/<uuid:episode_id>/<str:instrument_id>/<slug:occasion>/",
        views.questionnaire_view,
        name="questionnaire",
    ),
    path(
        "questionnaires/answers/<uuid:response_id>/",
        views.questionnaire_done_view,
        name="questionnaire_done",
    ),
    path("help/", views.crisis_help_view, name="crisis_help"),
    # Therapist
    path(
        "clients/<uuid:client_id>/questionnaires/",
        views.schedule_view,
        name="outcome_schedule",
    ),
    path("responses/<uuid:response_id>/", views.response_detail_view, name="response_detail"),
    # Clinic admin
    path("clinic/safety/", views.clinic_safety_view, name="clinic_safety"),
    path("clinic/analysis/", views.clinic_analysis_view, name="clinic_analysis"),
]
