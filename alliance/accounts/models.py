"""The two kinds of second factor, as django-otp stores them, with Alliance's pace for retries.

Proxies of django-otp's own models (the same tables, no new columns): only the throttle differs.
"""

from __future__ import annotations

from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class ForgiveFirstMistake:
    """django-otp's throttle, starting at the second wrong code instead of the first.

    django-otp makes each try after a wrong code wait 1, 2, 4, 8… seconds. One mistyped code is
    common (the code changed while it was being typed), and a person who types the right code
    at once was told "too many wrong codes". So the first wrong code costs no wait; from the
    second on, the waits are django-otp's (2, 4, 8… seconds). The lockout of
    ``ALLIANCE_LOCKOUT_FAILURES`` wrong codes or passwords (django-axes) is unchanged.
    """

    throttling_failure_count: int

    def get_throttle_factor(self) -> float:
        if self.throttling_failure_count <= 1:
            return 0
        factor: float = super().get_throttle_factor()  # type: ignore[misc]
        return factor


class Authenticator(ForgiveFirstMistake, TOTPDevice):  # type: ignore[misc]
    class Meta:
        proxy = True


class RecoveryCodes(ForgiveFirstMistake, StaticDevice):  # type: ignore[misc]
    class Meta:
        proxy = True
