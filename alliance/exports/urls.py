from django.urls import URLPattern, URLResolver, path

from alliance.exports import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("me/export/", views.client_export_view, name="client_export"),
    path("clients/<uuid:client_id>/fhir.json", views.client_fhir_view, name="client_fhir"),
    path("clinic/research-exports/", views.research_exports_view, name="research_exports"),
    path(
        "clinic/research-exports/<uuid:export_id>/download/",
        views.research_export_download_view,
        name="research_export_download",
    ),
]
