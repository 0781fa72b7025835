"""Credit pages: a merchant's credit file (public), the merchant's replies and repair
applications, the regulator's repair queue and negative list, and public disclosure.

The public sees a case's own entry on a merchant's file only where its consumer agreed
to publication; the figures and the index always count every case (docs/credit.md,
"Publication").

Thin edges: parse, call one service or selector, render. A refused change shows its
reasons next to the fields (status 400 or 409), never a server error; someone else's
record or a merchant outside one's jurisdiction is a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from credit import forms, selectors
from credit.index import REPAIRABLE_KINDS
from credit.models import NegativeListEntry
from credit.services import negative_list as listing
from credit.services.repair import repair_apply, repair_decide, repair_eligibility
from credit.services.replies import reply_attach
from odr.errors import DomainError, NotAllowed, NotFound


def _or_http(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc


def _before(request: HttpRequest) -> int | None:
    raw = request.GET.get("before", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


# --- The merchant's credit file --------------------------------------------------------


def _file_context(request: HttpRequest, uscc: str, *, bound: dict | None = None) -> dict:
    """The page, with the forms a merchant's staff (or a regulator) may use on it.

    ``bound`` replaces one form with the submitted one carrying its errors.
    """
    merchant = _or_http(selectors.merchant_by_uscc, uscc=uscc)
    staff = selectors.is_merchant_staff(request.user, merchant.pk)
    regulator = selectors.regulates(request.user, merchant)
    # The public sees a case's own entries only where its consumer agreed to publication;
    # the merchant's staff and its regulators see them all (and how many are not public).
    file = selectors.credit_file(
        merchant=merchant, before=_before(request), every_entry=staff or regulator
    )
    bound = bound or {}
    shown = {r["id"] for r in file.records}
    missing = {key[1] for key in bound} - shown
    if missing:  # a form sent from another page of records: show that record first
        file.records[:0] = selectors.merchant_records_by_id(merchant=merchant, ids=missing)
    repairable = {}
    applications = {}
    if staff:
        repairable = selectors.records_by_id(
            [
                r["id"]
                for r in file.records
                if r["kind"] in REPAIRABLE_KINDS and r["repaired_at"] is None
            ]
        )
        applications = selectors.latest_repair_applications(
            [r["id"] for r in file.records if r["kind"] in REPAIRABLE_KINDS]
        )
    rows = []
    for record in file.records:
        key = record["id"]
        reply = repair = eligibility = None
        if staff and record["reply__body"] is None:
            reply = bound.get(("reply", key)) or forms.reply_form(key)
        if key in repairable:
            eligibility = repair_eligibility(record=repairable[key])
            if eligibility.eligible or ("repair", key) in bound:
                repair = bound.get(("repair", key)) or forms.repair_form(key)
        rows.append(
            {
                "record": record,
                "reply_form": reply,
                "repair_form": repair,
                "eligibility": eligibility,
                "application": applications.get(key),
            }
        )
    return {
        "file": file,
        "merchant": merchant,
        "rows": rows,
        "is_staff": staff,
        "is_regulator": regulator,
        "index": file.index,
        "figures": file.figures,
    }


@require_GET
def merchant_file(request: HttpRequest, uscc: str) -> HttpResponse:
    return render(request, "credit/merchant_file.html", _file_context(request, uscc))


def _redisplay(request, uscc: str, key: tuple, form, exc: DomainError) -> HttpResponse:
    forms.add_service_errors(form, exc.fields, exc.message)
    context = _file_context(request, uscc, bound={key: form})
    return render(request, "credit/merchant_file.html", context, status=exc.status)


@login_required
@require_POST
def record_reply(request: HttpRequest, uscc: str, record_id: int) -> HttpResponse:
    record = _or_http(
        selectors.access_record_for_merchant, user=request.user, record_id=record_id, uscc=uscc
    )
    form = forms.reply_form(record.pk, request.POST)
    if not form.is_valid():
        context = _file_context(request, uscc, bound={("reply", record.pk): form})
        return render(request, "credit/merchant_file.html", context, status=400)
    try:
        _or_http(reply_attach, record=record, actor=request.user, body=form.cleaned_data["body"])
    except DomainError as exc:
        return _redisplay(request, uscc, ("reply", record.pk), form, exc)
    messages.success(request, _("Your reply is published."))
    return redirect(_record_url(record))


@login_required
@require_POST
def record_repair(request: HttpRequest, uscc: str, record_id: int) -> HttpResponse:
    record = _or_http(
        selectors.access_record_for_merchant, user=request.user, record_id=record_id, uscc=uscc
    )
    form = forms.repair_form(record.pk, request.POST)
    if not form.is_valid():
        context = _file_context(request, uscc, bound={("repair", record.pk): form})
        return render(request, "credit/merchant_file.html", context, status=400)
    try:
        _or_http(
            repair_apply,
            record=record,
            actor=request.user,
            statement=form.cleaned_data["statement"],
        )
    except DomainError as exc:
        return _redisplay(request, uscc, ("repair", record.pk), form, exc)
    messages.success(request, _("Your application is sent to the regulator."))
    return redirect(_record_url(record))


def _record_url(record) -> str:
    return reverse("credit:merchant", args=[record.merchant.uscc]) + f"#record-{record.pk}"


# --- The regulator's repair queue ------------------------------------------------------


def _regulator_only(request: HttpRequest) -> None:
    if not selectors.regulator_jurisdictions(request.user):
        raise PermissionDenied(_("This page is for regulators."))


def _repairs_page(request: HttpRequest, *, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    rows = [
        (a, bound.get(a.pk) or forms.decision_form(a.pk))
        for a in selectors.repairs_pending_for(user=request.user)[:200]
    ]
    return render(request, "credit/repairs.html", {"rows": rows}, status=status)


@login_required
@require_GET
def repairs_queue(request: HttpRequest) -> HttpResponse:
    _regulator_only(request)
    return _repairs_page(request)


@login_required
@require_POST
def repair_decision(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _or_http(
        selectors.access_repair_for_regulator, user=request.user, application_id=application_id
    )
    form = forms.decision_form(application.pk, request.POST)
    if not form.is_valid():
        return _repairs_page(request, bound={application.pk: form}, status=400)
    try:
        _or_http(
            repair_decide,
            application=application,
            actor=request.user,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        forms.add_service_errors(form, exc.fields, exc.message)
        return _repairs_page(request, bound={application.pk: form}, status=exc.status)
    messages.success(request, _("Your decision is recorded."))
    return redirect("credit:repairs")


# --- The negative list -----------------------------------------------------------------


def _listing_page(request: HttpRequest, *, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    rows = []
    for candidate in selectors.negative_list_for(user=request.user):
        if candidate.entry is None:
            key = ("confirm", candidate.merchant.pk)
            form = bound.get(key) or forms.confirm_form(candidate.merchant.pk)
        else:
            key = ("remove", candidate.entry.pk)
            form = bound.get(key) or forms.remove_form(candidate.entry.pk)
        rows.append((candidate, form))
    return render(
        request,
        "credit/negative_list.html",
        {"rows": rows, "today": timezone.localdate()},
        status=status,
    )


@login_required
@require_GET
def negative_list(request: HttpRequest) -> HttpResponse:
    _regulator_only(request)
    return _listing_page(request)


@login_required
@require_POST
def negative_list_confirm(request: HttpRequest, uscc: str) -> HttpResponse:
    merchant = _or_http(selectors.access_merchant_for_regulator, user=request.user, uscc=uscc)
    form = forms.confirm_form(merchant.pk, request.POST)
    key = ("confirm", merchant.pk)
    if not form.is_valid():
        return _listing_page(request, bound={key: form}, status=400)
    try:
        _or_http(
            listing.negative_list_confirm,
            merchant=merchant,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            review_on=form.cleaned_data["review_on"],
        )
    except DomainError as exc:
        forms.add_service_errors(form, exc.fields, exc.message)
        return _listing_page(request, bound={key: form}, status=exc.status)
    messages.success(request, _("The merchant is on the negative list."))
    return redirect("credit:negative_list")


@login_required
@require_POST
def negative_list_remove(request: HttpRequest, entry_id: int) -> HttpResponse:
    _regulator_only(request)
    entry = NegativeListEntry.objects.select_related("merchant").filter(pk=entry_id).first()
    if entry is None:
        raise Http404(_("There is no such entry."))
    if not selectors.regulates(request.user, entry.merchant):
        raise PermissionDenied(_("This merchant is outside your jurisdiction."))
    form = forms.remove_form(entry.pk, request.POST)
    key = ("remove", entry.pk)
    if not form.is_valid():
        return _listing_page(request, bound={key: form}, status=400)
    try:
        _or_http(
            listing.negative_list_remove,
            entry=entry,
            actor=request.user,
            reason=form.cleaned_data["removal_reason"],
        )
    except DomainError as exc:
        forms.add_service_errors(form, exc.fields, exc.message)
        return _listing_page(request, bound={key: form}, status=exc.status)
    messages.success(request, _("The merchant is off the negative list."))
    return redirect("credit:negative_list")


# --- Public disclosure -----------------------------------------------------------------


@require_GET
def disclosure(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    rows = selectors.disclosure_rows(merchants=selectors.disclosure_search(q=q)) if q else []
    listed = [] if q else list(selectors.negative_list_public()[:50])
    return render(
        request,
        "credit/disclosure.html",
        {"q": q, "rows": rows, "listed": listed, "searched": bool(q)},
    )
