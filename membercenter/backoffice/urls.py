from __future__ import annotations

from django.urls import path

from membercenter.backoffice import urls_rewards, urls_shipments
from membercenter.backoffice.views import claims, home, logs, promotions, reasons
from membercenter.lib.ratelimit import limited

app_name = "backoffice"

urlpatterns = [
    path("", home.home, name="home"),
    path("claims/", claims.queue, name="queue"),
    path("claims/approve-checked/", claims.bulk_approve, name="bulk_approve"),
    path("claims/<int:pk>/", claims.claim_detail, name="claim"),
    path("claims/<int:pk>/approve/", claims.claim_approve, name="claim_approve"),
    path("claims/<int:pk>/send-back/", claims.claim_send_back, name="claim_send_back"),
    path("claims/<int:pk>/reject/", claims.claim_reject, name="claim_reject"),
    path("claims/<int:pk>/release/", claims.claim_release, name="claim_release"),
    path("claims/<int:pk>/checks/", claims.claim_checks_again, name="claim_checks_again"),
    path("claims/<int:pk>/documents/<int:doc_pk>/", claims.claim_document, name="claim_document"),
    path("claims/<int:pk>/items/<int:item_pk>/invoice/", claims.claim_item_invoice, name="claim_item_invoice"),
    path("promotions/", promotions.promotion_list, name="promotions"),
    path("promotions/new/", limited("upload")(promotions.promotion_create), name="promotion_create"),
    path("promotions/<int:pk>/", limited("upload")(promotions.promotion_edit), name="promotion_edit"),
    path("promotions/<int:pk>/banner/", promotions.promotion_banner, name="promotion_banner"),
    path("promotions/<int:pk>/publish/", promotions.promotion_publish, name="promotion_publish"),
    path("promotions/<int:pk>/close/", promotions.promotion_close, name="promotion_close"),
    path("reasons/", reasons.reason_list, name="reasons"),
    path("reasons/new/", reasons.reason_create, name="reason_create"),
    path("reasons/<int:pk>/", reasons.reason_edit, name="reason_edit"),
    path("reasons/<int:pk>/delete/", reasons.reason_delete, name="reason_delete"),
    path("audit/", logs.audit_log, name="audit"),
    path("outbox/", logs.outbox_failures, name="outbox"),
    path("outbox/<int:pk>/resend/", logs.outbox_resend, name="outbox_resend"),
    *urls_rewards.urlpatterns,
    *urls_shipments.urlpatterns,
]
