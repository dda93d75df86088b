from __future__ import annotations

from django.urls import path

from membercenter.backoffice.views import shipments
from membercenter.lib.ratelimit import limited

urlpatterns = [
    path("shipments/", shipments.shipment_list, name="shipments"),
    path("shipments/export/", shipments.shipment_export, name="shipments_export"),
    path("shipments/import/", limited("upload")(shipments.shipment_import), name="shipments_import"),
    path("shipments/<int:pk>/status/", shipments.shipment_status, name="shipment_status"),
]
