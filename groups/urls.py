from django.urls import path

from groups import views

app_name = "groups"

urlpatterns = [
    path("", views.group_list, name="list"),
    path("new/", views.group_new, name="new"),
    path("<str:ref>/", views.group_detail, name="detail"),
    path(
        "<str:ref>/evidence/<int:evidence_id>/",
        views.group_evidence_file,
        name="evidence_file",
    ),
    path("<str:ref>/<str:action>/", views.group_act, name="act"),
]
