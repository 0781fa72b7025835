from django.urls import path

from credit import apis

urlpatterns = [
    path("credit/merchants/<str:uscc>/", apis.CreditFileApi.as_view(), name="api-credit-merchant"),
    path("credit/records/", apis.RecordsFeedApi.as_view(), name="api-credit-records"),
    path(
        "credit/records/<int:record_id>/reply/",
        apis.RecordReplyApi.as_view(),
        name="api-credit-record-reply",
    ),
]
