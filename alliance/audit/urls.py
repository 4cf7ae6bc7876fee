from django.urls import URLPattern, URLResolver, path

from alliance.audit import views
from alliance.people import views as people_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("me/who-has-seen/", views.access_log_view, name="access_log"),
    path("clinic/audit/", views.audit_log_view, name="audit_log"),
    path("clinic/audit/export.csv", views.audit_export_view, name="audit_export"),
    # Data rights: the views act on people and care episodes, so they live with them.
    path("clients/<uuid:client_id>/end/", people_views.episode_end_view, name="episode_end"),
    path("people/<uuid:person_id>/legal-hold/", people_views.legal_hold_view, name="legal_hold"),
]
