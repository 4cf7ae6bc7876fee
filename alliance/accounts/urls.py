from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path, reverse_lazy

from alliance.accounts import views
from alliance.accounts.forms import PasswordResetRequestForm, PasswordResetSetForm

urlpatterns: list[URLPattern | URLResolver] = [
    # "Forgot your password?": Django's own views, Alliance's forms, templates and mail.
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=PasswordResetRequestForm,
            template_name="accounts/password_reset_form.html",
            success_url=reverse_lazy("password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            form_class=PasswordResetSetForm,
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("password_reset_complete"),
            post_reset_login=False,
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("account/", views.account_view, name="account"),
    path("account/profile/", views.profile_view, name="profile"),
    path("account/language/", views.language_view, name="account_language"),
    path("account/confirm/", views.reauth_view, name="reauth"),
    path("account/password/", views.password_change_view, name="password_change"),
    path("account/email/", views.email_change_view, name="email_change"),
    path(
        "account/email/confirm/<str:token>/",
        views.email_change_confirm_view,
        name="email_change_confirm",
    ),
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
