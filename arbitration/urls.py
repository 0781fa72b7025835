from django.urls import path

from arbitration import views

app_name = "arbitration"

urlpatterns = [
    path("", views.portal, name="portal"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("referrals/<str:ref>/", views.referral_detail, name="referral"),
    path("referrals/<str:ref>/file/", views.referral_file, name="referral-file"),
    path("referrals/<str:ref>/<str:action>/", views.referral_act, name="referral-act"),
    path("cases/<str:ref>/", views.case_arbitration, name="case"),
    path("cases/<str:ref>/agreement/", views.case_propose, name="case-propose"),
    path("cases/<str:ref>/referral/", views.case_refer, name="case-refer"),
    path("cases/<str:ref>/award/", views.case_award_file, name="case-award"),
]
