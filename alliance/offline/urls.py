from django.urls import URLPattern, URLResolver, path

from alliance.offline import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("manifest.webmanifest", views.manifest_view, name="manifest"),
    # At the root: a worker reaches only the pages under its own path.
    path("sw.js", views.service_worker_view, name="service_worker"),
    path("safety-plan-sw.js", views.retired_worker_view, name="safety_plan_worker"),
    path("offline/", views.offline_page_view, name="offline"),
]
