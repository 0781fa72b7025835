"""Case pages: the complaint wizard, the case lists, the review queue and the case page.

Thin edges: a page gets its case through ``access_case`` and changes it through one
service. What a service refuses is shown to the user — next to the field it concerns, or
as a message on the case page — never as a server error. Someone who is not on the case
gets 403, an unknown reference 404. Every form is a plain POST that ends in a redirect
when it succeeds; htmx and static/js/cases.js only make some of them smoother.
"""

import datetime as dt
import functools
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Merchant, Role
from cases import next_step, selectors
from cases.apis import evidence_file_response
from cases.forms import (
    ConsentForm,
    EvidenceForm,
    FactsStepForm,
    MerchantStepForm,
    MessageForm,
    OfferForm,
    OfferRejectForm,
    RequestStepForm,
    transition_form,
)
from cases.models import (
    Case,
    CaseRole,
    ComplaintDraft,
    Deadline,
    Evidence,
    IdentityProof,
    Offer,
    State,
    case_roles,
)
from cases.procedure_forms import (
    IdentityProofForm,
    IdentityRequestForm,
    RecusalDecisionForm,
    RecusalRequestForm,
)
from cases.rulesets import ruleset_by_key
from cases.selectors import Action, access_case
from cases.services import evidence as evidence_services
from cases.services import identity as identity_services
from cases.services import negotiation
from cases.services import recusal as recusal_services
from cases.services.consents import QUESTIONS, consent_change, consent_changeable
from cases.services.intake import ComplaintData, case_submit, limitation_warning
from cases.services.transitions import (
    SPECS,
    case_transition,
    check_transition_door,
    transitions_available,
)
from cases.transfer_forms import transfer_context
from odr import submission
from odr.errors import Conflict, DomainError, NotAllowed, NotFound

PAGE_SIZE = 25
OFFER_DAYS_DEFAULT = 7

STEPS = ("merchant", "facts", "request", "evidence", "review")
STEP_LABELS = {
    "merchant": gettext_lazy("Merchant"),
    "facts": gettext_lazy("What happened"),
    "request": gettext_lazy("What you ask for"),
    "evidence": gettext_lazy("Evidence"),
    "review": gettext_lazy("Review and submit"),
}
STEP_FORMS: dict[str, type[forms.Form]] = {
    "merchant": MerchantStepForm,
    "facts": FactsStepForm,
    "request": RequestStepForm,
}
# Which step edits each field of a complaint: a refusal at submission links there.
FIELD_STEPS = {
    name: step for step, form_class in STEP_FORMS.items() for name in form_class.base_fields
}


# --- Refusals ----------------------------------------------------------------------------


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The 403 or 404 page, in the site's frame, with the service's reason."""
    return render(
        request,
        "cases/refused.html",
        {"message": exc.message, "status": exc.status},
        status=exc.status,
    )


def _refusals_as_pages(view):
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (NotFound, NotAllowed) as exc:
            return _refused(request, exc)

    return wrapper


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _check_consumer(user) -> None:
    if Role.Kind.CONSUMER not in user.role_kinds():
        raise NotAllowed(_("Only consumers file complaints."), code="not_a_consumer")


# --- Lists -------------------------------------------------------------------------------


def _with_running_deadlines(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Each case with ``running_deadlines`` (nearest first): the lists show the next one."""
    running = Deadline.objects.filter(status=Deadline.Status.RUNNING).order_by("due_at", "id")
    return cases.prefetch_related(
        Prefetch("deadlines", queryset=running, to_attr="running_deadlines")
    )


def case_rows(*, user) -> QuerySet[Case]:
    """The cases a user sees on the list page and their home page.

    Merchant staff work an inbox: the case whose answer is due first comes first.
    """
    cases = selectors.cases_visible_to(user=user)
    if Role.Kind.MERCHANT_STAFF in user.role_kinds():
        answer_due = Deadline.objects.filter(
            case=OuterRef("pk"), clock="negotiation_answer", status=Deadline.Status.RUNNING
        ).values("due_at")[:1]
        cases = cases.annotate(answer_due=Subquery(answer_due)).order_by(
            F("answer_due").asc(nulls_last=True), "-submitted_at", "-id"
        )
    else:
        cases = cases.order_by("-submitted_at", "-id")
    return _with_running_deadlines(cases)


def review_rows(*, user) -> QuerySet[Case]:
    """The regulator's queue, oldest first, with the acceptance deadline of each."""
    return _with_running_deadlines(selectors.review_queue(user=user))


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    cases = case_rows(user=request.user)
    state = request.GET.get("state", "")
    if state in State.values:
        cases = cases.filter(state=state)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    kinds = request.user.role_kinds()
    return render(
        request,
        "cases/list.html",
        {
            "page": page,
            "cases": page.object_list,
            "inbox": Role.Kind.MERCHANT_STAFF in kinds,
            "can_file": Role.Kind.CONSUMER in kinds,
            "only_consumer": kinds == {Role.Kind.CONSUMER},
            "state": state,
        },
    )


@login_required
@require_GET
@_refusals_as_pages
def review_queue(request: HttpRequest) -> HttpResponse:
    if Role.Kind.REGULATOR not in request.user.role_kinds():
        raise NotAllowed(_("The review queue is for regulators."))
    page = Paginator(review_rows(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    for case in page.object_list:
        # Computed from the case's own dates: no query (cases/limitation.py).
        case.limitation_passed = selectors.case_limitation(case=case).passed
    return render(request, "cases/review_queue.html", {"page": page, "cases": page.object_list})


# --- The complaint wizard ----------------------------------------------------------------


def _own_draft(request: HttpRequest, draft_id: int) -> ComplaintDraft:
    draft = ComplaintDraft.objects.filter(pk=draft_id, consumer=request.user).first()
    if draft is None:
        raise NotFound(_("Not found."))
    return draft


def _initial_data(user) -> dict:
    return {
        "complainant_name": user.display_name,
        "complainant_phone": user.phone or "",
    }


def _to_json(value):
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


def _draft_update(draft: ComplaintDraft, values: dict) -> None:
    """Merge values into the draft under its row lock: a save from another tab (or the
    autosave of a page being left) never undoes keys it did not send."""
    with transaction.atomic():
        locked = ComplaintDraft.objects.select_for_update().get(pk=draft.pk)
        locked.data = {**locked.data, **{k: _to_json(v) for k, v in values.items()}}
        locked.save(update_fields=["data", "updated_at"])
    draft.data = locked.data


def _wizard_redirect(draft: ComplaintDraft, step: str, query: str = "") -> HttpResponse:
    url = reverse("cases:wizard", kwargs={"draft_id": draft.pk, "step": step})
    return redirect(f"{url}{query}")


@login_required
@require_GET
@_refusals_as_pages
def complaint_start(request: HttpRequest) -> HttpResponse:
    """Continue the latest draft, or start one (``?new=1`` starts another)."""
    user = request.user
    _check_consumer(user)
    draft = ComplaintDraft.objects.filter(consumer=user).order_by("-updated_at", "-id").first()
    untouched = (
        draft is not None and draft.data == _initial_data(user) and not draft.evidence.exists()
    )
    if draft is None or (request.GET.get("new") and not untouched):
        draft = ComplaintDraft.objects.create(consumer=user, data=_initial_data(user))
    return _wizard_redirect(draft, "merchant")


def _chosen_merchant(data: dict) -> Merchant | None:
    pk = data.get("merchant")
    return Merchant.objects.filter(pk=pk).first() if isinstance(pk, int) else None


@login_required
@require_http_methods(["GET", "POST"])
@_refusals_as_pages
def complaint_wizard(request: HttpRequest, draft_id: int, step: str) -> HttpResponse:
    _check_consumer(request.user)
    if step not in STEPS:
        raise NotFound(_("Not found."))
    draft = _own_draft(request, draft_id)
    index = STEPS.index(step)
    context = {
        "draft": draft,
        "step": step,
        "step_label": STEP_LABELS[step],
        "steps": [(s, STEP_LABELS[s]) for s in STEPS],
        "step_index": index,
        "step_number": index + 1,
        "step_count": len(STEPS),
        "previous_step": STEPS[index - 1] if index else "",
    }
    if step in STEP_FORMS:
        return _form_step(request, draft, step, context)
    if step == "evidence":
        return _evidence_step(request, draft, context)
    return _review_step(request, draft, context)


def _form_step(request: HttpRequest, draft: ComplaintDraft, step: str, context: dict):
    form_class = STEP_FORMS[step]
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            _draft_update(draft, form.cleaned_data)
            return _wizard_redirect(draft, STEPS[STEPS.index(step) + 1])
        status = 400
    else:
        form = form_class(initial=draft.data)
    context["form"] = form
    if step == "merchant":
        q = request.GET.get("q", "").strip()[:200]
        chosen = _chosen_merchant(draft.data)
        context.update(
            q=q,
            results=_merchants(q),
            searched=bool(q),
            chosen=chosen,
            named_open=not chosen and (form.is_bound or bool(draft.data.get("merchant_name"))),
        )
    return render(request, "cases/wizard.html", context, status=status)


def _evidence_step(request: HttpRequest, draft: ComplaintDraft, context: dict):
    form = EvidenceForm(auto_id="evidence_%s")
    status = 200
    if request.method == "POST":
        form = EvidenceForm(request.POST, request.FILES, auto_id="evidence_%s")
        if form.is_valid():
            try:
                evidence_services.evidence_add(
                    uploaded_by=request.user,
                    upload=form.cleaned_data["file"],
                    draft=draft,
                    description=form.cleaned_data["description"],
                )
            except DomainError as exc:
                # The draft and the files already added are untouched.
                form.add_error("file", exc.message)
                status = exc.status
            else:
                messages.success(request, _("File added."))
                return _wizard_redirect(draft, "evidence")
        else:
            status = 400
    context["form"] = form
    context["files"] = list(Evidence.objects.filter(draft=draft))
    return render(request, "cases/wizard.html", context, status=status)


def _review_step(request: HttpRequest, draft: ComplaintDraft, context: dict):
    context["sections"] = _summary(draft)
    context["files"] = list(Evidence.objects.filter(draft=draft))
    context["limitation_warning"] = limitation_warning(
        _complaint_data(request, draft), today=timezone.localdate()
    )
    extras = submission.review_extras()
    posted = request.POST if request.method == "POST" else None
    context["review_extras"] = [
        {"template": e.template, "extra": e.context(posted, request.user)} for e in extras
    ]
    if request.method != "POST":
        return render(request, "cases/wizard.html", context)
    try:
        # What the extras were asked is checked first: a refusal files nothing.
        chosen = [(e, e.check(request.POST, request.user)) for e in extras]
        case = case_submit(consumer=request.user, data=_complaint_data(request, draft), draft=draft)
    except DomainError as exc:
        # Nothing is lost: the draft and its files stay as they were. The message cites
        # the rule once; each field says in plain words what to do.
        context["error"] = exc.message
        context["field_errors"] = [
            {
                "label": _field_label(name),
                "step": FIELD_STEPS.get(name, "merchant" if name == "merchant" else ""),
                "text": _field_error_text(_field_label(name), errors),
            }
            for name, errors in sorted(exc.fields.items(), key=lambda item: _field_order(item[0]))
        ]
        return render(request, "cases/wizard.html", context, status=exc.status)
    messages.success(request, _("Your complaint was filed as %(ref)s.") % {"ref": case.reference})
    for extra, values in chosen:
        if values is None:
            continue
        try:
            messages.success(request, extra.submitted(case=case, user=request.user, values=values))
        except DomainError as exc:  # the complaint stands; the user is told what did not
            messages.error(request, exc.message)
    return redirect("cases:detail", ref=case.reference)


def _field_order(name: str) -> tuple[int, int]:
    """Where a field is asked in the wizard: the review step lists refusals in that order."""
    step = FIELD_STEPS.get(name, "merchant" if name == "merchant" else "")
    if step not in STEP_FORMS:
        return (len(STEPS), 0)
    return (STEPS.index(step), list(STEP_FORMS[step].base_fields).index(name))


def _field_error_text(label: str, errors) -> str:
    """What the review step says about one field: its messages, after its name unless
    they name it already ("Please give your address", not "Your address: ...")."""
    text = " ".join(str(m) for m in errors)
    if label.casefold() in text.casefold():
        return text
    return _("%(label)s: %(message)s") % {"label": label, "message": text}


def _field_label(name: str) -> str:
    if name == "merchant":
        return str(STEP_LABELS["merchant"])
    for form_class in STEP_FORMS.values():
        if name in form_class.base_fields:
            return str(form_class.base_fields[name].label)
    return name


def _display(field: forms.Field, value) -> str:
    if isinstance(field, forms.BooleanField):
        yes, no, _maybe = _("yes,no,maybe").split(",")
        return yes if value else no
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, "")) if value else ""
    return "" if value is None else str(value)


def _summary(draft: ComplaintDraft) -> list[dict]:
    """The draft as the consumer will file it, by step, each with a link to change it."""
    data = draft.data
    chosen = _chosen_merchant(data)
    sections = []
    for step, form_class in STEP_FORMS.items():
        rows = []
        for name, field in form_class.base_fields.items():
            if name == "merchant":
                if chosen:
                    rows.append((STEP_LABELS["merchant"], f"{chosen.name} ({chosen.uscc})"))
                continue
            if step == "merchant" and chosen:
                continue
            rows.append((field.label, _display(field, data.get(name))))
        sections.append({"step": step, "title": STEP_LABELS[step], "rows": rows})
    return sections


def _day(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _amount(value) -> Decimal | None:
    try:
        return Decimal(value) if value not in (None, "") else None
    except (InvalidOperation, TypeError, ValueError):
        return None


def _complaint_data(request: HttpRequest, draft: ComplaintDraft) -> ComplaintData:
    data = draft.data

    def text(key: str) -> str:
        value = data.get(key)
        return value if isinstance(value, str) else ""

    return ComplaintData(
        complainant_name=text("complainant_name"),
        complainant_phone=text("complainant_phone"),
        complainant_address=text("complainant_address"),
        facts=text("facts"),
        request=text("request"),
        category=text("category"),
        knew_of_harm_on=_day(data.get("knew_of_harm_on")),
        claimed_from_merchant_on=_day(data.get("claimed_from_merchant_on")),
        merchant=_chosen_merchant(data),
        merchant_name=text("merchant_name"),
        merchant_address=text("merchant_address"),
        merchant_store_url=text("merchant_store_url"),
        merchant_division_code=text("merchant_division_code"),
        purchase_date=_day(data.get("purchase_date")),
        amount=_amount(data.get("amount")),
        order_number=text("order_number"),
        platform=text("platform"),
        agrees_to_publication=bool(data.get("agrees_to_publication")),
        agrees_to_delegated_mediation=bool(data.get("agrees_to_delegated_mediation")),
        language=request.LANGUAGE_CODE,
    )


@login_required
@require_POST
@_refusals_as_pages
def complaint_autosave(request: HttpRequest, draft_id: int, step: str) -> HttpResponse:
    """Keep what has been typed on a step left without "Next" (sent by static/js/cases.js).

    Values that do not parse are skipped, not refused: the step's own POST says what is
    wrong. A field the request does not carry keeps its saved value (a stale tab, an older
    page, a partial post), except a checkbox, which a browser leaves out when it is
    unticked. The chosen merchant changes only through its own button.
    """
    _check_consumer(request.user)
    if step not in STEP_FORMS:
        raise NotFound(_("Not found."))
    draft = _own_draft(request, draft_id)
    form = STEP_FORMS[step](request.POST)
    values = {}
    for name, field in form.fields.items():
        if name == "merchant":
            continue
        if field.widget.value_omitted_from_data(request.POST, request.FILES, name):
            continue
        raw = field.widget.value_from_datadict(request.POST, request.FILES, name)
        try:
            values[name] = field.clean(raw)
        except ValidationError:
            if raw in field.empty_values:
                values[name] = field.to_python(raw)
    _draft_update(draft, values)
    return HttpResponse(status=204)


@login_required
@require_POST
@_refusals_as_pages
def complaint_choose_merchant(request: HttpRequest, draft_id: int) -> HttpResponse:
    _check_consumer(request.user)
    draft = _own_draft(request, draft_id)
    raw = request.POST.get("merchant", "")
    merchant = Merchant.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    _draft_update(draft, {"merchant": merchant.pk if merchant else None})
    return _wizard_redirect(draft, "merchant")


@login_required
@require_POST
@_refusals_as_pages
def complaint_remove_file(request: HttpRequest, draft_id: int, evidence_id: int) -> HttpResponse:
    _check_consumer(request.user)
    draft = _own_draft(request, draft_id)
    evidence = Evidence.objects.filter(pk=evidence_id, draft=draft, case__isnull=True).first()
    if evidence is None:
        raise NotFound(_("There is no such file on this case."))
    evidence_services.evidence_remove_from_draft(evidence=evidence, actor=request.user)
    return _wizard_redirect(draft, "evidence")


def _merchants(q: str) -> list[Merchant]:
    if not q:
        return []
    today = timezone.localdate()
    results = list(selectors.merchant_search(q=q))
    for merchant in results:
        merchant.enrolled = merchant.odr_enrolled_on(today)
    return results


@login_required
@require_GET
def merchant_search(request: HttpRequest) -> HttpResponse:
    """The wizard's search box: a fragment for htmx, a page of its own otherwise."""
    q = request.GET.get("q", "").strip()[:200]
    draft_id = request.GET.get("draft", "")
    draft = (
        ComplaintDraft.objects.filter(pk=int(draft_id), consumer=request.user).first()
        if draft_id.isdigit()
        else None
    )
    context = {
        "q": q,
        "results": _merchants(q),
        "searched": bool(q),
        "draft": draft,
    }
    template = "cases/_merchant_results.html" if _is_htmx(request) else "cases/merchant_search.html"
    return render(request, template, context)


# --- The case page -----------------------------------------------------------------------


def _side(roles: set[str]) -> str:
    if CaseRole.CONSUMER in roles:
        return Offer.Side.CONSUMER
    if CaseRole.MERCHANT in roles:
        return Offer.Side.MERCHANT
    return ""


def _offer_initial(counter: Offer | None = None) -> dict:
    initial = {
        "valid_until": timezone.localdate() + dt.timedelta(days=OFFER_DAYS_DEFAULT),
        "performance_days": 7,
    }
    if counter is not None:
        initial.update(counter_to=counter.pk, kind=counter.kind)
    return initial


def _detail_context(request: HttpRequest, case: Case, bound: dict | None = None) -> dict:
    """Everything the case page shows; ``bound`` holds forms to show again with errors."""
    bound = bound or {}
    user = request.user
    roles = case_roles(case, user)
    side = _side(roles)
    negotiating = case.state == State.NEGOTIATION and bool(side)
    today = timezone.localdate()
    # An offer still open when the case has left negotiation can no longer be answered.
    moved_on = case.state not in (State.SUBMITTED, State.NEGOTIATION)
    offer_rows = []
    for offer in selectors.case_offers(case=case):
        is_open = offer.status == Offer.Status.OPEN
        lapsed = is_open and (offer.valid_until < today or moved_on)
        row = {
            "offer": offer,
            "lapsed": lapsed,
            "superseded": is_open and moved_on and offer.valid_until >= today,
            "mine": offer.side == side,
            "decidable": negotiating
            and offer.status == Offer.Status.OPEN
            and offer.side != side
            and not lapsed,
        }
        if row["decidable"]:
            key = offer.pk
            row["reject_form"] = bound.get(f"reject-{key}") or OfferRejectForm(
                auto_id=f"reject-{key}-%s"
            )
            row["counter_form"] = bound.get(f"counter-{key}") or OfferForm(
                initial=_offer_initial(offer), auto_id=f"counter-{key}-%s"
            )
            row["reject_open"] = f"reject-{key}" in bound
            row["counter_open"] = f"counter-{key}" in bound
        offer_rows.append(row)
    not_offered = next_step.NOT_OFFERED.get(case.state, ())
    actions = [
        {
            "spec": spec,
            "form": bound.get(f"transition-{spec.name}") or transition_form(case, spec),
            "open": f"transition-{spec.name}" in bound,
            "confirm": next_step.IRREVERSIBLE.get(spec.name, ""),
        }
        for spec in transitions_available(case=case, actor=user)
        if spec.name not in not_offered
    ]
    deadlines = _deadline_context(case, roles)
    return {
        **_consent_context(case, roles, bound),
        "limitation": selectors.case_limitation(case=case)
        if roles & selectors.STAFF_ROLES
        else None,
        "case": case,
        "roles": roles,
        "side": side,
        "negotiating": negotiating,
        **deadlines,
        "next": next_step.next_step(
            case=case,
            roles=roles,
            running=deadlines["running_deadlines"],
            actions=actions,
            offer_rows=offer_rows,
            user=user,
        ),
        "decline_confirm": next_step.DECLINE_CONFIRM,
        "events": list(selectors.case_timeline(case=case, user=user)),
        "offer_rows": offer_rows,
        "offer_form": bound.get("offer") or OfferForm(initial=_offer_initial(), auto_id="offer_%s"),
        # Open for a merchant who has not answered yet; behind one tap for everyone else.
        "offer_form_open": "offer" in bound
        or (
            side == Offer.Side.MERCHANT
            and not any(r["decidable"] for r in offer_rows)
            and not any(r["mine"] and r["offer"].status == Offer.Status.OPEN for r in offer_rows)
        ),
        "can_message": bool(side) and case.state in (State.SUBMITTED, State.NEGOTIATION),
        "messages_list": list(
            selectors.case_messages(case=case, room=negotiation.NEGOTIATION_ROOM)
        ),
        "message_form": bound.get("message")
        or MessageForm(initial={"client_id": MessageForm.new_client_id()}, auto_id="message_%s"),
        "evidence": list(case.evidence.select_related("uploaded_by")),
        "can_upload": bool(roles & selectors.ACTION_ROLES[Action.UPLOAD]) and not case.is_terminal,
        "evidence_form": bound.get("evidence") or EvidenceForm(auto_id="evidence_%s"),
        "actions": actions,
        **_procedure_context(case, user, roles, bound),
        **transfer_context(case, roles, bound),
    }


def _consent_context(case: Case, roles: set[str], bound: dict) -> dict:
    """The registration's two answers: the consumer sees and (while open) changes them,
    staff see them with their history; the merchant sees neither."""
    if not roles & selectors.ACTION_ROLES[Action.CONSENTS]:
        return {"consents": None}
    changeable = CaseRole.CONSUMER in roles and consent_changeable(case)
    rows = []
    for key, question in QUESTIONS.items():
        row = {"key": key, "question": question, "answer": getattr(case, question.field)}
        if changeable:
            row["form"] = bound.get(f"consent-{key}") or ConsentForm(
                initial={"question": key, "answer": "yes" if row["answer"] else "no"},
                auto_id=f"consent-{key}-%s",
            )
        rows.append(row)
    return {
        "consents": rows,
        "consents_changeable": changeable,
        "consent_history": selectors.case_consents(case=case)
        if roles & selectors.STAFF_ROLES
        else [],
    }


def _deadline_context(case: Case, roles: set[str]) -> dict:
    rows = selectors.deadline_rows(
        deadlines=list(selectors.case_deadlines(case=case)),
        staff=bool(roles & selectors.STAFF_ROLES),
    )
    running = [r for r in rows if r.deadline.status == Deadline.Status.RUNNING]
    return {
        "running_deadlines": running,
        "ended_deadlines": [r for r in rows if r.deadline.status != Deadline.Status.RUNNING],
    }


@login_required
@require_GET
@_refusals_as_pages
def case_deadlines(request: HttpRequest, ref: str) -> HttpResponse:
    """The case page's deadlines, for its refresh every minute."""
    case = access_case(user=request.user, ref=ref, action=Action.VIEW)
    context = {"case": case, **_deadline_context(case, case_roles(case, request.user))}
    return render(request, "cases/_deadlines.html", context)


@login_required
@require_GET
@_refusals_as_pages
def case_detail(request: HttpRequest, ref: str) -> HttpResponse:
    case = access_case(user=request.user, ref=ref, action=Action.VIEW)
    return render(request, "cases/detail.html", _detail_context(request, case))


@login_required
@require_GET
@_refusals_as_pages
def evidence_download(request: HttpRequest, ref: str, evidence_id: int) -> HttpResponse:
    case = access_case(user=request.user, ref=ref, action=Action.VIEW)
    return evidence_file_response(case, evidence_id)


class _ShowAgain(Exception):
    """A form to show again with its errors: the case page re-rendered, not redirected."""

    def __init__(self, case: Case, key: str, form: forms.Form, status: int = 400):
        super().__init__(key)
        self.case, self.key, self.form, self.status = case, key, form, status


def _put_on_form(form: forms.Form, exc: DomainError, *, default_field: str | None = None):
    """A service's refusal on the form: each message next to its field, or above the form."""
    placed = False
    for name, errors in exc.fields.items():
        target = name if name in form.fields else None
        for error in errors:
            form.add_error(target, str(error))
            placed = True
    if not placed or exc.message not in [str(e) for errs in exc.fields.values() for e in errs]:
        form.add_error(default_field if default_field in form.fields else None, exc.message)


def case_post(anchor: str):
    """A POST on the case page: 404 or 403 for those not on the case, else redirect back.

    The handler returns the success message. A refused form comes back with its errors
    (``_ShowAgain``); any other refusal of the service is a message on the case page.
    """

    def decorate(handler):
        @functools.wraps(handler)
        @login_required
        @require_POST
        def view(request: HttpRequest, ref: str, *args, **kwargs) -> HttpResponse:
            try:
                success = handler(request, ref, *args, **kwargs)
            except _ShowAgain as again:
                context = _detail_context(request, again.case, {again.key: again.form})
                # htmx swaps only successful answers; it shows the errors all the same.
                status = 200 if _is_htmx(request) else again.status
                if not _is_htmx(request):
                    messages.error(request, _("Please correct what is marked below."))
                return render(request, "cases/detail.html", context, status=status)
            except NotFound as exc:
                return _refused(request, exc)
            except NotAllowed as exc:
                if exc.code == "not_your_case":
                    return _refused(request, exc)
                messages.error(request, exc.message)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                if success:
                    messages.success(request, success)
            return redirect(f"{reverse('cases:detail', kwargs={'ref': ref})}#{anchor}")

        return view

    return decorate


def _offer_of(case: Case, offer_id: int) -> Offer:
    offer = case.offers.filter(pk=offer_id).first()
    if offer is None:
        raise NotFound(_("There is no such offer on this case."))
    return offer


@case_post("offers")
def offer_make(request: HttpRequest, ref: str) -> str:
    case = access_case(user=request.user, ref=ref, action=Action.NEGOTIATE)
    counter_raw = request.POST.get("counter_to", "")
    key = f"counter-{counter_raw}" if counter_raw.isdigit() else "offer"
    auto_id = f"{key}-%s" if counter_raw.isdigit() else "offer_%s"
    form = OfferForm(request.POST, auto_id=auto_id)
    if not form.is_valid():
        raise _ShowAgain(case, key, form)
    values = dict(form.cleaned_data)
    counter_id = values.pop("counter_to")
    counter = _offer_of(case, counter_id) if counter_id else None
    try:
        negotiation.offer_make(case=case, actor=request.user, counter_to=counter, **values)
    except DomainError as exc:
        if not exc.fields:
            raise
        _put_on_form(form, exc)
        raise _ShowAgain(case, key, form, exc.status) from exc
    return _("Your offer was sent.")


@case_post("offers")
def offer_accept(request: HttpRequest, ref: str, offer_id: int) -> str:
    case = access_case(user=request.user, ref=ref, action=Action.NEGOTIATE)
    negotiation.offer_accept(offer=_offer_of(case, offer_id), actor=request.user)
    return _("You accepted the offer: the case is settled.")


@case_post("offers")
def offer_reject(request: HttpRequest, ref: str, offer_id: int) -> str:
    case = access_case(user=request.user, ref=ref, action=Action.NEGOTIATE)
    offer = _offer_of(case, offer_id)
    form = OfferRejectForm(request.POST, auto_id=f"reject-{offer.pk}-%s")
    if not form.is_valid():
        raise _ShowAgain(case, f"reject-{offer.pk}", form)
    negotiation.offer_reject(offer=offer, actor=request.user, reason=form.cleaned_data["reason"])
    return _("You declined the offer.")


@case_post("messages")
def message_post(request: HttpRequest, ref: str) -> str:
    case = access_case(user=request.user, ref=ref, action=Action.NEGOTIATE)
    form = MessageForm(request.POST, auto_id="message_%s")
    if not form.is_valid():
        raise _ShowAgain(case, "message", form)
    try:
        negotiation.message_post(
            case=case,
            actor=request.user,
            body=form.cleaned_data["body"],
            client_id=form.cleaned_data["client_id"],
        )
    except DomainError as exc:
        if isinstance(exc, NotAllowed):
            raise
        # Next to the message box, so that htmx (which swaps only this section) shows it.
        form.add_error("body", exc.message)
        raise _ShowAgain(case, "message", form, exc.status) from exc
    return ""


@case_post("evidence")
def evidence_upload(request: HttpRequest, ref: str) -> str:
    case = access_case(user=request.user, ref=ref, action=Action.UPLOAD)
    form = EvidenceForm(request.POST, request.FILES, auto_id="evidence_%s")
    if not form.is_valid():
        raise _ShowAgain(case, "evidence", form)
    try:
        evidence_services.evidence_add(
            uploaded_by=request.user,
            upload=form.cleaned_data["file"],
            case=case,
            description=form.cleaned_data["description"],
        )
    except DomainError as exc:
        if isinstance(exc, NotAllowed | Conflict):
            raise
        form.add_error("file", exc.message)
        raise _ShowAgain(case, "evidence", form, exc.status) from exc
    return _("File added.")


@case_post("consents")
def consent_update(request: HttpRequest, ref: str) -> str:
    case = access_case(user=request.user, ref=ref, action=Action.CONSENTS)
    question = request.POST.get("question", "")
    form = ConsentForm(request.POST, auto_id=f"consent-{question[:30]}-%s")
    if not form.is_valid():
        if question not in QUESTIONS:
            raise DomainError(_("Choose one of the two questions."), code="unknown_question")
        raise _ShowAgain(case, f"consent-{question}", form)
    consent_change(
        case=case,
        actor=request.user,
        question=form.cleaned_data["question"],
        answer=form.cleaned_data["answer"],
        language=request.LANGUAGE_CODE,
    )
    return _("Your answer is saved.")


@case_post("actions")
def transition(request: HttpRequest, ref: str, name: str) -> str:
    case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
    spec = SPECS.get(name)
    if spec is None:
        raise DomainError(_("Unknown action “%(name)s”.") % {"name": name[:40]})
    check_transition_door(name=name)
    if name not in {s.name for s in transitions_available(case=case, actor=request.user)}:
        # Not open to this user now: the service says why (409, 403, or use the offers).
        case_transition(case=case, name=name, actor=request.user, data={})
        return _("Done: %(action)s") % {"action": spec.label}
    form = transition_form(case, spec, request.POST)
    key = f"transition-{name}"
    if not form.is_valid():
        raise _ShowAgain(case, key, form)
    data = {
        field: (value.isoformat() if isinstance(value, dt.date) else str(value))
        for field, value in form.cleaned_data.items()
        if value not in (None, "")
    }
    try:
        case_transition(case=case, name=name, actor=request.user, data=data)
    except DomainError as exc:
        if isinstance(exc, NotAllowed) or not exc.fields:
            raise
        _put_on_form(form, exc)
        raise _ShowAgain(case, key, form, exc.status) from exc
    return _("Done: %(action)s") % {"action": spec.label}


# --- Proof of identity (SAMR form 4) and recusal of the mediator (form 7) ----------------


def _procedure_context(case: Case, user, roles: set[str], bound: dict) -> dict:
    """What the case page shows of proof of identity and of recusal, to whom: the asked
    complainant their request and the upload; staff the requests and the proofs (never the
    merchant); the parties the recusal button while the window is open; the office the
    pending request and its decision."""
    staff = bool(roles & selectors.STAFF_ROLES)
    regulator = CaseRole.REGULATOR in roles
    open_request = identity_services.identity_open_request(case=case)
    rules = ruleset_by_key(case.ruleset)
    pending = recusal_services.recusal_pending(case=case)
    window = recusal_services.recusal_may_ask(case=case, user=user)
    return {
        "identity_open": open_request if (staff or CaseRole.CONSUMER in roles) else None,
        "identity_upload_form": (
            bound.get("identity_proof") or IdentityProofForm(auto_id="identity_proof_%s")
        )
        if open_request is not None and CaseRole.CONSUMER in roles
        else None,
        "identity_history": identity_services.identity_requests(case=case) if staff else [],
        "identity_request_form": (
            bound.get("identity_request") or IdentityRequestForm(auto_id="identity_request_%s")
        )
        if regulator
        and open_request is None
        and case.state in (State.REVIEW, State.MEDIATION)
        and identity_services.CLOCK in rules.clocks
        else None,
        "identity_consequence": identity_services.identity_consequence(case=case)
        if staff
        else None,
        "recusal_window": window,
        "recusal_form": (
            bound.get("recusal") or RecusalRequestForm(case=case, auto_id="recusal_%s")
        )
        if window is not None
        else None,
        "recusal_pending": pending if (staff or _side(roles)) else None,
        "recusal_decision_form": (
            bound.get("recusal_decision")
            or RecusalDecisionForm(case=case, auto_id="recusal_decision_%s")
        )
        if pending is not None and regulator and pending.mediator_id != user.pk
        else None,
        "recusal_history": list(case.recusal_requests.select_related("mediator", "new_mediator"))
        if (staff or _side(roles))
        else [],
    }


@case_post("identity")
def identity_request(request: HttpRequest, ref: str) -> str:
    case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
    form = IdentityRequestForm(request.POST, auto_id="identity_request_%s")
    if not form.is_valid():
        raise _ShowAgain(case, "identity_request", form)
    try:
        asked = identity_services.identity_request(
            case=case, actor=request.user, materials=form.cleaned_data["materials"]
        )
    except DomainError as exc:
        if isinstance(exc, NotAllowed | Conflict) or not exc.fields:
            raise
        _put_on_form(form, exc)
        raise _ShowAgain(case, "identity_request", form, exc.status) from exc
    return _("The complainant is asked for proof of identity by %(day)s.") % {
        "day": asked.due_on.isoformat()
    }


@case_post("identity")
def identity_upload(request: HttpRequest, ref: str) -> str:
    case = access_case(user=request.user, ref=ref, action=Action.UPLOAD)
    form = IdentityProofForm(request.POST, request.FILES, auto_id="identity_proof_%s")
    if not form.is_valid():
        raise _ShowAgain(case, "identity_proof", form)
    try:
        identity_services.identity_provide(
            case=case, actor=request.user, uploads=[form.cleaned_data["file"]]
        )
    except DomainError as exc:
        if isinstance(exc, NotAllowed | Conflict):
            raise
        form.add_error("file", exc.message)
        raise _ShowAgain(case, "identity_proof", form, exc.status) from exc
    return _("Your proof of identity was sent to the office. Only the office sees it.")


@login_required
@require_GET
@_refusals_as_pages
def identity_proof_download(request: HttpRequest, ref: str, proof_id: int) -> HttpResponse:
    """A proof of identity, for the staff of the case only (never the merchant)."""
    from django.http import FileResponse

    case = access_case(user=request.user, ref=ref, action=Action.VIEW)
    if not case_roles(case, request.user) & selectors.STAFF_ROLES:
        raise NotAllowed(_("Only the office and the mediator see proof of identity."))
    proof = IdentityProof.objects.filter(request__case=case, pk=proof_id).first()
    if proof is None:
        raise NotFound(_("There is no such file on this case."))
    response = FileResponse(proof.file.open("rb"), as_attachment=True)
    response["Content-Disposition"] = f'attachment; filename="identity-{proof.pk}{proof.extension}"'
    response["Cache-Control"] = "private, no-store"
    return response


@case_post("recusal")
def recusal_request(request: HttpRequest, ref: str) -> str:
    case = access_case(user=request.user, ref=ref, action=Action.NEGOTIATE)
    form = RecusalRequestForm(request.POST, case=case, auto_id="recusal_%s")
    if not form.is_valid():
        raise _ShowAgain(case, "recusal", form)
    try:
        recusal_services.recusal_request(case=case, actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        if isinstance(exc, NotAllowed | Conflict) or not exc.fields:
            raise
        _put_on_form(form, exc)
        raise _ShowAgain(case, "recusal", form, exc.status) from exc
    return _("Your request was sent to the office, which decides. You will be told.")


@case_post("recusal")
def recusal_decide(request: HttpRequest, ref: str) -> str:
    case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
    form = RecusalDecisionForm(request.POST, case=case, auto_id="recusal_decision_%s")
    if not form.is_valid():
        raise _ShowAgain(case, "recusal_decision", form)
    grant = form.cleaned_data["decision"] == "grant"
    try:
        recusal_services.recusal_decide(
            case=case,
            actor=request.user,
            grant=grant,
            reasons=form.cleaned_data["reasons"],
            new_mediator=form.cleaned_data["new_mediator"],
        )
    except DomainError as exc:
        if isinstance(exc, NotAllowed | Conflict) or not exc.fields:
            raise
        _put_on_form(form, exc)
        raise _ShowAgain(case, "recusal_decision", form, exc.status) from exc
    if grant:
        return _(
            "Recusal granted: the new mediator takes over and a new mediation notice is issued."
        )
    return _("Recusal refused: the parties and the mediator are told your reasons.")
