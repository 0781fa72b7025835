from django.urls import path

from notifications import apis

urlpatterns = [
    path("notifications/", apis.NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/unread/", apis.UnreadCountApi.as_view(), name="api-notifications-unread"),
    path(
        "notifications/<int:notification_id>/read/",
        apis.MarkReadApi.as_view(),
        name="api-notification-read",
    ),
    path(
        "notifications/read-all/",
        apis.MarkAllReadApi.as_view(),
        name="api-notifications-read-all",
    ),
    path(
        "notifications/preferences/",
        apis.PreferencesApi.as_view(),
        name="api-notification-preferences",
    ),
]
