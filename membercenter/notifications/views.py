from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from membercenter.notifications import selectors


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox_messages(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
def message(request: HttpRequest, pk: int) -> HttpResponse:
    msg = selectors.inbox_message_open(user=request.user, pk=pk)
    if msg is None:
        raise Http404
    return render(request, "notifications/message.html", {"msg": msg})
