from django.urls import URLPattern, URLResolver, path

from alliance.messaging import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("clinic/messages/", views.clinic_messages_view, name="clinic_messages"),
    path(
        "clinic/messages/<uuid:message_id>/resend/",
        views.message_resend_view,
        name="message_resend",
    ),
    path("settings/messages/", views.message_settings_view, name="message_settings"),
    path("pause/<str:token>/", views.reminders_pause_view, name="reminders_pause"),
]
