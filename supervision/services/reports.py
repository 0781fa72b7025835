"""Monthly reports: one jurisdiction's month as a signed PDF.

Built by a task (on the beat on the first of the month, or on a regulator's request),
which moves ``progress`` as it goes so the page can show it. The PDF is rendered and
signed by the documents app's own machinery (``html_to_pdf``, ``pdf_sign``: the same
fonts, the same organisation key and seal) and stored with its SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role
from odr.errors import NotAllowed
from supervision.models import Alert, MonthlyReport
from supervision.selectors.clocks import clocks_met
from supervision.selectors.dashboard import Filters, dashboard_figures
from supervision.selectors.satisfaction import overall, satisfaction_table, scores_in
from supervision.selectors.scope import Scope
from supervision.tables import clock_label, figure_tables

logger = logging.getLogger(__name__)


def month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def report_request(
    *, jurisdiction: str, month: dt.date, scope: Scope | None, actor=None
) -> MonthlyReport:
    """A new version of the report, queued to build after the commit."""
    if scope is not None and not scope.everything and jurisdiction not in scope.jurisdictions:
        raise NotAllowed(
            _("You may only ask for the reports of your own jurisdiction."),
            code="not_your_jurisdiction",
        )
    with transaction.atomic():
        # Serialise versions of one report (the unique constraint backs this up).
        last = (
            MonthlyReport.objects.select_for_update()
            .filter(jurisdiction=jurisdiction, month=month)
            .aggregate(v=Max("version"))["v"]
        )
        report = MonthlyReport.objects.create(
            jurisdiction=jurisdiction,
            month=month.replace(day=1),
            version=(last or 0) + 1,
            requested_by=actor,
            created_at=timezone.now(),
        )
        report_id = report.pk
        transaction.on_commit(lambda: _enqueue(report_id))
    return report


def _enqueue(report_id: int) -> None:
    from supervision.tasks import build_report

    build_report.delay(report_id)


def reports_schedule_month(*, month: dt.date) -> list[MonthlyReport]:
    """Last month's report for every regulator's jurisdiction that has none yet."""
    jurisdictions = sorted(
        set(Role.objects.filter(kind=Role.Kind.REGULATOR).values_list("jurisdiction", flat=True))
    )
    made = []
    for jurisdiction in jurisdictions:
        if not MonthlyReport.objects.filter(jurisdiction=jurisdiction, month=month).exists():
            made.append(report_request(jurisdiction=jurisdiction, month=month, scope=None))
    return made


def _progress(report: MonthlyReport, percent: int, step: str) -> None:
    report.progress = percent
    report.step = step
    MonthlyReport.objects.filter(pk=report.pk).update(progress=percent, step=step)


def report_context(*, report: MonthlyReport) -> dict:
    scope = Scope(jurisdictions=(report.jurisdiction,))
    start, end = report.month, month_end(report.month)
    figures = dashboard_figures(
        scope=scope,
        filters=Filters(start=start, end=end),
        now=min(timezone.now(), _end_moment(end)),
    )
    tables = figure_tables(figures)
    tz = timezone.get_current_timezone()
    alerts = Alert.objects.filter(
        scope.q(),
        created_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        created_at__lt=_end_moment(end),
    ).order_by("created_at", "id")
    scores = scores_in(scope=scope, start=start, end=end)
    clocks = [
        (clock_label(clock), met, passed, _share(met, met + passed))
        for clock, (met, passed) in clocks_met(scope=scope, start=start, end=end).items()
    ]
    return {
        "report": report,
        "start": start,
        "end": end,
        "figures": figures,
        "tables": tables,
        "alerts": list(alerts),
        "satisfaction": overall(scores),
        "satisfaction_by_district": satisfaction_table(scores=scores, dimension="district"),
        "clocks": clocks,
        "issuer": settings.DOCUMENTS_ISSUER_NAME,
        "generated": timezone.localtime(),
    }


def _share(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "—"


def _end_moment(end: dt.date) -> dt.datetime:
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def report_build(*, report_id: int) -> MonthlyReport:
    """Build and sign a queued report. A report already claimed by a worker is left alone."""
    from documents.services.render import html_to_pdf
    from documents.services.sign import pdf_sign

    claimed = MonthlyReport.objects.filter(
        pk=report_id, status__in=[MonthlyReport.Status.QUEUED, MonthlyReport.Status.FAILED]
    ).update(status=MonthlyReport.Status.BUILDING, progress=5, step="start", error="")
    report = MonthlyReport.objects.get(pk=report_id)
    if not claimed:
        return report
    try:
        with translation.override(settings.LANGUAGE_CODE):
            _progress(report, 20, "figures")
            context = report_context(report=report)
            _progress(report, 50, "render")
            html = render_to_string("supervision/pdf/monthly_report.html", context)
            rendered = html_to_pdf(html)
            _progress(report, 75, "sign")
            signed = pdf_sign(
                rendered.pdf,
                reason=_("Monthly supervision report %(jurisdiction)s %(month)s")
                % {"jurisdiction": report.jurisdiction, "month": report.month.strftime("%Y-%m")},
                seal=rendered.seal_position(),
            )
        _progress(report, 90, "store")
        sha = hashlib.sha256(signed.pdf).hexdigest()
        name = default_storage.save(
            f"supervision/reports/{report.jurisdiction}/{report.month:%Y-%m}-v{report.version}-{sha[:12]}.pdf",
            ContentFile(signed.pdf),
        )
        MonthlyReport.objects.filter(pk=report.pk).update(
            status=MonthlyReport.Status.READY,
            progress=100,
            step="done",
            file=name,
            sha256=sha,
            size=len(signed.pdf),
            signer_subject=signed.subject[:300],
            finished_at=timezone.now(),
        )
    except Exception as exc:  # recorded on the report and shown; the page offers a retry
        logger.exception("monthly report %s failed", report_id)
        MonthlyReport.objects.filter(pk=report.pk).update(
            status=MonthlyReport.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
    report.refresh_from_db()
    return report


def report_public_details(sha256: str, language: str) -> dict | None:
    """What /verify/ shows of a monthly report with this SHA-256 (documents' external
    register): no personal data is in a report, so all of this is public."""
    report = MonthlyReport.objects.filter(sha256=sha256, status=MonthlyReport.Status.READY).first()
    if report is None:
        return None
    newer = MonthlyReport.objects.filter(
        jurisdiction=report.jurisdiction,
        month=report.month,
        version__gt=report.version,
        status=MonthlyReport.Status.READY,
    ).exists()
    english = (language or "").startswith("en")
    return {
        "number": f"MR-{report.jurisdiction}-{report.month:%Y%m}-v{report.version}",
        "kind": "monthly_report",
        "kind_label": "monthly supervision report" if english else "月度监管报告",
        "title": (
            f"Monthly supervision report {report.month:%Y-%m}, {report.jurisdiction}"
            if english
            else f"{report.jurisdiction} {report.month:%Y年%m月}监管报告"
        ),
        "version": report.version,
        "dated": report.finished_at.date().isoformat() if report.finished_at else None,
        "issuer": settings.DOCUMENTS_ISSUER_NAME_EN if english else settings.DOCUMENTS_ISSUER_NAME,
        "status": "superseded" if newer else "valid",
        "sha256": report.sha256,
        "signer": report.signer_subject or None,
    }
