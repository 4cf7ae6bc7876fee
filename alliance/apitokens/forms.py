from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.apitokens.models import Scope


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("What the token is for, e.g. “caseload report script”."),
    )
    scope = forms.ChoiceField(
        label=_("What it may do"),
        choices=[
            (Scope.READ, _("Read only")),
            (Scope.WRITE, _("Read, and move alerts along (acknowledge, repair, close)")),
        ],
        initial=Scope.READ,
        widget=forms.RadioSelect,
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        help_text=_("At the start of that day, your time. One year at most."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
