"""The dashboard: figures for the regulator's jurisdiction, filtered, charted, as CSV."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from odr.errors import NotFound
from supervision import charts
from supervision.forms import filters_from
from supervision.selectors.dashboard import case_divisions, dashboard_figures
from supervision.selectors.scope import access_scope
from supervision.selectors.violation_reports import REPORT_FIGURES, report_tables
from supervision.tables import FIGURES, figure_tables
from supervision.views.common import csv_response, refusals_as_pages


def _filter_query(filters) -> str:
    from urllib.parse import urlencode

    values = {
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "district": filters.district,
        "category": filters.category,
        "merchant": filters.merchant or "",
        "platform": filters.platform,
    }
    return urlencode({k: v for k, v in values.items() if v})


@login_required
@require_GET
@refusals_as_pages
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = access_scope(user=request.user)
    form, filters = filters_from(request.GET, scope=scope, with_cases=case_divisions(scope=scope))
    figures = dashboard_figures(scope=scope, filters=filters)
    tables = {**figure_tables(figures), **report_tables(scope=scope, filters=filters)}
    charted = []
    for table in tables.values():
        chart = None
        if table.name == "per_day":
            chart = charts.column_chart(figures.per_day, title=table.title)
        elif table.chart is not None:
            chart = charts.bar_chart(table.chart, title=table.title, unit=table.unit)
        charted.append((table, chart))
    return render(
        request,
        "supervision/dashboard.html",
        {
            "form": form,
            "filters": filters,
            "figures": figures,
            "tables": charted,
            "query": _filter_query(filters),
            "scope": scope,
        },
        status=200,
    )


@login_required
@require_GET
@refusals_as_pages
def dashboard_csv(request: HttpRequest, figure: str) -> HttpResponse:
    scope = access_scope(user=request.user)
    if figure not in FIGURES + REPORT_FIGURES:
        raise NotFound(_("There is no figure %(name)s.") % {"name": figure[:40]})
    _form, filters = filters_from(request.GET, scope=scope)
    if figure in REPORT_FIGURES:
        table = report_tables(scope=scope, filters=filters)[figure]
    else:
        table = figure_tables(dashboard_figures(scope=scope, filters=filters))[figure]
    name = f"{figure}-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    return csv_response(filename=name, columns=table.columns, rows=table.rows)


@login_required
@require_GET
@refusals_as_pages
def workload(request: HttpRequest) -> HttpResponse:
    """Mediators' workloads and outcomes over the last 90 days, for the organisation's head."""
    import datetime as dt

    from django.utils import timezone

    from supervision.selectors.workload import access_headed_organisations, mediator_workloads

    since = timezone.now() - dt.timedelta(days=90)
    organisations = [
        (organisation, mediator_workloads(organisation=organisation, since=since))
        for organisation in access_headed_organisations(user=request.user)
    ]
    return render(request, "supervision/workload.html", {"organisations": organisations})
