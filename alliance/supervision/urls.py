from django.urls import URLPattern, URLResolver, path

from alliance.supervision import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("supervision/", views.supervision_view, name="supervision"),
    path(
        "supervision/therapists/<uuid:therapist_id>/",
        views.supervision_therapist_view,
        name="supervision_therapist",
    ),
    path("clinic/supervision/assign/", views.supervisor_assign_view, name="supervisor_assign"),
    path(
        "clinic/supervision/<uuid:assignment_id>/end/",
        views.supervisor_unassign_view,
        name="supervisor_unassign",
    ),
    path("clinic/supervision/names/", views.supervision_names_view, name="supervision_names"),
]
