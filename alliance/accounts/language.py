"""The language a person reads Alliance in.

Before sign-in the browser decides (Accept-Language, or the language link's cookie). At the first
sign-in that language becomes the account's, so that mail, which has no browser to ask, goes out
in the language the person has been reading; from then on the choice on the account page wins
(alliance.middleware.UserLanguageMiddleware).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import translation


@receiver(user_logged_in)
def _remember_first_language(
    sender: object, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    if request is None or getattr(user, "language", None) != "":
        return
    from alliance.people.models import User

    language = translation.get_language_from_request(request)
    # Only if still unset: two first sign-ins at once must not overwrite a choice.
    User.objects.filter(pk=user.pk, language="").update(language=language)
    user.language = language
