from __future__ import annotations

from typing import cast

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from membercenter.accounts.models import User
from membercenter.accounts.services import session_rekey
from membercenter.lib.urls import safe_next
from membercenter.twofactor import gate, services
from membercenter.twofactor.forms import CodeForm


def _user(request: HttpRequest) -> User:
    """The logged-in user (every view here is behind login_required)."""
    return cast(User, request.user)


def _next(request: HttpRequest) -> str:
    return safe_next(request, request.POST.get("next") or request.GET.get("next") or "")


def _landing(request: HttpRequest) -> str:
    return _next(request) or ("backoffice:home" if gate.is_staff_user(request.user) else settings.LOGIN_REDIRECT_URL)


def _verified(request: HttpRequest, device: TOTPDevice) -> None:
    """This session gave its code: mark it verified, under a new session key (a privilege change)."""
    old_key = request.session.session_key
    gate.verified_with(request, device)
    request.session.cycle_key()
    session_rekey(user=_user(request), old_key=old_key, new_key=request.session.session_key)


def _refused(form: CodeForm, locked: bool) -> None:
    if locked:
        form.add_error("code", _("Too many wrong codes. Wait a minute, then enter the code your app shows."))
    else:
        form.add_error(
            "code",
            _("That code is not correct or was already used. Enter the code your authenticator app shows now."),
        )


def _staff_only(request: HttpRequest) -> None:
    if not gate.is_staff_user(request.user):
        raise Http404


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    context = {
        "enabled": gate.has_device(request.user),
        "required": gate.is_administrator(request.user),
    }
    return render(request, "twofactor/index.html", context)


def _qr_svg(device: TOTPDevice) -> str:
    # Drawn here, inline: the secret never goes to a QR service, and the SVG has no style attribute.
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, border=4, svgclass="qr", lineclass=None, dark="#000", light="#fff", title=_("QR code to scan")
    )


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    if gate.has_device(request.user):
        if gate.is_verified(request):
            messages.info(request, _("Two-factor authentication is already on for your account."))
            return redirect("twofactor:index")
        return gate.redirect_to_twofactor(request, _next(request))
    device = services.totp_device_pending(user=_user(request))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        result = services.totp_device_confirm(
            user=_user(request), token=form.cleaned_data["code"], session_key=request.session.session_key
        )
        if result.device is not None:
            _verified(request, result.device)
            messages.success(
                request, _("Two-factor authentication is on. You will be asked for a code at each log-in.")
            )
            return redirect(_landing(request))
        _refused(form, result.locked)
    context = {
        "form": form,
        "qr_svg": _qr_svg(device),
        "secret": _grouped(device.config_url.split("secret=", 1)[1].split("&", 1)[0]),
        "next": _next(request),
        "required": gate.is_administrator(request.user),
    }
    return render(request, "twofactor/setup.html", context)


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    if gate.is_verified(request):
        return redirect(_landing(request))
    if not gate.has_device(request.user):
        request.session.pop(gate.PENDING_KEY, None)
        return redirect(_landing(request))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        result = services.totp_code_check(user=_user(request), token=form.cleaned_data["code"])
        if result.device is not None:
            _verified(request, result.device)
            return redirect(_next(request) or settings.LOGIN_REDIRECT_URL)
        _refused(form, result.locked)
    return render(request, "twofactor/verify.html", {"form": form, "next": _next(request)})
