from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from membercenter.catalog.models import Category
from membercenter.lib.files import stored_file_response


def sn_help(request: HttpRequest) -> HttpResponse:
    """How to identify the product serial number, per category."""
    categories = Category.objects.all()
    return render(request, "catalog/sn_help.html", {"categories": categories})


def sn_help_image(request: HttpRequest, slug: str) -> FileResponse:
    category = get_object_or_404(Category, slug=slug)
    return stored_file_response(category.sn_help_image, cache_control="public, max-age=86400")
