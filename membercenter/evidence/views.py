from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from membercenter.evidence.services import upload_of
from membercenter.lib.files import private_image_response
from membercenter.lib.types import AuthenticatedHttpRequest


@login_required
def upload_image(request: AuthenticatedHttpRequest, pk: str) -> FileResponse:
    """A member's own pending upload (the confirm page shows it); anyone else gets 404."""
    upload = upload_of(owner=request.user, upload_id=pk)
    if upload is None:
        raise Http404
    return private_image_response(upload.file)
