from django.urls import path

from reports import apis

urlpatterns = [
    path("reports/", apis.ReportListCreateApi.as_view(), name="api-reports"),
    path("reports/<str:ref>/", apis.ReportDetailApi.as_view(), name="api-report"),
    path(
        "reports/<str:ref>/verification/",
        apis.VerificationApi.as_view(),
        name="api-report-verification",
    ),
    path("reports/<str:ref>/extension/", apis.ExtensionApi.as_view(), name="api-report-extension"),
    path("reports/<str:ref>/decision/", apis.DecisionApi.as_view(), name="api-report-decision"),
    path("reports/<str:ref>/finding/", apis.FindingApi.as_view(), name="api-report-finding"),
]
