from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "membercenter.products"
    label = "products"
