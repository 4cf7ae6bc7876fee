from django.urls import URLPattern, URLResolver, path

from alliance.timeline import views

urlpatterns: list[URLPattern | URLResolver] = [
    # Therapist. The zoom is in the query (?range=3m|1y|all); free text in the prep summary
    # only with ?notes=1, the box the therapist ticks.
    path("clients/<uuid:client_id>/timeline/", views.timeline_view, name="timeline"),
    path("clients/<uuid:client_id>/prep/", views.session_prep_view, name="session_prep"),
    path("clients/<uuid:client_id>/prep.pdf", views.session_prep_pdf_view, name="session_prep_pdf"),
    path("caseload/ruptures-and-urges/", views.rupture_urges_view, name="rupture_urges"),
]
