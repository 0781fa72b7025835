"""Top-level URLs; the public addresses are listed in ../shared/DESIGN.md."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts import views as account_views
from odr import views


@extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="The API's entry points")
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request, format=None):
    """The API's entry points."""
    return Response(
        {
            "schema": reverse("api-schema", request=request),
            "docs": reverse("api-docs", request=request),
            "auth_otp": reverse("api-otp", request=request),
            "auth_otp_verify": reverse("api-otp-verify", request=request),
            "auth_token": reverse("api-token", request=request),
            "me": reverse("api-me", request=request),
            "merchants": reverse("api-merchants", request=request),
            "cases": reverse("api-cases", request=request),
            "arbitration_referrals": reverse("api-arbitration-referrals", request=request),
            "reports": reverse("api-reports", request=request),
        }
    )


api_v1 = [
    path("", api_root, name="api-root"),
    path("", include("accounts.api_urls")),
    path("", include("cases.api_urls")),
    path("", include("documents.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("credit.api_urls")),
    path("", include("mediation.api_urls")),
    path("", include("arbitration.api_urls")),
    path("", include("supervision.api_urls")),
    path("", include("reports.api_urls")),
    path("", include("groups.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.help_page, name="help"),
    path("privacy/", views.privacy, name="privacy"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("display/text-size/", account_views.text_size, name="text_size"),
    path("accounts/", include("accounts.urls")),
    path("cases/", include("cases.urls")),
    path("notifications/", include("notifications.urls")),
    path("admin/", admin.site.urls),
    path("mediation/", include("mediation.urls")),
    path("verify/", include("documents.urls")),
    path("disclosure/", include("credit.disclosure_urls")),
    path("credit/", include("credit.urls")),
    path("arbitration/", include("arbitration.urls")),
    path("supervision/", include("supervision.urls")),
    path("groups/", include("groups.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.ODR_BENCH_ENDPOINTS:
    # Benchmark baseline (bench/views.py); imported here so production never loads bench/.
    from bench.views import bare_view

    urlpatterns.append(path("bench/bare/", bare_view))
