from __future__ import annotations

from django.urls import path

from membercenter.claims import views

app_name = "claims"

urlpatterns = [
    path("", views.history, name="history"),
    path("<int:pk>/submitted/", views.submitted, name="submitted"),
    path("<int:pk>/again/", views.again, name="again"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/documents/<int:doc_pk>/", views.document, name="document"),
]
