"""Monthly reports: ask for one, watch it build, download the signed PDF."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from odr.errors import NotAllowed, NotFound
from supervision.forms import MonthForm
from supervision.models import MonthlyReport
from supervision.selectors.scope import Scope, access_scope
from supervision.services.reports import report_request
from supervision.views.common import refusals_as_pages


def _reports_in(scope: Scope):
    reports = MonthlyReport.objects.all()
    if not scope.everything:
        reports = reports.filter(scope.q("jurisdiction"))
    return reports.order_by("-month", "jurisdiction", "-version")


def _access_report(user, report_id: int) -> MonthlyReport:
    scope = access_scope(user=user)
    report = MonthlyReport.objects.filter(pk=report_id).first()
    if report is None:
        raise NotFound(_("There is no such report."))
    if not scope.everything and not scope.covers(report.jurisdiction):
        raise NotAllowed(_("This report is outside your jurisdiction."), code="not_your_report")
    return report


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_pages
def report_list(request: HttpRequest) -> HttpResponse:
    scope = access_scope(user=request.user)
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    form = MonthForm(
        request.POST or None,
        initial={
            "month": last_month.strftime("%Y-%m"),
            "jurisdiction": scope.jurisdictions[0] if scope.jurisdictions else "",
        },
        scope=scope,
    )
    if request.method == "POST" and form.is_valid():
        report = report_request(
            jurisdiction=form.cleaned_data["jurisdiction"],
            month=form.month_start(),
            scope=scope,
            actor=request.user,
        )
        return redirect("supervision:report", report_id=report.pk)
    return render(
        request,
        "supervision/reports.html",
        {"form": form, "reports": _reports_in(scope)[:60], "scope": scope},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
@refusals_as_pages
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _access_report(request.user, report_id)
    template = (
        "supervision/_report_status.html"
        if request.headers.get("HX-Request") == "true"
        else "supervision/report.html"
    )
    return render(request, template, {"report": report})


@login_required
@require_GET
@refusals_as_pages
def report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _access_report(request.user, report_id)
    if report.status != MonthlyReport.Status.READY or not report.file:
        raise NotFound(_("This report is not ready."))
    name = f"report-{report.jurisdiction}-{report.month:%Y-%m}-v{report.version}.pdf"
    try:
        handle = report.file.open("rb")
    except OSError as exc:  # the register says ready but the file is gone: not a 500
        raise NotFound(_("This report is not ready.")) from exc
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/pdf")
