from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_ratelimit.core import get_usage

from membercenter.accounts.models import User
from membercenter.lib.files import as_download
from membercenter.lib.forms import form_add_service_error
from membercenter.lib.ratelimit import failure_record, failures_exhausted
from membercenter.lib.views import rate_limited
from membercenter.privacy import selectors, services
from membercenter.privacy.forms import AccountDeleteForm

# Building an archive reads every document of the member: a few per hour is plenty.
EXPORT_RATE = "10/h"


def _member_key(group: str, request: HttpRequest) -> str:
    return str(request.user.pk)


@login_required
def export(request: HttpRequest) -> HttpResponseBase:
    if request.method != "POST":
        return render(request, "privacy/export.html", {"retention_days": settings.DOCUMENT_RETENTION_DAYS})
    usage = get_usage(request, group="privacy-export", key=_member_key, rate=EXPORT_RATE, increment=True)
    if usage is not None and usage["should_limit"]:
        return rate_limited(request)
    now = timezone.now()
    archive = services.member_data_export(member=cast(User, request.user), now=now)
    filename = f"member-data-{timezone.localtime(now):%Y%m%d}.zip"
    response = FileResponse(archive, as_attachment=True, filename=filename, content_type="application/zip")
    return as_download(response, filename=filename)


def _password_limit() -> dict:
    # Re-entering the password is a password guess like a log-in: counted per account.
    return {"group": "privacy-delete", "key": _member_key, "rate": settings.LOGIN_RATE_PER_ACCOUNT}


@never_cache
@login_required
def delete(request: HttpRequest) -> HttpResponse:
    member = cast(User, request.user)  # login_required
    form = AccountDeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if failures_exhausted(request, **_password_limit()):
            return rate_limited(request)
        try:
            services.account_delete(member=member, password=form.cleaned_data["password"])
        except ValidationError as err:
            if err.code == "password":
                failure_record(request, **_password_limit())
            form_add_service_error(form, err)
        else:
            logout(request)
            messages.success(request, _("Your account is deleted. Thank you for having been a member."))
            return redirect("home")
    blockers = selectors.account_deletion_blockers(member=member)
    return render(request, "privacy/delete.html", {"form": form, "blockers": blockers})
