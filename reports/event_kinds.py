"""Every kind of event a report's log holds, declared once with what it means and who
sees it on the report's page (the reporter, or the office's staff only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _

Seen = Literal["reporter", "staff"]


@dataclass(frozen=True, slots=True)
class ReportEventKind:
    key: str
    meaning: str
    label: Any
    changes_state: bool = False
    seen_by: Seen = "reporter"


KINDS: dict[str, ReportEventKind] = {
    k.key: k
    for k in (
        ReportEventKind("report.filed", "the report was received", _("Report received"), True),
        ReportEventKind(
            "report.verifying", "the office began verifying it", _("Being verified"), True
        ),
        ReportEventKind(
            "report.extended",
            "the time to decide was extended, with the head's approval; payload reason",
            _("Time to decide extended"),
        ),
        ReportEventKind("report.opened", "the office opened a case (立案)", _("Case opened"), True),
        ReportEventKind(
            "report.not_opened", "the office decided not to open a case", _("No case opened"), True
        ),
        ReportEventKind(
            "report.reporter_notified",
            "the named reporter was sent the decision; payload channel",
            _("Reporter told of the decision"),
        ),
        ReportEventKind(
            "report.finding",
            "after opening, the office recorded its finding; payload finding",
            _("Finding recorded"),
            seen_by="staff",
        ),
        ReportEventKind(
            "report.case_linked",
            "filed together with a complaint; payload case",
            _("Linked to a complaint"),
        ),
        ReportEventKind(
            "deadline.started",
            "a clock started; payload clock, due_on",
            _("Time limit started"),
            seen_by="staff",
        ),
        ReportEventKind(
            "deadline.overdue",
            "a clock passed its due date",
            _("Time limit passed"),
            seen_by="staff",
        ),
        ReportEventKind(
            "deadline.moved",
            "a clock's date moved with the calendar",
            _("Time limit moved"),
            seen_by="staff",
        ),
    )
}


def kind_of(key: str) -> ReportEventKind:
    try:
        return KINDS[key]
    except KeyError:
        raise KeyError(
            f"report event kind {key!r} is not declared in reports/event_kinds.py"
        ) from None
