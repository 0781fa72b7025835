"""Pages: public verification (/verify/, /verify/<number>/), a party's confirmation of an
agreement, and the documents panel of the case page (polled by htmx while documents are
being prepared)."""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases.selectors import Action, access_case
from documents import selectors
from documents.forms import ConfirmForm, VerifyForm
from documents.services import confirm as confirm_services
from documents.services.verify import Verdict, check_verify_rate, verify_number, verify_pdf
from odr.errors import DomainError, NotAllowed, NotFound, RateLimited
from odr.http import client_ip

NUMBER_RE = re.compile(r"^[A-Z0-9-]{5,40}$")


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Enter a document number, or upload a PDF, and see the verdict."""
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        number = (
            unicodedata.normalize("NFKC", form.cleaned_data.get("number") or "").strip().upper()
        )
        if upload is None:
            if NUMBER_RE.match(number):
                return redirect("documents:verify-number", number=number)
            form.add_error("number", _("A document number looks like LY-2026-000123-MA1-7KQ2XD."))
            status = 400
        elif upload.size > settings.DOCUMENTS_VERIFY_MAX_BYTES:
            form.add_error(
                "file",
                _("The file is larger than %(mb)d MB.")
                % {"mb": settings.DOCUMENTS_VERIFY_MAX_BYTES // (1024 * 1024)},
            )
            status = 413
        else:
            try:
                check_verify_rate(ip=client_ip(request), weight=3)
            except RateLimited as exc:
                form.add_error(None, exc.message)
                status = 429
            else:
                result = verify_pdf(data=upload.read(), language=_language())
    elif request.method == "POST":
        status = 400
    return render(request, "documents/verify.html", {"form": form, "result": result}, status=status)


@require_GET
def verify_document(request: HttpRequest, number: str) -> HttpResponse:
    """The verification page of one document: where its QR code points."""
    try:
        check_verify_rate(ip=client_ip(request), weight=1)
    except RateLimited as exc:
        return render(
            request,
            "documents/verify.html",
            {"form": VerifyForm(), "error": exc.message},
            status=429,
        )
    result = verify_number(number=number, language=_language())
    status = 404 if result.verdict == Verdict.NOT_FOUND else 200
    return render(
        request,
        "documents/verify_document.html",
        {"result": result, "number": number, "form": VerifyForm(initial={"number": number})},
        status=status,
    )


def _party_document(request: HttpRequest, number: str):
    try:
        document = selectors.document_by_number(number=number)
        case = access_case(user=request.user, ref=document.case.reference, action=Action.VIEW)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    return case, document


@login_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, number: str) -> HttpResponse:
    """A party reads the draft agreement and confirms it with an SMS code."""
    case, document = _party_document(request, number)
    form = ConfirmForm(initial={"sha256": document.content_sha256})
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "send":
                confirm_services.confirmation_request(
                    document=document, user=request.user, ip=client_ip(request)
                )
                messages.success(request, _("We have sent a 6-digit code to your phone."))
                return redirect("documents:confirm", number=document.number)
            form = ConfirmForm(request.POST)
            if form.is_valid():
                confirm_services.document_confirm(
                    document=document,
                    user=request.user,
                    code=form.cleaned_data["code"],
                    content_sha256=form.cleaned_data["sha256"],
                    ip=client_ip(request),
                )
                messages.success(request, _("Thank you: your confirmation is recorded."))
                return redirect("documents:confirm", number=document.number)
            status = 400
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
    rows = selectors.document_rows(case=case, user=request.user)
    row = next(r for r in rows if r.document.pk == document.pk)
    return render(
        request,
        "documents/confirm.html",
        {"case": case, "row": row, "document": document, "form": form},
        status=status,
    )


@login_required
@require_GET
def case_panel(request: HttpRequest, ref: str) -> HttpResponse:
    """The documents of a case as an HTML fragment (htmx polls it while any is in progress)."""
    try:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    rows = selectors.document_rows(case=case, user=request.user)
    return render(
        request,
        "documents/_panel.html",
        {"case": case, "rows": rows, "polling": any(r.in_progress for r in rows)},
    )
