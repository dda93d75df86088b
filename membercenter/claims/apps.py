from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from membercenter.evidence.models import Scan


def _judge_claims_of(sender: object, scan: Scan, **kwargs: object) -> None:
    """A picture has been read: judge again the claims it belongs to."""
    from membercenter.claims.checks import on_scan_finished

    on_scan_finished(sender, scan=scan, **kwargs)


class ClaimsConfig(AppConfig):
    name = "membercenter.claims"
    label = "claims"

    def ready(self) -> None:
        from membercenter.evidence.signals import scan_finished

        scan_finished.connect(_judge_claims_of, dispatch_uid="claims.on_scan_finished")
