from django.urls import path

from supervision.views import alerts, dashboard, reports, satisfaction

app_name = "supervision"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("figures/<str:figure>.csv", dashboard.dashboard_csv, name="dashboard_csv"),
    path("workload/", dashboard.workload, name="workload"),
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", alerts.alert_detail, name="alert"),
    path("alerts/<int:alert_id>/<str:step>/", alerts.alert_step, name="alert_step"),
    path("rules/", alerts.rule_list, name="rules"),
    path("rules/<int:rule_id>/", alerts.rule_edit, name="rule"),
    path("satisfaction/", satisfaction.satisfaction, name="satisfaction"),
    path("satisfaction.csv", satisfaction.satisfaction_csv, name="satisfaction_csv"),
    path("rate/<str:ref>/", satisfaction.rate, name="rate"),
    path("cases/<str:ref>/visits/", satisfaction.visits, name="visits"),
    path("reports/", reports.report_list, name="reports"),
    path("reports/<int:report_id>/", reports.report_detail, name="report"),
    path("reports/<int:report_id>/pdf/", reports.report_pdf, name="report_pdf"),
]
