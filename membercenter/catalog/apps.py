from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "membercenter.catalog"
    label = "catalog"
