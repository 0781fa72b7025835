"""Pages under /verify/: public verification, and the parties' confirmation of agreements."""

from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    path("", views.verify, name="verify"),
    path("case/<str:ref>/documents/", views.case_panel, name="case-panel"),
    path("<str:number>/", views.verify_document, name="verify-number"),
    path("<str:number>/confirm/", views.confirm, name="confirm"),
]
