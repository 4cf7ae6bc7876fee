from django.contrib.auth import views as auth_views
from django.urls import include, path

from alliance import views
from alliance.checkins import views as checkin_views
from alliance.people import views as people_views
from alliance.people.forms import EmailLoginForm
from alliance.ruptures import views as rupture_views

urlpatterns = [
    path("", views.home_view, name="home"),
    path("healthz", views.healthz_view, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="login.html",
            authentication_form=EmailLoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invite/<str:token>/", people_views.invite_accept_view, name="invite_accept"),
    # Therapist
    path("caseload/", people_views.caseload_view, name="caseload"),
    path("clients/new/", people_views.client_add_view, name="client_add"),
    path("clients/<uuid:client_id>/", people_views.client_detail_view, name="client_detail"),
    path(
        "clients/<uuid:client_id>/sessions/",
        people_views.session_schedule_view,
        name="session_schedule",
    ),
    path(
        "sessions/<uuid:session_id>/status/",
        people_views.session_status_view,
        name="session_status",
    ),
    path("people/<uuid:person_id>/invite/", people_views.invite_resend_view, name="invite_resend"),
    path("alerts/<uuid:alert_id>/", rupture_views.alert_detail_view, name="alert_detail"),
    path(
        "alerts/<uuid:alert_id>/acknowledge/",
        rupture_views.alert_acknowledge_view,
        name="alert_acknowledge",
    ),
    path("alerts/<uuid:alert_id>/repair/", rupture_views.alert_repair_view, name="alert_repair"),
    path("alerts/<uuid:alert_id>/close/", rupture_views.alert_close_view, name="alert_close"),
    # Client
    path("me/", checkin_views.client_home_view, name="client_home"),
    path("checkins/<uuid:session_id>/", checkin_views.checkin_view, name="checkin"),
    path(
        "checkins/<uuid:session_id>/thanks/",
        checkin_views.checkin_thanks_view,
        name="checkin_thanks",
    ),
    # Clinic admin
    path("clinic/people/", people_views.clinic_people_view, name="clinic_people"),
    path(
        "clinic/people/<uuid:person_id>/deactivate/",
        people_views.person_deactivate_view,
        name="person_deactivate",
    ),
    path(
        "clinic/people/<uuid:person_id>/reactivate/",
        people_views.person_reactivate_view,
        name="person_reactivate",
    ),
    # Account security (2FA, password, sessions) and the audit log
    path("", include("alliance.accounts.urls")),
    path("", include("alliance.audit.urls")),
    path("", include("alliance.outcomes.urls")),
    path("", include("alliance.diary.urls")),
]
