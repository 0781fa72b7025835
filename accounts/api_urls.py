from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/otp/", apis.OtpRequestApi.as_view(), name="api-otp"),
    path("auth/otp/verify/", apis.OtpVerifyApi.as_view(), name="api-otp-verify"),
    path("auth/token/", apis.TokenApi.as_view(), name="api-token"),
    path("me/", apis.MeApi.as_view(), name="api-me"),
]
