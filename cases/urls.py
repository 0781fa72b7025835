from django.urls import path

from cases import transfer_views, views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("review/", views.review_queue, name="review_queue"),
    path("merchants/search/", views.merchant_search, name="merchant_search"),
    path("new/", views.complaint_start, name="new"),
    path(
        "new/<int:draft_id>/merchant/choose/",
        views.complaint_choose_merchant,
        name="choose_merchant",
    ),
    path(
        "new/<int:draft_id>/evidence/<int:evidence_id>/remove/",
        views.complaint_remove_file,
        name="remove_file",
    ),
    path("new/<int:draft_id>/<str:step>/save/", views.complaint_autosave, name="autosave"),
    path("new/<int:draft_id>/<str:step>/", views.complaint_wizard, name="wizard"),
    path("<str:ref>/", views.case_detail, name="detail"),
    path("<str:ref>/deadlines/", views.case_deadlines, name="deadlines"),
    path("<str:ref>/offers/", views.offer_make, name="offer_make"),
    path("<str:ref>/offers/<int:offer_id>/accept/", views.offer_accept, name="offer_accept"),
    path("<str:ref>/offers/<int:offer_id>/reject/", views.offer_reject, name="offer_reject"),
    path("<str:ref>/messages/", views.message_post, name="message_post"),
    path("<str:ref>/evidence/", views.evidence_upload, name="evidence_upload"),
    path(
        "<str:ref>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence_download"
    ),
    path("<str:ref>/consents/", views.consent_update, name="consent_update"),
    path("<str:ref>/transition/<str:name>/", views.transition, name="transition"),
    path("<str:ref>/identity/request/", views.identity_request, name="identity_request"),
    path("<str:ref>/identity/proof/", views.identity_upload, name="identity_upload"),
    path(
        "<str:ref>/identity/proof/<int:proof_id>/",
        views.identity_proof_download,
        name="identity_proof",
    ),
    path("<str:ref>/recusal/", views.recusal_request, name="recusal_request"),
    path("<str:ref>/recusal/decide/", views.recusal_decide, name="recusal_decide"),
    path("<str:ref>/transfer/", transfer_views.transfer, name="transfer"),
]
