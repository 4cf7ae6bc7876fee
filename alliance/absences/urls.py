from django.urls import URLPattern, URLResolver, path

from alliance.absences import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("absences/", views.absences_view, name="absences"),
    path("absences/<uuid:absence_id>/", views.absence_detail_view, name="absence_detail"),
    path("absences/<uuid:absence_id>/cancel/", views.absence_cancel_view, name="absence_cancel"),
    path("clients/<uuid:client_id>/summary/", views.cover_summary_view, name="cover_summary"),
]
