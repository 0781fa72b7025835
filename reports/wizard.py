"""The complaint wizard's "also report this as a suspected violation" (odr/submission.py):
a complaint and a report in one submission, linked both ways by reference."""

from __future__ import annotations

from django.utils.translation import gettext as _

from odr.errors import DomainError
from odr.submission import ReviewExtra
from reports.violations import VIOLATION_CHOICES, VIOLATION_CODES


def _context(data, user) -> dict:
    data = data or {}
    return {
        "chosen": data.get("also_report") == "on",
        "violation_kind": data.get("violation_kind", ""),
        "notify": data.get("report_notify", "on" if not data else "") == "on",
        "choices": VIOLATION_CHOICES,
    }


def _check(data, user) -> dict | None:
    if data.get("also_report") != "on":
        return None
    kind = data.get("violation_kind", "")
    if kind not in VIOLATION_CODES:
        raise DomainError(
            _("Please choose the kind of violation you report, or untick the report."),
            code="invalid_report",
            fields={"violation_kind": [_("Please choose the kind of violation.")]},
        )
    return {"violation_kind": kind, "wants_notice": data.get("report_notify") == "on"}


def _submitted(*, case, user, values) -> str:
    from reports.services.filing import report_file_with_case

    report = report_file_with_case(
        case=case,
        reporter=user,
        violation_kind=values["violation_kind"],
        wants_notice=values["wants_notice"],
    )
    return _(
        "Your report of a suspected violation was filed as %(ref)s, linked to this complaint."
    ) % {"ref": report.reference}


REVIEW_EXTRA = ReviewExtra(
    name="reports.also_report",
    template="reports/_wizard_extra.html",
    context=_context,
    check=_check,
    submitted=_submitted,
)
