from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render

from membercenter.lib.types import AuthenticatedHttpRequest
from membercenter.notifications import selectors


@login_required
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox_messages(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
def message(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    msg = selectors.inbox_message_open(user=request.user, pk=pk)
    if msg is None:
        raise Http404
    return render(request, "notifications/message.html", {"msg": msg})
