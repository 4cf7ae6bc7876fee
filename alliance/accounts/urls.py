from django.urls import URLPattern, URLResolver, path

from alliance.accounts import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("account/", views.account_view, name="account"),
    path("account/confirm/", views.reauth_view, name="reauth"),
    path("account/password/", views.password_change_view, name="password_change"),
    path("account/email/", views.email_change_view, name="email_change"),
    path("account/two-factor/setup/", views.two_factor_setup_view, name="two_factor_setup"),
    path("account/two-factor/verify/", views.two_factor_verify_view, name="two_factor_verify"),
    path(
        "account/two-factor/recovery-codes/",
        views.recovery_codes_view,
        name="recovery_codes",
    ),
    path(
        "account/two-factor/recovery-codes/new/",
        views.recovery_codes_regenerate_view,
        name="recovery_codes_regenerate",
    ),
    path("account/two-factor/reset/", views.two_factor_reset_view, name="two_factor_reset"),
    path(
        "clinic/people/<uuid:person_id>/two-factor/reset/",
        views.person_two_factor_reset_view,
        name="person_two_factor_reset",
    ),
]
