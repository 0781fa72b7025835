from django.urls import path

from arbitration import apis

R = "arbitration/referrals/<str:ref>/"

urlpatterns = [
    path(
        "arbitration/referrals/", apis.ReferralListApi.as_view(), name="api-arbitration-referrals"
    ),
    path(R, apis.ReferralDetailApi.as_view(), name="api-arbitration-referral"),
    path(R + "file/", apis.ReferralFileApi.as_view(), name="api-arbitration-referral-file"),
    path(R + "acknowledge/", apis.ReferralAcknowledgeApi.as_view(), name="api-arbitration-ack"),
    path(R + "accept/", apis.ReferralAcceptApi.as_view(), name="api-arbitration-accept"),
    path(R + "decline/", apis.ReferralDeclineApi.as_view(), name="api-arbitration-decline"),
    path(
        R + "information-requests/",
        apis.ReferralInfoRequestApi.as_view(),
        name="api-arbitration-info",
    ),
    path(R + "settlement/", apis.ReferralSettlementApi.as_view(), name="api-arbitration-settle"),
    path(R + "award/", apis.ReferralAwardApi.as_view(), name="api-arbitration-award"),
    path(R + "award/file/", apis.ReferralAwardFileApi.as_view(), name="api-arbitration-award-file"),
    path(
        "arbitration/deliveries/", apis.DeliveriesApi.as_view(), name="api-arbitration-deliveries"
    ),
    path(
        "cases/<str:ref>/arbitration/",
        apis.CaseArbitrationApi.as_view(),
        name="api-case-arbitration",
    ),
    path(
        "cases/<str:ref>/arbitration/agreement/",
        apis.CaseAgreementApi.as_view(),
        name="api-case-arbitration-agreement",
    ),
    path(
        "cases/<str:ref>/arbitration/referral/",
        apis.CaseReferApi.as_view(),
        name="api-case-arbitration-refer",
    ),
    path(
        "cases/<str:ref>/arbitration/award/",
        apis.CaseAwardFileApi.as_view(),
        name="api-case-arbitration-award",
    ),
]
