from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from membercenter.accounts import views
from membercenter.lib.ratelimit import limited

app_name = "accounts"

urlpatterns = [
    path(
        "signup/",
        limited("captcha_refresh")(limited("signup", unless=("new_captcha",))(views.signup)),
        name="signup",
    ),
    path("signup/verify/", views.verify_sent, name="verify_sent"),
    path("verify/resend/", views.verify_resend, name="verify_resend"),
    path("verify/<str:token>/", views.verify_email, name="verify_email"),
    path("login/", limited("login")(views.login_view), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("", views.overview, name="overview"),
    path("profile/", views.profile, name="profile"),
    path("newsletters/", views.newsletters, name="newsletters"),
    path("password/", views.password_change, name="password_change"),
    path("sessions/", views.sessions, name="sessions"),
    path("language/", views.set_language, name="set_language"),
    path("password-reset/", limited("password_reset")(views.PasswordResetView.as_view()), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
