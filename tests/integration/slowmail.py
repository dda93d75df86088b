"""A test-only email backend for workers that a test kills while they send (tests/integration).

Like Django's file backend (one file per message in EMAIL_FILE_PATH), except that the first
message waits SLOW_MAIL_SECONDS before it is written. It claims that pause by renaming the
file `slow` in SLOW_MAIL_CONTROL to `sending-<pid>`: the test learns which process is sending
and kills it during the pause; any later message (the retry) is written at once.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.mail.backends import filebased


class EmailBackend(filebased.EmailBackend):
    def send_messages(self, email_messages):  # noqa: ANN001, ANN201
        control = Path(os.environ["SLOW_MAIL_CONTROL"])
        try:
            (control / "slow").rename(control / f"sending-{os.getpid()}")
        except FileNotFoundError:
            pass
        else:
            time.sleep(float(os.environ.get("SLOW_MAIL_SECONDS", "30")))
        return super().send_messages(email_messages)
