"""Sent when a picture has been read, so that the apps judging it (claims) can judge again.

Evidence is the lower layer: it knows nothing of claims, which listen here.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `scan` (an evidence.Scan in state done or failed), after commit.
scan_finished = Signal()
