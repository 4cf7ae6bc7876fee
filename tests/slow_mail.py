"""A mail backend for the kill-mid-send test: it says when it has started, then takes its time."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        started = Path(os.environ["SLOW_MAIL_STARTED"])
        started.write_text("sending")
        time.sleep(float(os.environ.get("SLOW_MAIL_SECONDS", "60")))
        return super().send_messages(email_messages)
