from __future__ import annotations

from django.urls import path

from membercenter.lib.ratelimit import limited
from membercenter.products import views

# Step 3 takes the invoice (checked as soon as it is chosen) and has a captcha: each kind of post counts
# for what it does. "New question", another region's stores and a picture's check only show the form again.
register_purchase = limited("upload")(
    limited("captcha_refresh")(
        limited("registration", unless=("new_captcha", "change_region", "check"))(views.register_purchase)
    )
)

app_name = "products"

urlpatterns = [
    path("", views.my_products, name="mine"),
    path("register/", limited("registration")(views.register_serial), name="register"),
    path("register/chk/", limited("registration")(views.register_chk), name="register_chk"),
    path("register/purchase/", register_purchase, name="register_purchase"),
    path("register/stores/", views.store_options, name="store_options"),
    path("<int:pk>/registered/", views.registered, name="registered"),
    path("<int:pk>/invoice/", views.invoice, name="invoice"),
]
