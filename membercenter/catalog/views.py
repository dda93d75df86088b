from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from membercenter.catalog.models import Category


def sn_help(request: HttpRequest) -> HttpResponse:
    """How to identify the product serial number, per category."""
    categories = Category.objects.all()
    return render(request, "catalog/sn_help.html", {"categories": categories})


def sn_help_image(request: HttpRequest, slug: str) -> FileResponse:
    category = get_object_or_404(Category, slug=slug)
    if not category.sn_help_image:
        raise Http404
    response = FileResponse(category.sn_help_image.open("rb"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
