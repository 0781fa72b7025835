"""Reads for reports. ``access_report`` is the only way views and APIs get a report.

Who may see a report: the reporter who filed it under their name while signed in (its
status and the decision, never the office's notes), and the regulators whose jurisdiction
covers the place of the merchant reported (the handling office). Nobody else: not the
merchant, not another office, not another consumer, not someone signed out. The reporter's
identity (``ReporterIdentity``) is read only by the handling office (``Action.IDENTITY``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Role
from odr.divisions import division_covers, division_prefix
from odr.errors import NotAllowed, NotFound
from reports.models import Report, ReportDeadline, ReporterIdentity, ReportEvent


class Action:
    VIEW = "view"  # the status and the decision
    HANDLE = "handle"  # verify, extend, decide, record the finding
    IDENTITY = "identity"  # the named reporter's name, phone and ID number; the evidence


def _jurisdictions(user) -> list[str]:
    return [
        r.jurisdiction for r in user.roles.all() if r.kind == Role.Kind.REGULATOR and r.jurisdiction
    ]


def is_handling_regulator(*, user, report: Report) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return any(division_covers(j, report.division_code) for j in _jurisdictions(user))


def is_reporter(*, user, report: Report) -> bool:
    """The reporter: the account that filed it under its name, or one signed in (by SMS
    code) with the phone number a named reporter gave. Never anyone for an anonymous one."""
    if not user.is_authenticated or not user.is_active or report.anonymous:
        return False
    if report.reporter_id is not None and report.reporter_id == user.pk:
        return True
    phone = getattr(user, "phone", "") or ""
    return bool(phone) and ReporterIdentity.objects.filter(report=report, phone=phone).exists()


def access_report(*, user, ref: str, action: str) -> Report:
    """The report ``ref`` if ``user`` may take ``action`` on it: 404 unknown, 403 not theirs."""
    if not user.is_authenticated:
        raise NotAllowed(_("Please sign in."), code="not_authenticated")
    report = (
        Report.objects.select_related("merchant", "office", "case", "reporter")
        .filter(reference=ref[:24])
        .first()
    )
    if report is None:
        raise NotFound(_("There is no such report."))
    office = is_handling_regulator(user=user, report=report)
    if action == Action.VIEW and (office or is_reporter(user=user, report=report)):
        return report
    if action in (Action.HANDLE, Action.IDENTITY) and office:
        return report
    raise NotAllowed(_("This report is not yours to see."), code="not_your_report")


def report_queue(*, user) -> QuerySet[Report]:
    """The reports the user's jurisdictions cover, oldest waiting first."""
    condition = Q(pk__in=[])
    for jurisdiction in _jurisdictions(user):
        condition |= Q(division_code__startswith=division_prefix(jurisdiction))
    return (
        Report.objects.filter(condition)
        .select_related("merchant", "office")
        .order_by("state", "submitted_at", "id")
    )


def reports_of_reporter(*, user) -> QuerySet[Report]:
    if not user.is_authenticated:
        return Report.objects.none()
    mine = Q(reporter=user)
    if getattr(user, "phone", ""):
        mine |= Q(identity__phone=user.phone)
    return Report.objects.filter(mine, anonymous=False).order_by("-submitted_at")


def report_timeline(*, report: Report, staff: bool) -> list[ReportEvent]:
    events = ReportEvent.objects.filter(report=report).order_by("seq")
    if not staff:
        events = events.filter(visibility=ReportEvent.Visibility.REPORTER)
    return list(events)


def report_deadlines(*, report: Report) -> list[ReportDeadline]:
    return list(ReportDeadline.objects.filter(report=report).order_by("started_at", "id"))


def is_regulator(*, user) -> bool:
    return user.is_authenticated and bool(_jurisdictions(user))
