from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliance.people.forms import COMMON_ZONES, clean_phone
from alliance.people.models import User
from alliance.reachout.models import SLUG_HELP, ReachOutPage, validate_slug


class ReachOutForm(forms.Form):
    """The public form. The honeypot, time stamp and form token are read by the view."""

    name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=200,
        help_text=gettext_lazy("Or the name you'd like to be called."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("Your email"),
        max_length=254,
        help_text=gettext_lazy("The answer comes to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Your phone (optional)"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("If you'd rather be called."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    message = forms.CharField(
        label=gettext_lazy("What you'd like to share (optional)"),
        max_length=5000,
        required=False,
        help_text=gettext_lazy(
            "As much or as little as you like. There's no need to explain everything now."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    consent = forms.BooleanField(
        error_messages={
            "required": gettext_lazy(
                "Please tick this box, so that we may write back to you. Nothing is sent "
                "without it."
            )
        },
    )

    def __init__(self, *args: Any, page: ReachOutPage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = _(
            "I agree that %(name)s may contact me, at the email or phone above, about this message."
        ) % {"name": page.display_name}

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])


class AnswerForm(forms.Form):
    """A reply, or a kind decline (prefilled with warm words the person may change). Both are on
    one page: each has its own prefix, so its field has its own name, id and label."""

    text = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": gettext_lazy("Please write a few words to send.")},
    )

    def __init__(self, *args: Any, decline: bool, **kwargs: Any) -> None:
        kwargs["prefix"] = "decline" if decline else "reply"
        super().__init__(*args, **kwargs)
        self.fields["text"].label = _("Your kind decline") if decline else _("Your reply")


class InviteForm(forms.Form):
    """Everything ``client_invite`` needs, filled in from the request: one press sends it."""

    full_name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    display_name = forms.CharField(
        label=gettext_lazy("What they like to be called"),
        max_length=80,
        required=False,
        help_text=gettext_lazy("They can change it when they set their password."),
    )
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)
    timezone = forms.ChoiceField(
        label=gettext_lazy("Their time zone"),
        choices=[(z, z.replace("_", " ")) for z in COMMON_ZONES],
    )
    therapist = forms.ModelChoiceField(
        label=gettext_lazy("Their therapist"),
        queryset=User.objects.none(),
        required=False,
        empty_label=None,
    )

    def __init__(self, *args: Any, therapists: QuerySet[User] | None = None, **kwargs: Any) -> None:
        """``therapists``: whose caseload a clinic admin may choose; None for a therapist, who
        invites to their own."""
        super().__init__(*args, **kwargs)
        if therapists is None:
            del self.fields["therapist"]
        else:
            field = self.fields["therapist"]
            field.queryset = therapists  # type: ignore[attr-defined]
            field.required = True


class PageForm(forms.Form):
    is_open = forms.BooleanField(
        label=gettext_lazy("Open: anyone with the address can reach out through this page"),
        required=False,
    )
    slug = forms.CharField(
        label=gettext_lazy("The page's address"),
        max_length=60,
        validators=[validate_slug],
        help_text=SLUG_HELP,
    )
    display_name = forms.CharField(
        label=gettext_lazy("Name shown on the page"),
        max_length=120,
        help_text=gettext_lazy("For example Teresa Tran, RP, or the clinic's name."),
    )
    welcome = forms.CharField(
        label=gettext_lazy("A few words of welcome (optional)"),
        max_length=1500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "In your own words: who you work with, how you work, what a first conversation "
            "looks like. Anyone can read it."
        ),
    )

    def clean_slug(self) -> str:
        return str(self.cleaned_data["slug"]).strip().lower()
