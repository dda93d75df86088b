from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

from membercenter.accounts import forms, selectors, services
from membercenter.accounts.tokens import verification_user
from membercenter.lib.ratelimit import failure_record, failures_exhausted, ip_key
from membercenter.lib.types import AuthenticatedHttpRequest
from membercenter.lib.urls import safe_next
from membercenter.lib.views import rate_limited
from membercenter.twofactor.gate import redirect_to_twofactor, twofactor_owed, twofactor_pending

VERIFY_RESEND_RATE = "5/h"
RESET_MAIL_RATE = "5/h"  # reset mails per address


def _posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST, even an empty one (a form with every box unticked sends nothing)."""
    return request.POST if request.method == "POST" else None


def _captcha_form(form_class: type, request: HttpRequest, **kwargs: object):  # noqa: ANN202
    """Bind the form; the "new question" button re-renders it without validating."""
    form = form_class(request.POST, request.FILES, **kwargs) if request.method == "POST" else form_class(**kwargs)
    refresh = request.method == "POST" and "new_captcha" in request.POST
    return form, refresh


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:overview")
    form, refresh = _captcha_form(forms.SignUpForm, request, initial={"region": selectors.default_region()})
    if request.method == "POST" and not refresh and form.is_valid():
        data = form.cleaned_data
        # The same answer whether the address is new or already has an account (the owner is
        # told by mail): the visitor is not logged in, they confirm the address first.
        services.member_sign_up(
            email=data["email"],
            password=data["password1"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            region=data["region"],
            phone=data["phone"],
            language=request.LANGUAGE_CODE,
            newsletters=list(data["newsletters"]),
            accept_reward_terms=data["accept_reward_terms"],
        )
        return redirect("accounts:verify_sent")
    return render(request, "accounts/signup.html", {"form": form.with_new_captcha()})


def verify_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/verify_sent.html")


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    user = verification_user(token)
    if user is None:
        return render(request, "accounts/verify_failed.html", status=400)
    if services.email_verify(user=user):
        messages.success(request, _("Thank you, your email address is verified."))
    else:
        messages.info(request, _("Your email address was already verified."))
    return redirect("accounts:overview" if request.user.is_authenticated else "accounts:login")


def _resend_limited(request: HttpRequest) -> bool:
    usage = get_usage(request, group="verify-resend", key="user", rate=VERIFY_RESEND_RATE, increment=True)
    return bool(usage and usage["should_limit"])


@login_required
@require_POST
def verify_resend(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.user.is_verified:
        messages.info(request, _("Your email address was already verified."))
    elif _resend_limited(request):
        return rate_limited(request)
    else:
        services.verification_email_send(user=request.user)
        messages.success(request, _("We sent a new verification link to %(email)s.") % {"email": request.user.email})
    return redirect("accounts:overview")


def _login_limits(email: str) -> list[dict]:
    """Failed log-ins are counted per address (guessing one password) and per IP (trying many)."""
    return [
        {"group": "login-ip", "key": ip_key, "rate": settings.LOGIN_RATE_PER_IP},
        {"group": "login-account", "key": lambda g, r: email, "rate": settings.LOGIN_RATE_PER_ACCOUNT},
    ]


def login_view(request: HttpRequest) -> HttpResponse:
    form = forms.LoginForm(_posted(request))
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        limits = _login_limits(email)
        if any(failures_exhausted(request, **limit) for limit in limits):
            return rate_limited(request)
        user = authenticate(request, username=email, password=form.cleaned_data["password"])
        if user is None:
            for limit in limits:
                failure_record(request, **limit)
            form.add_error(None, _("The email or password is not correct."))
        else:
            old_key = request.session.session_key
            login(request, user)  # a new session key: one planted before the log-in is worth nothing
            services.session_rekey(user=user, old_key=old_key, new_key=request.session.session_key)
            if twofactor_pending(request):
                return redirect_to_twofactor(request, safe_next(request, next_url))
            return redirect(safe_next(request, next_url) or settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/login.html", {"form": form, "next": safe_next(request, next_url)})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    # Logging out ends every session of the member, not only this browser's: a member who logs
    # out of a shared computer elsewhere, or fears a stolen session, is then safe everywhere.
    if request.user.is_authenticated:
        if request.session.session_key:
            services.session_forget(session_key=request.session.session_key)
        # Not from a session that still owes its two-factor code: knowing the password alone
        # must not be enough to log the real staff member out everywhere.
        if not twofactor_owed(request):
            services.sessions_end_all(user=request.user, except_key=request.session.session_key)
    logout(request)
    messages.info(request, _("You are logged out on every device."))
    return redirect("home")


@login_required
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "accounts/overview.html", selectors.overview_context(user=request.user))


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "region": user.region_id,
        "phone": user.phone,
        "language": user.language,
    }
    form = forms.ProfileForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        services.profile_update(user=user, **form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def newsletters(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = forms.NewsletterForm(_posted(request), initial={"newsletters": list(request.user.newsletters.all())})
    if request.method == "POST" and form.is_valid():
        services.newsletters_set(user=request.user, newsletters=list(form.cleaned_data["newsletters"]))
        messages.success(request, _("Your newsletter preferences are saved."))
        return redirect("accounts:newsletters")
    return render(request, "accounts/newsletters.html", {"form": form})


@login_required
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, _posted(request))
    if request.method == "POST" and form.is_valid():
        user = form.save()
        old_key = request.session.session_key
        ended = services.sessions_end_all(user=user, except_key=old_key)
        update_session_auth_hash(request, user)  # keeps this session logged in, under a new key
        services.session_rekey(user=user, old_key=old_key, new_key=request.session.session_key)
        messages.success(request, _("Your password is changed. Other sessions ended: %(n)s.") % {"n": ended})
        return redirect("accounts:overview")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        key = request.POST.get("session_key", "")
        if key == request.session.session_key:
            messages.error(request, _("This is the session you are using. Use Log out to end it."))
        elif key == "__others__":
            n = services.sessions_end_all(user=request.user, except_key=request.session.session_key)
            messages.success(request, _("Other sessions ended: %(n)s.") % {"n": n})
        elif services.session_end(user=request.user, session_key=key):
            messages.success(request, _("The session is ended."))
        else:
            messages.error(request, _("That session has already ended."))
        return redirect("accounts:sessions")
    rows = selectors.member_sessions(user=request.user)
    return render(request, "accounts/sessions.html", {"rows": rows, "current": request.session.session_key})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    lang = request.POST.get("language", "")
    response = redirect(safe_next(request, request.POST.get("next", "")) or "/")
    if check_for_language(lang) and lang in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            services.language_set(user=request.user, language=lang)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=365 * 24 * 3600, samesite="Lax")
    return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = forms.OutboxPasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):  # noqa: ANN001, ANN201
        # A cap per address keeps the form from flooding a member's inbox. Over it the answer
        # is the usual redirect, so it still does not tell whether the address has an account.
        email = form.cleaned_data["email"].lower()
        usage = get_usage(
            self.request, group="password-reset", key=lambda g, r: email, rate=RESET_MAIL_RATE, increment=True
        )
        if usage and usage["should_limit"]:
            return redirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):  # noqa: ANN001, ANN201
        response = super().form_valid(form)
        services.sessions_end_all(user=form.user)
        return response
