from __future__ import annotations

import mimetypes

from django.core.files import File
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, QueryDict
from django.utils.translation import gettext as _

PAGE_SIZE = 50


def paginate(request: HttpRequest, qs: QuerySet, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def query_without_page(query: QueryDict) -> str:
    """The query string to carry to other links (filters), without the page number."""
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


def private_file(file: File) -> FileResponse:
    """A member's uploaded picture, for staff who may see it: never cached, never run as a page."""
    if not file:
        raise Http404
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if not content_type.startswith("image/"):
        content_type = "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def status_tabs(
    request: HttpRequest, counts: dict[str, int], current: str, choices: list[tuple[str, str]], *, all_value: str
) -> list[dict]:
    """The "All statuses" tab and one per status, each with its count and this page's query for it."""
    tabs = []
    for value, label in [(all_value, _("All statuses")), *choices]:
        query = request.GET.copy()
        query.pop("page", None)
        query["status"] = value
        count = sum(counts.values()) if value == all_value else counts[value]
        tabs.append(
            {"label": label, "count": count, "query": query.urlencode(), "current": value == (current or all_value)}
        )
    return tabs
