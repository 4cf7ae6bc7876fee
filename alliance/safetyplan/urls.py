from django.urls import URLPattern, URLResolver, path

from alliance.safetyplan import views

urlpatterns: list[URLPattern | URLResolver] = [
    # Client
    path("my-safety-plan/", views.my_plan_view, name="my_safety_plan"),
    path("my-safety-plan/edit/", views.my_plan_edit_view, name="my_safety_plan_edit"),
    # Therapist
    path("clients/<uuid:client_id>/safety-plan/", views.plan_view, name="safety_plan"),
    path(
        "clients/<uuid:client_id>/safety-plan/edit/",
        views.plan_edit_view,
        name="safety_plan_edit",
    ),
    path(
        "clients/<uuid:client_id>/safety-plan/review/",
        views.plan_review_view,
        name="safety_plan_review",
    ),
]
