from django.urls import path

from cases import apis, transfer_apis

urlpatterns = [
    path("merchants/", apis.MerchantSearchApi.as_view(), name="api-merchants"),
    path("cases/", apis.CaseListCreateApi.as_view(), name="api-cases"),
    path("cases/<str:ref>/", apis.CaseDetailApi.as_view(), name="api-case"),
    path(
        "cases/<str:ref>/transitions/",
        apis.CaseTransitionsApi.as_view(),
        name="api-case-transitions",
    ),
    path("cases/<str:ref>/offers/", apis.OffersApi.as_view(), name="api-case-offers"),
    path(
        "cases/<str:ref>/offers/<int:offer_id>/accept/",
        apis.OfferDecisionApi.as_view(decision="accept"),
        name="api-offer-accept",
    ),
    path(
        "cases/<str:ref>/offers/<int:offer_id>/reject/",
        apis.OfferDecisionApi.as_view(decision="reject"),
        name="api-offer-reject",
    ),
    path("cases/<str:ref>/messages/", apis.MessagesApi.as_view(), name="api-case-messages"),
    path("cases/<str:ref>/evidence/", apis.EvidenceApi.as_view(), name="api-case-evidence"),
    path(
        "cases/<str:ref>/evidence/<int:evidence_id>/file/",
        apis.EvidenceFileApi.as_view(),
        name="api-case-evidence-file",
    ),
    path("cases/<str:ref>/events/", apis.EventsApi.as_view(), name="api-case-events"),
    path("cases/<str:ref>/consents/", apis.ConsentsApi.as_view(), name="api-case-consents"),
    path("cases/<str:ref>/merchant/", apis.CaseMerchantApi.as_view(), name="api-case-merchant"),
    path("cases/<str:ref>/identity/", apis.IdentityApi.as_view(), name="api-case-identity"),
    path(
        "cases/<str:ref>/identity/proof/",
        apis.IdentityProofApi.as_view(),
        name="api-case-identity-proof",
    ),
    path("cases/<str:ref>/recusal/", apis.RecusalApi.as_view(), name="api-case-recusal"),
    path(
        "cases/<str:ref>/recusal/decision/",
        apis.RecusalDecisionApi.as_view(),
        name="api-case-recusal-decision",
    ),
    path(
        "cases/<str:ref>/transfers/",
        transfer_apis.TransfersApi.as_view(),
        name="api-case-transfers",
    ),
]
