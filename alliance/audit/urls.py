from django.urls import URLPattern, URLResolver, path

from alliance.audit import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("me/who-has-seen/", views.access_log_view, name="access_log"),
    path("clinic/audit/", views.audit_log_view, name="audit_log"),
    path("clinic/audit/export.csv", views.audit_export_view, name="audit_export"),
]
