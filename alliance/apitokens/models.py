"""Personal access tokens: how a therapist's or clinic admin's own program reads the REST API.

The secret is shown once, when the token is made; only its SHA-256 digest is kept (a token is
a long random string, not a password a person chose, so a fast digest is enough: nobody can
guess 256 random bits, and a slow hash would cost every API request). ``prefix`` is the first
characters of the secret, kept in clear so the person can tell their tokens apart.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.people.models import User


class Scope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class PersonalAccessToken(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16)
    secret_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=5, choices=Scope.choices)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now: object) -> bool:
        return self.revoked_at is None and self.expires_at > now  # type: ignore[operator]


class RateWindow(models.Model):
    """How many requests a token has made in one fixed window of the rate limit.

    Counted in the database, so every worker process and every app server sharing the database
    count together (``alliance.apitokens.services.rate_count``); a window's row is removed once
    it is over.
    """

    token = models.ForeignKey(
        PersonalAccessToken, on_delete=models.CASCADE, related_name="rate_windows"
    )
    window = models.BigIntegerField()  # the window's start, in windows since the Unix epoch
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "window"], name="one_count_per_window")
        ]

    def __str__(self) -> str:
        return f"{self.token_id} @ {self.window}: {self.used}"
