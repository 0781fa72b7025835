from django.urls import path

from credit import views

app_name = "credit"

urlpatterns = [
    path("merchants/<str:uscc>/", views.merchant_file, name="merchant"),
    path(
        "merchants/<str:uscc>/records/<int:record_id>/reply/",
        views.record_reply,
        name="record_reply",
    ),
    path(
        "merchants/<str:uscc>/records/<int:record_id>/repair/",
        views.record_repair,
        name="record_repair",
    ),
    path("repairs/", views.repairs_queue, name="repairs"),
    path("repairs/<int:application_id>/decide/", views.repair_decision, name="repair_decide"),
    path("negative-list/", views.negative_list, name="negative_list"),
    path(
        "negative-list/merchants/<str:uscc>/confirm/",
        views.negative_list_confirm,
        name="negative_list_confirm",
    ),
    path(
        "negative-list/entries/<int:entry_id>/remove/",
        views.negative_list_remove,
        name="negative_list_remove",
    ),
]
