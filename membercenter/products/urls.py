from __future__ import annotations

from django.urls import path

from membercenter.products import views

app_name = "products"

urlpatterns = [
    path("", views.my_products, name="mine"),
    path("register/", views.register_serial, name="register"),
    path("register/chk/", views.register_chk, name="register_chk"),
    path("register/purchase/", views.register_purchase, name="register_purchase"),
    path("register/stores/", views.store_options, name="store_options"),
    path("<int:pk>/registered/", views.registered, name="registered"),
    path("<int:pk>/invoice/", views.invoice, name="invoice"),
]
