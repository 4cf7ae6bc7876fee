"""`alliance reset_two_factor EMAIL`: for a staff member who lost their phone and codes.

The clinic admin does this from the people page; this command is for when no other admin can
(a clinic with one admin, who lost their own phone). See docs/security-auth.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext

from alliance.accounts.services import two_factor_required, two_factor_reset
from alliance.commands import AllianceCommand, gettext_lazy
from alliance.people.models import User


class Command(AllianceCommand):
    help = gettext_lazy(
        "Remove a staff member's authenticator app and recovery codes and end their sessions; "
        "they set up a new app at their next login."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help=gettext_lazy("the staff member's email address"))

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None:
            raise CommandError(gettext("No account has the email %(email)s.") % {"email": email})
        if not two_factor_required(user):
            raise CommandError(
                gettext("%(email)s is a client; clients have no two-factor to reset.")
                % {"email": user.email}
            )
        two_factor_reset(user=user, actor=None)
        self.stdout.write(
            gettext(
                "Two-factor is reset for %(email)s: they set up a new authenticator app at their "
                "next login."
            )
            % {"email": user.email}
        )
