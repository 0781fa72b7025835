from django.urls import path

from groups import apis

urlpatterns = [
    path("groups/", apis.GroupListApi.as_view(), name="api-groups"),
    path("groups/<str:ref>/", apis.GroupDetailApi.as_view(), name="api-group"),
    path("groups/<str:ref>/actions/", apis.GroupActApi.as_view(), name="api-group-act"),
]
