from __future__ import annotations

from typing import Any

from django import forms


def _code_field(label: str, help_text: str, *, digits_only: bool) -> forms.CharField:
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
        "6-digit code", "The code your authenticator app shows for Alliance.", digits_only=True
    )


class VerifyCodeForm(forms.Form):
    code = _code_field(
        "Code",
        "The 6-digit code from your authenticator app, or one of your recovery codes.",
        digits_only=False,
    )


class ReauthForm(forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, *args: Any, needs_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if needs_code:
            self.fields["code"] = _code_field(
                "Code",
                "The 6-digit code from your authenticator app, or one of your recovery codes.",
                digits_only=False,
            )
            self.fields["code"].widget.attrs.pop("autofocus")


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label="New email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
