from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.sms_login, name="login"),
    path("staff-login/", views.StaffLoginView.as_view(), name="staff_login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/", views.landing, name="landing"),
    path("consumer/", views.consumer_home, name="consumer_home"),
    path("merchant/", views.merchant_home, name="merchant_home"),
    path("mediator/", views.mediator_home, name="mediator_home"),
    path("regulator/", views.regulator_home, name="regulator_home"),
    path("arbitration/", views.arbitration_home, name="arbitration_home"),
]
