"""One evidence upload on a member's form: the picture, kept between posts, and its checks.

Pages with an upload (registration, redeem, Redeem Again) share this: a new file is
checked and stored as a pending Upload at once, so the member learns what is wrong
with it before sending the form, and never picks the same file twice. The form posts
back the kept upload's id in `<name>_upload`.

The "check" button (or htmx on file change) posts the form with `check=<name>`: the
page then only stores the picture and shows its checks, without sending the form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest

from membercenter.evidence import images
from membercenter.evidence.models import Scan, Upload
from membercenter.evidence.services import scans_wait, upload_of, upload_store
from membercenter.evidence.verdicts import Verdict
from membercenter.lib.types import AuthenticatedHttpRequest


@dataclass
class Slot:
    name: str
    kind: str
    upload: Upload | None = None
    error: str = ""
    fresh: bool = False  # a new file arrived with this post
    asked: bool = False  # the member asked to check this picture (the check button, or htmx on choosing it)
    verdicts: list[Verdict] = field(default_factory=list)
    accept: str = images.ACCEPT

    @property
    def scan(self) -> Scan | None:
        return self.upload.scan if self.upload is not None else None

    @property
    def failed(self) -> bool:
        return any(v.ok is False for v in self.verdicts)

    @property
    def needs_a_look(self) -> bool:
        """A picture just uploaded that fails a check: show the member before sending."""
        return self.fresh and self.failed


def slot_take(request: AuthenticatedHttpRequest, *, name: str, kind: str) -> Slot:
    """The slot's new file (checked and stored) or the upload kept from an earlier post."""
    slot = Slot(name=name, kind=kind, asked=request.POST.get("check") == name)
    new = request.FILES.get(name)
    if new:
        try:
            slot.upload = upload_store(owner=request.user, kind=kind, upload=new)
            slot.fresh = True
        except images.UploadRejected as err:
            slot.error = str(err)
        return slot
    slot.upload = upload_of(owner=request.user, upload_id=request.POST.get(f"{name}_upload"))
    return slot


def slots_judge(slots: list[Slot], judge: Callable[[Slot], list[Verdict]]) -> None:
    """Give each slot its verdicts; for a picture the member asked to check, wait briefly for its reading.

    A form sent with its pictures does not wait for a worker: a reading still under way
    shows as "still reading" (never as a failure), and the claim is judged again when
    it is done. Only the check the member is looking at holds the request a few seconds.
    """
    scans_wait([s.scan for s in slots if s.fresh and s.asked])
    for slot in slots:
        if slot.upload is not None:
            slot.verdicts = judge(slot)


def checking_only(request: HttpRequest) -> bool:
    """The post only asks to check a picture (the check button or htmx), not to send the form."""
    return request.method == "POST" and bool(request.POST.get("check"))
