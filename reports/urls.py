from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("new/", views.report_new, name="new"),
    path("filed/", views.report_filed, name="filed"),
    path("mine/", views.report_mine, name="mine"),
    path("queue/", views.report_queue, name="queue"),
    path("<str:ref>/", views.report_detail, name="detail"),
    path("<str:ref>/evidence/<int:evidence_id>/", views.report_evidence, name="evidence"),
    path("<str:ref>/verify/", views.report_verify, name="verify"),
    path("<str:ref>/extend/", views.report_extend, name="extend"),
    path("<str:ref>/decide/", views.report_decide, name="decide"),
    path("<str:ref>/finding/", views.report_finding, name="finding"),
]
