"""Loading the signed-in person on every request, with SQL compiled once.

Every page a signed-in person opens loads their session row and their user row. Django's own
classes build and compile those two queries each time; these compile them once per thread
(``alliance/prepared.py``) and otherwise behave exactly as Django's do.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session as StoredSession
from django.utils import timezone

from alliance.people.models import User
from alliance.prepared import Prepared

_USER = Prepared(lambda pk: User.objects.filter(pk=pk), uuid.UUID)
_SESSION = Prepared(
    lambda key: StoredSession.objects.filter(session_key=key),
    str,
)


class UserBackend(ModelBackend):
    """Django's ModelBackend (passwords, permissions), with a compiled ``get_user``."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = _USER.first(user_id)
        except (ValueError, TypeError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None


class SessionStore(DatabaseSessionStore):
    """Django's database sessions, with the session row read by a compiled query."""

    def _get_session_from_db(self) -> Any:
        session = _SESSION.first(self.session_key) if self.session_key else None
        # The same rule as Django's: an expired session is no session.
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
