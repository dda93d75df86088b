from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.files import File
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, QueryDict
from django.utils.translation import gettext as _

from membercenter.lib.files import stored_file_response

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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
    return stored_file_response(file)


def status_tabs(
    request: HttpRequest,
    counts: dict[str, int],
    current: str,
    choices: Sequence[tuple[str, StrOrPromise]],
    *,
    all_value: str,
) -> list[dict[str, object]]:
    """The "All statuses" tab and one per status, each with its count and this page's query for it."""
    tabs: list[dict[str, object]] = []
    for value, label in [(all_value, _("All statuses")), *choices]:
        query = request.GET.copy()
        query.pop("page", None)
        query["status"] = value
        count = sum(counts.values()) if value == all_value else counts[value]
        tabs.append(
            {"label": label, "count": count, "query": query.urlencode(), "current": value == (current or all_value)}
        )
    return tabs
