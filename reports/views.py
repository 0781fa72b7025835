"""Report pages: the public filing form, the filed confirmation, the reporter's own list
and report page, the office's queue, report page and steps.

Thin edges: a page gets its report through ``access_report`` and changes it through one
service; a refusal is shown next to the field it concerns or as a refusal page, never as a
server error. Who reported is shown only to the handling office.
"""

from __future__ import annotations

import functools

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Merchant
from cases.rulesets import report_ruleset_by_key
from odr.errors import DomainError, NotAllowed, NotFound
from reports import selectors
from reports.event_kinds import KINDS
from reports.forms import DecideForm, ExtendForm, FindingForm, ReportForm
from reports.models import ReportEvidence, State
from reports.selectors import Action, access_report
from reports.services import handling
from reports.services.clocks import decision_deadline
from reports.services.filing import ReportData, report_file
from reports.violations import violation_label

FILED_SESSION_KEY = "reports.filed"


def _refusals_as_pages(view):
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (NotFound, NotAllowed) as exc:
            return render(
                request,
                "cases/refused.html",
                {"message": exc.message, "status": exc.status},
                status=exc.status,
            )

    return wrapper


def _put_on_form(form: forms.Form, exc: DomainError, default: str) -> None:
    placed = False
    for name, errors in (exc.fields or {}).items():
        target = name if name in form.fields else default
        for error in errors if isinstance(errors, list) else [errors]:
            form.add_error(target, str(error))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    """Anyone may report, signed in or not, with their name or anonymously."""
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            values = form.cleaned_data
            uscc = values["merchant_uscc"].strip().upper()
            merchant = Merchant.objects.filter(uscc=uscc).first() if uscc else None
            anonymous = values["who"] == "anonymous"
            data = ReportData(
                violation_kind=values["violation_kind"],
                facts=values["facts"],
                merchant=merchant,
                merchant_name=values["merchant_name"],
                merchant_address=values["merchant_address"],
                merchant_store_url=values["merchant_store_url"],
                merchant_division_code=values["merchant_division_code"],
                anonymous=anonymous,
                name="" if anonymous else values["name"],
                phone="" if anonymous else values["phone"],
                id_number="" if anonymous else values["id_number"],
                wants_notice=values["wants_notice"] and not anonymous,
                language=request.LANGUAGE_CODE,
                uploads=values["files"],
            )
            try:
                report = report_file(reporter=request.user, data=data)
            except DomainError as exc:
                _put_on_form(form, exc, "facts")
                status = exc.status
            else:
                request.session[FILED_SESSION_KEY] = {
                    "reference": report.reference,
                    "anonymous": report.anonymous,
                    "wants_notice": report.wants_notice,
                    "mine": report.reporter_id is not None,
                }
                return redirect("reports:filed")
        else:
            status = 400
    else:
        initial = {}
        if request.user.is_authenticated and request.user.phone:
            initial = {"phone": request.user.phone, "name": request.user.display_name}
        form = ReportForm(initial=initial)
    return render(request, "reports/new.html", {"form": form}, status=status)


@require_GET
def report_filed(request: HttpRequest) -> HttpResponse:
    """The reference of the report just filed, from this browser's session only."""
    filed = request.session.get(FILED_SESSION_KEY)
    if not filed:
        return redirect("reports:new")
    return render(request, "reports/filed.html", {"filed": filed})


@login_required
@require_GET
def report_mine(request: HttpRequest) -> HttpResponse:
    reports = selectors.reports_of_reporter(user=request.user)
    return render(request, "reports/mine.html", {"reports": reports})


@login_required
@require_GET
@_refusals_as_pages
def report_queue(request: HttpRequest) -> HttpResponse:
    if not selectors.is_regulator(user=request.user):
        raise NotAllowed(_("The reports queue is for the market regulation office."))
    reports = list(selectors.report_queue(user=request.user)[:200])
    return render(request, "reports/queue.html", {"reports": reports})


def _detail_context(request: HttpRequest, report, bound: dict | None = None) -> dict:
    office = selectors.is_handling_regulator(user=request.user, report=report)
    bound = bound or {}
    rules = report_ruleset_by_key(report.ruleset)
    deadlines = selectors.report_deadlines(report=report)
    english = (get_language() or "").startswith("en")
    context = {
        "report": report,
        "office": office,
        "violation": violation_label(report.violation_kind),
        "deadline": decision_deadline(report),
        "timeline": [
            (event, KINDS[event.kind].label if event.kind in KINDS else event.kind)
            for event in selectors.report_timeline(report=report, staff=office)
        ],
        "rules": rules,
        "notice_owed": report.wants_notice and not report.anonymous,
        "notice_citation": rules.notice_citation_en if english else rules.notice_citation_zh,
    }
    if office:
        context.update(
            identity=getattr(report, "identity", None) if not report.anonymous else None,
            evidence=list(report.evidence.all()),
            deadlines=[_deadline_row(rules, d, english) for d in deadlines],
            confidentiality=rules.confidentiality_en if english else rules.confidentiality_zh,
            extend_form=bound.get("extend") or ExtendForm(),
            decide_form=bound.get("decide") or DecideForm(),
            finding_form=bound.get("finding") or FindingForm(),
            can_verify=report.state == State.RECEIVED,
            can_extend=not report.decided and report.extended_at is None,
            can_decide=not report.decided,
            can_find=report.state == State.OPENED and not report.finding,
            notices=list(report.notices.all()),
        )
    return context


def _deadline_row(rules, deadline, english: bool) -> tuple:
    """A clock with its name and its citation (and, for the office, the staff note)."""
    try:
        clock = rules.clock(deadline.clock)
    except KeyError:
        return deadline, deadline.clock, ""
    citation = clock.citation_en if english else clock.citation_zh
    note = clock.note_en if english else clock.note_zh
    return (
        deadline,
        clock.label("en" if english else "zh-hans"),
        f"{citation}。{note}"
        if (note and not english)
        else (f"{citation}. {note}" if note else citation),
    )


@login_required
@require_GET
@_refusals_as_pages
def report_detail(request: HttpRequest, ref: str) -> HttpResponse:
    report = access_report(user=request.user, ref=ref, action=Action.VIEW)
    return render(request, "reports/detail.html", _detail_context(request, report))


@login_required
@require_GET
@_refusals_as_pages
def report_evidence(request: HttpRequest, ref: str, evidence_id: int) -> HttpResponse:
    report = access_report(user=request.user, ref=ref, action=Action.IDENTITY)
    evidence = ReportEvidence.objects.filter(report=report, pk=evidence_id).first()
    if evidence is None:
        raise NotFound(_("There is no such file on this report."))
    name = f"{report.reference}-{evidence.pk}{evidence.extension}"
    response = FileResponse(evidence.file.open("rb"), as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _office_step(key: str, form_class, act):
    """A POST of the office: parse, call one service, redirect; the page again on a refusal."""

    @login_required
    @require_POST
    @_refusals_as_pages
    def view(request: HttpRequest, ref: str) -> HttpResponse:
        report = access_report(user=request.user, ref=ref, action=Action.HANDLE)
        form = form_class(request.POST) if form_class else None
        status = 400
        if form is None or form.is_valid():
            try:
                act(request, report, form.cleaned_data if form else {})
            except DomainError as exc:
                if form is None:
                    messages.error(request, exc.message)
                    return redirect("reports:detail", ref=report.reference)
                _put_on_form(form, exc, next(iter(form.fields)))
                status = exc.status
            else:
                messages.success(request, _("Saved."))
                return redirect("reports:detail", ref=report.reference)
        report.refresh_from_db()
        context = _detail_context(request, report, {key: form})
        return render(request, "reports/detail.html", context, status=status)

    view.__name__ = f"report_{key}"
    return view


report_verify = _office_step(
    "verify", None, lambda r, report, v: handling.report_verify(report=report, actor=r.user)
)
report_extend = _office_step(
    "extend",
    ExtendForm,
    lambda r, report, v: handling.report_extend(report=report, actor=r.user, reason=v["reason"]),
)
report_decide = _office_step(
    "decide",
    DecideForm,
    lambda r, report, v: handling.report_decide(
        report=report, actor=r.user, decision=v["decision"], reasons=v["reasons"]
    ),
)
report_finding = _office_step(
    "finding",
    FindingForm,
    lambda r, report, v: handling.report_record_finding(
        report=report, actor=r.user, finding=v["finding"], summary=v["summary"]
    ),
)
