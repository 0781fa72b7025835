"""Case pages: the complaint wizard, case lists, the review queue and the case page.

Thin edges: every page gets its case through access_case and changes it through one
service; a refused action is shown to the user, never a server error.
"""

import datetime as dt
import functools
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Merchant, Role
from cases import selectors
from cases.apis import evidence_file_response
from cases.forms import (
    EvidenceForm,
    FactsStepForm,
    MerchantStepForm,
    MessageForm,
    OfferForm,
    RequestStepForm,
)
from cases.models import ComplaintDraft, Deadline, Evidence, Offer, case_roles
from cases.selectors import Action, access_case
from cases.services import evidence as evidence_services
from cases.services import negotiation
from cases.services.intake import ComplaintData, case_submit
from cases.services.transitions import SPECS, case_transition, field_choices, transitions_available
from odr.errors import DomainError, NotAllowed, NotFound

STEPS = ["merchant", "facts", "request", "evidence", "review"]
STEP_LABELS = {
    "merchant": _("Merchant"),
    "facts": _("What happened"),
    "request": _("What you ask for"),
    "evidence": _("Evidence"),
    "review": _("Review and submit"),
}
STEP_FORMS = {"merchant": MerchantStepForm, "facts": FactsStepForm, "request": RequestStepForm}


def _case_or_error(request: HttpRequest, ref: str, action: str):
    try:
        return access_case(user=request.user, ref=ref, action=action)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc


def case_action(view):
    """A POST on a case: refusals become a message on the case page, never an error page."""

    @functools.wraps(view)
    @login_required
    @require_POST
    def wrapper(request: HttpRequest, ref: str, *args, **kwargs) -> HttpResponse:
        try:
            view(request, ref, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            messages.error(request, exc.message)
            for field, errors in exc.fields.items():
                for error in errors:
                    if error != exc.message:
                        messages.error(request, f"{field}: {error}")
        return redirect("cases:detail", ref=ref)

    return wrapper


def _is_consumer(user) -> bool:
    return user.roles.filter(kind=Role.Kind.CONSUMER).exists()


# --- Lists -------------------------------------------------------------------------------


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    cases = selectors.cases_visible_to(user=request.user).prefetch_related("deadlines")
    state = request.GET.get("state", "")
    if state:
        cases = cases.filter(state=state)
    rows = []
    for case in cases.order_by("-submitted_at")[:200]:
        running = [d for d in case.deadlines.all() if d.status == Deadline.Status.RUNNING]
        rows.append((case, min(running, key=lambda d: d.due_at) if running else None))
    # Merchant staff work their inbox by the nearest deadline first.
    if request.user.roles.filter(kind=Role.Kind.MERCHANT_STAFF).exists():
        far = dt.datetime.max.replace(tzinfo=dt.UTC)
        rows.sort(key=lambda row: row[1].due_at if row[1] else far)
    return render(
        request, "cases/list.html", {"rows": rows, "can_file": _is_consumer(request.user)}
    )


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    if not request.user.roles.filter(kind=Role.Kind.REGULATOR).exists():
        raise PermissionDenied(_("The review queue is for regulators."))
    rows = []
    for case in selectors.review_queue(user=request.user).prefetch_related("deadlines"):
        deadline = next(
            (
                d
                for d in case.deadlines.all()
                if d.clock == "acceptance_decision" and d.status == "running"
            ),
            None,
        )
        rows.append((case, deadline))
    return render(request, "cases/review_queue.html", {"rows": rows})


# --- The complaint wizard ----------------------------------------------------------------


def _consumer_only(request: HttpRequest) -> None:
    if not _is_consumer(request.user):
        raise PermissionDenied(_("Only consumers file complaints."))


def _draft(request: HttpRequest, draft_id: int) -> ComplaintDraft:
    return get_object_or_404(ComplaintDraft, pk=draft_id, consumer=request.user)


@login_required
def complaint_start(request: HttpRequest) -> HttpResponse:
    _consumer_only(request)
    draft = ComplaintDraft.objects.filter(consumer=request.user).order_by("-updated_at").first()
    if draft is None or request.GET.get("new"):
        user = request.user
        draft = ComplaintDraft.objects.create(
            consumer=user,
            data={
                "complainant_name": user.display_name,
                "complainant_phone": user.phone or "",
                "agrees_to_delegated_mediation": True,
            },
        )
    return redirect("cases:wizard", draft_id=draft.pk, step="merchant")


def _to_json(value):
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


@login_required
def complaint_wizard(request: HttpRequest, draft_id: int, step: str) -> HttpResponse:
    _consumer_only(request)
    if step not in STEPS:
        raise Http404
    draft = _draft(request, draft_id)
    context = {
        "draft": draft,
        "step": step,
        "steps": [(s, STEP_LABELS[s]) for s in STEPS],
        "step_index": STEPS.index(step),
    }
    if step in STEP_FORMS:
        form_class = STEP_FORMS[step]
        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                data = dict(draft.data)
                data.update({k: _to_json(v) for k, v in form.cleaned_data.items()})
                if step == "merchant" and form.cleaned_data.get("merchant"):
                    data["merchant_name"] = ""
                draft.data = data
                draft.save(update_fields=["data", "updated_at"])
                return redirect(
                    "cases:wizard", draft_id=draft.pk, step=STEPS[STEPS.index(step) + 1]
                )
        else:
            form = form_class(initial=draft.data)
        context["form"] = form
        if step == "merchant":
            q = request.GET.get("q", "")[:200]
            context["q"] = q
            context["results"] = selectors.merchant_search(q=q) if q else []
            chosen = draft.data.get("merchant")
            context["chosen"] = Merchant.objects.filter(pk=chosen).first() if chosen else None
        status = 400 if request.method == "POST" else 200
        return render(request, "cases/wizard.html", context, status=status)
    if step == "evidence":
        form = EvidenceForm()
        status = 200
        if request.method == "POST":
            form = EvidenceForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    evidence_services.evidence_add(
                        uploaded_by=request.user,
                        upload=form.cleaned_data["file"],
                        draft=draft,
                        description=form.cleaned_data["description"],
                    )
                except DomainError as exc:
                    form.add_error("file", exc.message)
                    status = exc.status
                else:
                    messages.success(request, _("File added."))
                    return redirect("cases:wizard", draft_id=draft.pk, step="evidence")
            else:
                status = 400
        context["form"] = form
        context["files"] = Evidence.objects.filter(draft=draft)
        return render(request, "cases/wizard.html", context, status=status)
    # Review and submit.
    context["summary"] = _summary(draft)
    if request.method == "POST":
        try:
            case = case_submit(
                consumer=request.user, data=_complaint_data(request, draft), draft=draft
            )
        except DomainError as exc:
            context["error"] = exc.message
            context["field_errors"] = exc.fields
            return render(request, "cases/wizard.html", context, status=exc.status)
        messages.success(
            request, _("Your complaint was filed as %(ref)s.") % {"ref": case.reference}
        )
        return redirect("cases:detail", ref=case.reference)
    return render(request, "cases/wizard.html", context)


@login_required
@require_POST
def complaint_choose_merchant(request: HttpRequest, draft_id: int) -> HttpResponse:
    _consumer_only(request)
    draft = _draft(request, draft_id)
    merchant = Merchant.objects.filter(pk=request.POST.get("merchant") or 0).first()
    data = dict(draft.data)
    data["merchant"] = merchant.pk if merchant else None
    draft.data = data
    draft.save(update_fields=["data", "updated_at"])
    return redirect("cases:wizard", draft_id=draft.pk, step="merchant")


@login_required
@require_POST
def complaint_remove_file(request: HttpRequest, draft_id: int, evidence_id: int) -> HttpResponse:
    _consumer_only(request)
    draft = _draft(request, draft_id)
    evidence = get_object_or_404(Evidence, pk=evidence_id, draft=draft)
    evidence_services.evidence_remove_from_draft(evidence=evidence, actor=request.user)
    return redirect("cases:wizard", draft_id=draft.pk, step="evidence")


def _summary(draft: ComplaintDraft) -> list[tuple[str, str]]:
    data = draft.data
    merchant = Merchant.objects.filter(pk=data.get("merchant") or 0).first()
    labels = [
        (_("Merchant"), merchant.name if merchant else data.get("merchant_name", "")),
        (
            _("Category"),
            dict(FactsStepForm.base_fields["category"].choices).get(data.get("category"), ""),
        ),
        (_("Purchase date"), data.get("purchase_date") or ""),
        (_("Amount paid (CNY)"), data.get("amount") or ""),
        (_("Order number"), data.get("order_number", "")),
        (_("What happened"), data.get("facts", "")),
        (_("What you ask the merchant to do"), data.get("request", "")),
        (_("Your name"), data.get("complainant_name", "")),
        (_("Your phone"), data.get("complainant_phone", "")),
        (_("Your address"), data.get("complainant_address", "")),
    ]
    return [(str(k), str(v)) for k, v in labels]


def _complaint_data(request: HttpRequest, draft: ComplaintDraft) -> ComplaintData:
    data = draft.data

    def day(key: str):
        value = data.get(key)
        return dt.date.fromisoformat(value) if value else None

    amount = data.get("amount")
    return ComplaintData(
        complainant_name=data.get("complainant_name", ""),
        complainant_phone=data.get("complainant_phone", ""),
        complainant_address=data.get("complainant_address", ""),
        facts=data.get("facts", ""),
        request=data.get("request", ""),
        category=data.get("category", ""),
        knew_of_harm_on=day("knew_of_harm_on"),
        merchant=Merchant.objects.filter(pk=data.get("merchant") or 0).first(),
        merchant_name=data.get("merchant_name", ""),
        merchant_address=data.get("merchant_address", ""),
        merchant_store_url=data.get("merchant_store_url", ""),
        merchant_division_code=data.get("merchant_division_code", ""),
        purchase_date=day("purchase_date"),
        amount=Decimal(amount) if amount else None,
        order_number=data.get("order_number", ""),
        platform=data.get("platform", ""),
        agrees_to_publication=bool(data.get("agrees_to_publication")),
        agrees_to_delegated_mediation=bool(data.get("agrees_to_delegated_mediation")),
        language=request.LANGUAGE_CODE,
    )


@login_required
@require_GET
def merchant_search(request: HttpRequest) -> HttpResponse:
    """The search box of the wizard (an htmx fragment; a plain page without JavaScript)."""
    q = request.GET.get("q", "")[:200]
    draft_id = request.GET.get("draft", "")
    results = selectors.merchant_search(q=q) if q else []
    return render(
        request, "cases/merchant_results.html", {"results": results, "q": q, "draft_id": draft_id}
    )


# --- The case page -----------------------------------------------------------------------


@login_required
@require_GET
def case_detail(request: HttpRequest, ref: str) -> HttpResponse:
    case = _case_or_error(request, ref, Action.VIEW)
    roles = case_roles(case, request.user)
    specs = transitions_available(case=case, actor=request.user)
    actions = [(spec, [(f, field_choices(case, f)) for f in spec.fields]) for spec in specs]
    offers = list(selectors.case_offers(case=case))
    side = "consumer" if "consumer" in roles else ("merchant" if "merchant" in roles else "")
    context = {
        "case": case,
        "roles": roles,
        "side": side,
        "negotiating": case.state == "negotiation" and side,
        "deadlines": [
            (d, selectors.deadline_citation(deadline=d))
            for d in selectors.case_deadlines(case=case)
        ],
        "events": selectors.case_timeline(case=case, user=request.user),
        "offers": offers,
        "open_offers_for_me": [
            o for o in offers if o.status == Offer.Status.OPEN and o.side != side
        ],
        "messages_list": selectors.case_messages(case=case, room="negotiation"),
        "evidence": case.evidence.all(),
        "actions": actions,
        # Distinct ids: several forms share field names on this page.
        "offer_form": OfferForm(
            initial={"valid_until": timezone.localdate() + dt.timedelta(days=7)}, auto_id="offer_%s"
        ),
        "message_form": MessageForm(auto_id="message_%s"),
        "evidence_form": EvidenceForm(auto_id="evidence_%s"),
        "can_upload": bool(roles & {"consumer", "merchant", "mediator"}),
    }
    return render(request, "cases/detail.html", context)


@login_required
@require_GET
def evidence_download(request: HttpRequest, ref: str, evidence_id: int) -> HttpResponse:
    case = _case_or_error(request, ref, Action.VIEW)
    try:
        return evidence_file_response(case, evidence_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@case_action
def offer_make(request: HttpRequest, ref: str) -> None:
    case = access_case(user=request.user, ref=ref, action=Action.NEGOTIATE)
    form = OfferForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        raise DomainError(first, fields={k: list(v) for k, v in form.errors.items()})
    values = dict(form.cleaned_data)
    counter_id = values.pop("counter_to")
    counter = case.offers.filter(pk=counter_id).first() if counter_id else None
    negotiation.offer_make(case=case, actor=request.user, counter_to=counter, **values)
    messages.success(request, _("Your offer was sent."))


def _offer(case, offer_id: int) -> Offer:
    offer = case.offers.filter(pk=offer_id).first()
    if offer is None:
        raise NotFound(_("There is no such offer on this case."))
    return offer


@case_action
def offer_accept(request: HttpRequest, ref: str, offer_id: int) -> None:
    case = access_case(user=request.user, ref=ref, action=Action.NEGOTIATE)
    negotiation.offer_accept(offer=_offer(case, offer_id), actor=request.user)
    messages.success(request, _("You accepted the offer: the case is settled."))


@case_action
def offer_reject(request: HttpRequest, ref: str, offer_id: int) -> None:
    case = access_case(user=request.user, ref=ref, action=Action.NEGOTIATE)
    negotiation.offer_reject(
        offer=_offer(case, offer_id),
        actor=request.user,
        reason=request.POST.get("reason", "")[:4000],
    )
    messages.success(request, _("You declined the offer."))


@case_action
def message_post(request: HttpRequest, ref: str) -> None:
    case = access_case(user=request.user, ref=ref, action=Action.NEGOTIATE)
    form = MessageForm(request.POST)
    if not form.is_valid():
        raise DomainError(next(iter(form.errors.values()))[0])
    negotiation.message_post(
        case=case,
        actor=request.user,
        body=form.cleaned_data["body"],
        client_id=form.cleaned_data["client_id"],
    )


@case_action
def evidence_upload(request: HttpRequest, ref: str) -> None:
    case = access_case(user=request.user, ref=ref, action=Action.UPLOAD)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        raise DomainError(next(iter(form.errors.values()))[0])
    evidence_services.evidence_add(
        uploaded_by=request.user,
        upload=form.cleaned_data["file"],
        case=case,
        description=form.cleaned_data["description"],
    )
    messages.success(request, _("File added."))


@case_action
def transition(request: HttpRequest, ref: str, name: str) -> None:
    case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
    spec = SPECS.get(name)
    if spec is None:
        raise NotFound(_("Unknown action."))
    data = {f.name: request.POST.get(f.name, "") for f in spec.fields}
    case_transition(case=case, name=name, actor=request.user, data=data)
    messages.success(request, _("Done: %(action)s") % {"action": spec.label})


def wizard_url(draft_id: int, step: str) -> str:
    return reverse("cases:wizard", kwargs={"draft_id": draft_id, "step": step})
