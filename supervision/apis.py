"""The workspace's API: the dashboard's figures and the alerts, for the caller's
jurisdiction only. Bad filters are a 400 with the fields named, never a server error."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from odr.divisions import division_full_name
from odr.errors import DomainError
from supervision.forms import FilterForm
from supervision.selectors.alerts import alert_evidence, alerts_in
from supervision.selectors.dashboard import dashboard_figures
from supervision.selectors.scope import access_scope
from supervision.tables import figure_tables

FILTER_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE),
    OpenApiParameter("end", OpenApiTypes.DATE),
    OpenApiParameter(
        "district", OpenApiTypes.STR, description="division code in your jurisdiction"
    ),
    OpenApiParameter("category", OpenApiTypes.STR),
    OpenApiParameter("merchant", OpenApiTypes.INT),
    OpenApiParameter("platform", OpenApiTypes.STR),
]


class SupervisionFiltersOut(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    district = serializers.CharField(allow_blank=True)
    district_name = serializers.CharField(
        allow_blank=True, help_text="the district's full name (山东省临沂市兰山区), if known"
    )
    category = serializers.CharField(allow_blank=True)
    merchant = serializers.IntegerField(allow_null=True)
    platform = serializers.CharField(allow_blank=True)


class SupervisionFigureOut(serializers.Serializer):
    title = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))


class SupervisionDashboardOut(serializers.Serializer):
    filters = SupervisionFiltersOut()
    figures = serializers.DictField(child=SupervisionFigureOut())


class SupervisionAlertOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    severity = serializers.CharField()
    status = serializers.CharField()
    division_code = serializers.CharField()
    division_name = serializers.CharField(
        allow_blank=True, help_text="the division's full name, if known"
    )
    subject = serializers.CharField()
    window = serializers.CharField()
    evidence = serializers.DictField()
    assignee = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class SupervisionAlertsOut(serializers.Serializer):
    results = SupervisionAlertOut(many=True)


class DashboardApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={200: SupervisionDashboardOut},
        summary="The supervision dashboard's figures for your jurisdiction",
    )
    def get(self, request: Request) -> Response:
        scope = access_scope(user=request.user)
        form = FilterForm(request.query_params, scope=scope)
        if not form.is_valid():
            raise DomainError(
                _("Some filters are not valid."),
                code="invalid_filters",
                fields={name: [str(e) for e in errors] for name, errors in form.errors.items()},
            )
        filters = form.filters()
        tables = figure_tables(dashboard_figures(scope=scope, filters=filters))
        return Response(
            {
                "filters": {
                    "start": filters.start.isoformat(),
                    "end": filters.end.isoformat(),
                    "district": filters.district,
                    "district_name": division_full_name(filters.district),
                    "category": filters.category,
                    "merchant": filters.merchant,
                    "platform": filters.platform,
                },
                "figures": {
                    name: {"title": t.title, "columns": t.columns, "rows": t.rows}
                    for name, t in tables.items()
                },
            }
        )


class AlertListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("status", OpenApiTypes.STR)],
        responses={200: SupervisionAlertsOut},
        summary="Risk alerts in your jurisdiction (newest first, at most 200)",
    )
    def get(self, request: Request) -> Response:
        scope = access_scope(user=request.user)
        alerts = alerts_in(scope=scope, status=request.query_params.get("status", ""))[:200]
        return Response(
            {
                "results": [
                    {
                        "id": a.pk,
                        "kind": a.kind,
                        "severity": a.severity,
                        "status": a.status,
                        "division_code": a.division_code,
                        "division_name": division_full_name(a.division_code),
                        "subject": a.subject_label,
                        "window": a.window,
                        "evidence": alert_evidence(alert=a, scope=scope),
                        "assignee": a.assignee_id,
                        "created_at": a.created_at.isoformat(),
                    }
                    for a in alerts
                ]
            }
        )
