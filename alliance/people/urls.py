from django.urls import URLPattern, URLResolver, path

from alliance.people import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("invite/<str:token>/", views.invite_accept_view, name="invite_accept"),
    # Therapist
    path("caseload/", views.caseload_view, name="caseload"),
    path("clients/new/", views.client_add_view, name="client_add"),
    path(
        "invitations/<uuid:invite_id>/resend/",
        views.invitation_resend_view,
        name="invitation_resend",
    ),
    path(
        "invitations/<uuid:invite_id>/withdraw/",
        views.invitation_withdraw_view,
        name="invitation_withdraw",
    ),
    path("clients/<uuid:client_id>/", views.client_detail_view, name="client_detail"),
    path(
        "clients/<uuid:client_id>/sessions/",
        views.session_schedule_view,
        name="session_schedule",
    ),
    path("sessions/<uuid:session_id>/edit/", views.session_edit_view, name="session_edit"),
    path(
        "sessions/<uuid:session_id>/status/",
        views.session_status_view,
        name="session_status",
    ),
    path("people/<uuid:person_id>/invite/", views.invite_resend_view, name="invite_resend"),
    path(
        "people/<uuid:person_id>/invite/revoke/",
        views.invite_revoke_view,
        name="invite_revoke",
    ),
    path("clients/<uuid:client_id>/end/", views.episode_end_view, name="episode_end"),
    path("people/<uuid:person_id>/legal-hold/", views.legal_hold_view, name="legal_hold"),
    # Clinic admin
    path("clinic/people/", views.clinic_people_view, name="clinic_people"),
    path("clinic/settings/", views.clinic_settings_view, name="clinic_settings"),
    path(
        "clinic/people/<uuid:person_id>/deactivate/",
        views.person_deactivate_view,
        name="person_deactivate",
    ),
    path(
        "clinic/people/<uuid:person_id>/reactivate/",
        views.person_reactivate_view,
        name="person_reactivate",
    ),
]
