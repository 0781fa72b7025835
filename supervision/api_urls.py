from django.urls import path

from supervision import apis

urlpatterns = [
    path("supervision/dashboard/", apis.DashboardApi.as_view(), name="api-supervision-dashboard"),
    path("supervision/alerts/", apis.AlertListApi.as_view(), name="api-supervision-alerts"),
]
