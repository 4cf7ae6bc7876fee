from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from alliance.accounts import mail, services


def _code_field(label: Any, help_text: Any, *, digits_only: bool) -> forms.CharField:
    attrs = {
        "autocomplete": "one-time-code",
        "autocapitalize": "off",
        "spellcheck": "false",
        "autofocus": True,
    }
    if digits_only:
        attrs["inputmode"] = "numeric"
    return forms.CharField(
        label=label, help_text=help_text, max_length=20, widget=forms.TextInput(attrs=attrs)
    )


class SetupCodeForm(forms.Form):
    code = _code_field(
        _("6-digit code"),
        _("The code your authenticator app shows for Alliance."),
        digits_only=True,
    )


class VerifyCodeForm(forms.Form):
    code = _code_field(
        _("Code"),
        _("The 6-digit code from your authenticator app, or one of your recovery codes."),
        digits_only=False,
    )


class ReauthForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, *args: Any, needs_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if needs_code:
            self.fields["code"] = _code_field(
                _("Code"),
                _("The 6-digit code from your authenticator app, or one of your recovery codes."),
                digits_only=False,
            )
            self.fields["code"].widget.attrs.pop("autofocus")


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label=_("New email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=_("What you'd like to be called"),
        max_length=80,
        help_text=_("Shown on your pages, and to the people you work with."),
    )
    contact_details = forms.CharField(
        label=_("How clients can reach you between sessions"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Shown to your clients on their help page, for example: “Text 555-0134 on "
            "weekdays, 9 to 5. I answer within a working day.” Leave it empty to show none."
        ),
    )

    def __init__(self, *args: Any, for_therapist: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not for_therapist:
            del self.fields["contact_details"]
        else:
            self.fields["display_name"].label = _("How your clients address you")
            self.fields["display_name"].help_text = _(
                "For example Maya, or Dr. Chen. Clients read it on every page (“Send to Maya”)."
            )

    def clean_display_name(self) -> str:
        name = " ".join(str(self.cleaned_data["display_name"]).split())
        if not name:
            raise forms.ValidationError(_("Please give the name you'd like to be called."))
        return name


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of your pages and emails"),
        # Each language is named in itself, so that a person who cannot read the current one
        # still finds their own.
        choices=settings.LANGUAGES,
        error_messages={"invalid_choice": _("Please choose one of the languages offered.")},
    )


class PasswordResetRequestForm(auth_forms.PasswordResetForm):
    """Django's reset form; the mail goes through ``alliance.accounts.mail``.

    Django sends the link only to an active account with a password (an invited person who
    has not chosen one uses their invitation), and the page after it is the same whether or
    not the address has an account.
    """

    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        context["staff"] = services.two_factor_required(context["user"])
        mail.send_notice(
            to=to_email,
            name="password_reset",
            context=context,
            language=context["user"].language,
        )


class PasswordResetSetForm(auth_forms.SetPasswordForm):  # type: ignore[type-arg]
    """The new password from a reset link; the change is logged like any other."""

    def save(self, commit: bool = True) -> Any:
        return services.password_reset_complete(form=self)

    def save_password(self) -> Any:
        return super().save()
