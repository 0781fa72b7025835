"""Pages: the arbitration staff's portal (referrals, decisions, awards), the parties'
arbitration page of a case (agreement, signatures, referral, award) and the regulators'
view of webhook deliveries."""

from __future__ import annotations

import functools

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from arbitration import selectors
from arbitration.apis import award_file_response, case_arbitration_data
from arbitration.models import Referral
from arbitration.services import actions, consent
from cases.models import CaseRole, case_roles
from cases.selectors import Action, access_case
from odr.errors import DomainError, NotAllowed, NotFound


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

    return login_required(wrapper)


# --- Forms -----------------------------------------------------------------------------


class DeclineForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=4000, widget=forms.Textarea)


class InfoRequestForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("What the parties should provide"),
        max_length=4000,
        widget=forms.Textarea,
    )


class TermsForm(forms.Form):
    description = forms.CharField(
        label=gettext_lazy("Terms"), max_length=4000, widget=forms.Textarea
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (CNY)"), required=False, min_value=0, max_digits=12
    )
    performance_due_on = forms.DateField(
        label=gettext_lazy("Perform by"), widget=forms.DateInput(attrs={"type": "date"})
    )


class AwardForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Award (PDF)"))
    obligations = forms.CharField(
        label=gettext_lazy("Obligations"), max_length=4000, widget=forms.Textarea
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (CNY)"), required=False, min_value=0, max_digits=12
    )
    due_on = forms.DateField(
        label=gettext_lazy("Perform by"), widget=forms.DateInput(attrs={"type": "date"})
    )


class AgreementForm(forms.Form):
    body = forms.TypedChoiceField(label=gettext_lazy("Arbitration body"), coerce=int)

    def __init__(self, *args, bodies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].choices = [(b.pk, b.name) for b in bodies]


def _put_on_form(form: forms.Form, exc: DomainError) -> None:
    placed = False
    for name, errors in (exc.fields or {}).items():
        target = name if name in form.fields else None
        if name == "description" and "obligations" in form.fields:
            target = "obligations"
        if name == "performance_due_on" and "due_on" in form.fields:
            target = "due_on"
        for error in errors:
            form.add_error(target, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


# --- The portal ------------------------------------------------------------------------


@_refusals_as_pages
def portal(request: HttpRequest) -> HttpResponse:
    if not selectors.body_scope(user=request.user):
        raise NotAllowed(_("Only the staff of an arbitration body may do this."))
    referrals = selectors.referrals_for(user=request.user)
    status = request.GET.get("status", "")
    if status in Referral.Status.values:
        referrals = referrals.filter(status=status)
    return render(
        request,
        "arbitration/portal.html",
        {"referrals": referrals[:200], "statuses": Referral.Status.choices, "status": status},
    )


def _referral_page(request, referral: Referral, forms_: dict | None = None, status: int = 200):
    case = referral.case
    forms_ = forms_ or {}
    # A body whose referral is over (declined, withdrawn, or the case went elsewhere) keeps
    # its frozen file and its own requests, not a view of the case's later life.
    current = case.arbitration_body_id == referral.body_id and referral.status not in (
        Referral.Status.DECLINED,
        Referral.Status.WITHDRAWN,
    )
    context = {
        "referral": referral,
        "case": case,
        "current": current,
        "award": getattr(referral, "award", None),
        "evidence": case.evidence.order_by("created_at", "id") if current else [],
        "decline_form": forms_.get("decline") or DeclineForm(),
        "info_form": forms_.get("info") or InfoRequestForm(),
        "settle_form": forms_.get("settle") or TermsForm(),
        "award_form": forms_.get("award") or AwardForm(),
        "requests": case.events.filter(
            kind="arbitration.info_requested", payload__referral=referral.pk
        ).order_by("seq"),
    }
    return render(request, "arbitration/referral.html", context, status=status)


@_refusals_as_pages
def referral_detail(request: HttpRequest, ref: str) -> HttpResponse:
    referral = selectors.access_referral(user=request.user, ref=ref)
    return _referral_page(request, referral)


@_refusals_as_pages
def referral_file(request: HttpRequest, ref: str) -> HttpResponse:
    from django.http import FileResponse

    referral = selectors.access_referral(user=request.user, ref=ref)
    if not referral.file:
        raise NotFound(_("The referral file is not ready yet."))
    response = FileResponse(
        referral.file.open("rb"),
        as_attachment=True,
        filename=f"{referral.case.reference}-referral.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@_refusals_as_pages
def referral_act(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    referral = selectors.access_referral(user=request.user, ref=ref)
    actor = request.user
    form = None
    key = action
    try:
        if action == "acknowledge":
            actions.referral_acknowledge(referral=referral, actor=actor)
            done = _("Receipt acknowledged.")
        elif action == "accept":
            actions.referral_accept(referral=referral, actor=actor)
            done = _("Referral accepted.")
        elif action == "decline":
            form = DeclineForm(request.POST)
            if not form.is_valid():
                return _referral_page(request, referral, {key: form}, 400)
            actions.referral_decline(
                referral=referral, actor=actor, reason=form.cleaned_data["reason"]
            )
            done = _("Referral declined.")
        elif action == "info":
            form = InfoRequestForm(request.POST)
            if not form.is_valid():
                return _referral_page(request, referral, {key: form}, 400)
            actions.referral_request_info(
                referral=referral, actor=actor, message=form.cleaned_data["message"]
            )
            done = _("The parties were asked for more information.")
        elif action == "settle":
            form = TermsForm(request.POST)
            if not form.is_valid():
                return _referral_page(request, referral, {key: form}, 400)
            values = form.cleaned_data
            actions.referral_settle(
                referral=referral,
                actor=actor,
                description=values["description"],
                amount=str(values["amount"]) if values.get("amount") is not None else None,
                performance_due_on=values["performance_due_on"].isoformat(),
            )
            done = _("Settlement recorded.")
        elif action == "award":
            form = AwardForm(request.POST, request.FILES)
            if not form.is_valid():
                return _referral_page(request, referral, {key: form}, 400)
            values = form.cleaned_data
            actions.award_record(
                referral=referral,
                actor=actor,
                pdf=values["file"].read(),
                obligations=values["obligations"],
                amount=str(values["amount"]) if values.get("amount") is not None else None,
                due_on=values["due_on"].isoformat(),
            )
            done = _("Award recorded.")
        else:
            raise NotFound(_("Unknown action."))
    except (NotFound, NotAllowed):
        raise
    except DomainError as exc:
        if form is None:
            messages.error(request, exc.message)
            return redirect("arbitration:referral", ref=ref)
        _put_on_form(form, exc)
        return _referral_page(
            request, selectors.access_referral(user=request.user, ref=ref), {key: form}, exc.status
        )
    messages.success(request, done)
    return redirect("arbitration:referral", ref=ref)


# --- The parties' page -----------------------------------------------------------------


def _both_signed(agreement: dict | None) -> bool:
    return bool(agreement and agreement["consumer_signed"] and agreement["merchant_signed"])


def _may_sign(agreement: dict | None, roles: set[str]) -> bool:
    """Whether the viewer is a party whose side has not signed yet (the link then asks them
    to sign; everyone else, the mediator included, only reads)."""
    if agreement is None:
        return False
    if CaseRole.CONSUMER in roles and not agreement["consumer_signed"]:
        return True
    return CaseRole.MERCHANT in roles and not agreement["merchant_signed"]


def _case_page(request, case, form: AgreementForm | None = None, status: int = 200):
    data = case_arbitration_data(case, request.user)
    roles = case_roles(case, request.user)
    agreement = consent.agreement_open(case=case)
    document = consent.agreement_document(agreement) if agreement else None
    bodies = data["bodies"]
    context = {
        "case": case,
        "data": data,
        "document": document,
        "form": form or AgreementForm(bodies=consent.bodies_eligible(case=case)),
        "can_propose": case.state == "mediation_failed" and bool(bodies),
        # consent.case_refer lets the consumer or the mediator refer; others are told who.
        # Only once both parties have signed the agreement (the button before that would
        # only lead to a refusal).
        "can_refer": case.state == "mediation_failed"
        and _both_signed(data.get("agreement"))
        and bool(roles & {CaseRole.CONSUMER, CaseRole.MEDIATOR}),
        "may_sign": _may_sign(data.get("agreement"), roles),
        "award": data["award"],
        "requests": case.events.filter(kind="arbitration.info_requested").order_by("seq"),
    }
    return render(request, "arbitration/case.html", context, status=status)


@_refusals_as_pages
def case_arbitration(request: HttpRequest, ref: str) -> HttpResponse:
    case = access_case(user=request.user, ref=ref, action=Action.VIEW)
    return _case_page(request, case)


@require_POST
@_refusals_as_pages
def case_propose(request: HttpRequest, ref: str) -> HttpResponse:
    case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
    form = AgreementForm(request.POST, bodies=consent.bodies_eligible(case=case))
    if not form.is_valid():
        return _case_page(request, case, form, 400)
    try:
        consent.agreement_propose(case=case, actor=request.user, body_id=form.cleaned_data["body"])
    except (NotFound, NotAllowed):
        raise
    except DomainError as exc:
        _put_on_form(form, exc)
        return _case_page(request, case, form, exc.status)
    messages.success(
        request, _("Agreement proposed. Both parties now confirm it with an SMS code.")
    )
    return redirect("arbitration:case", ref=ref)


@require_POST
@_refusals_as_pages
def case_refer(request: HttpRequest, ref: str) -> HttpResponse:
    case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
    try:
        consent.case_refer(case=case, actor=request.user)
    except (NotFound, NotAllowed):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("arbitration:case", ref=ref)
    messages.success(request, _("The case was referred to arbitration."))
    return redirect("arbitration:case", ref=ref)


@_refusals_as_pages
def case_award_file(request: HttpRequest, ref: str) -> HttpResponse:
    case = access_case(user=request.user, ref=ref, action=Action.VIEW)
    referral = case.referrals.filter(award__isnull=False).select_related("case").first()
    if referral is None:
        raise NotFound(_("No award has been recorded."))
    return award_file_response(referral)


# --- Regulators: webhook deliveries ----------------------------------------------------


@_refusals_as_pages
def deliveries(request: HttpRequest) -> HttpResponse:
    rows = selectors.deliveries_visible_to(user=request.user).order_by("-created_at", "-id")
    return render(request, "arbitration/deliveries.html", {"deliveries": rows[:200]})
