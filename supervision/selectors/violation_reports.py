"""The dashboard's figures of reports of suspected violations (举报, the reports app): per
merchant and per kind of violation, for the scope and the period (by the day received).

Counts only: no report's facts and nothing about any reporter. A report counts here as a
report; it reaches a merchant's credit file only through a finding (credit/services/
findings.py), which the "violations found" column counts.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.models import Finding, Report, State
from reports.violations import violation_label
from supervision.selectors.dashboard import Filters
from supervision.selectors.scope import Scope
from supervision.tables import Table

REPORT_FIGURES = ("reports_by_merchant", "reports_by_kind")
MERCHANT_ROWS = 20


def _reports(*, scope: Scope, filters: Filters):
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(filters.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    reports = Report.objects.filter(scope.q(), submitted_at__gte=start, submitted_at__lt=end)
    if filters.district:
        reports = reports.filter(division_code=filters.district)
    if filters.merchant:
        reports = reports.filter(merchant_id=filters.merchant)
    return reports


def report_tables(*, scope: Scope, filters: Filters) -> dict[str, Table]:
    reports = _reports(scope=scope, filters=filters).order_by()
    counts = {
        "n": Count("id"),
        "opened": Count("id", filter=Q(state=State.OPENED)),
        "found": Count("id", filter=Q(finding=Finding.VIOLATION)),
    }
    by_merchant = list(
        reports.values("merchant_name")
        .annotate(**counts)
        .order_by("-n", "merchant_name")[:MERCHANT_ROWS]
    )
    by_kind = list(reports.values("violation_kind").annotate(**counts).order_by("-n"))
    columns = [_("reports"), _("cases opened"), _("violations found")]
    return {
        "reports_by_merchant": Table(
            name="reports_by_merchant",
            title=_("Reports of suspected violations by merchant"),
            columns=[_("merchant"), *columns],
            rows=[[r["merchant_name"], r["n"], r["opened"], r["found"]] for r in by_merchant],
            chart=[(r["merchant_name"], r["n"]) for r in by_merchant[:12]],
        ),
        "reports_by_kind": Table(
            name="reports_by_kind",
            title=_("Reports of suspected violations by kind"),
            columns=[_("kind of violation"), _("code"), *columns],
            rows=[
                [
                    violation_label(r["violation_kind"]),
                    r["violation_kind"],
                    r["n"],
                    r["opened"],
                    r["found"],
                ]
                for r in by_kind
            ],
            chart=[(violation_label(r["violation_kind"]), r["n"]) for r in by_kind],
            codes=(1,),
        ),
    }
