"""Pages of group complaints: the office makes and runs a group, the merchant answers it,
the mediator proposes and records its terms, the members follow, nominate, accept or
object. Every view parses, calls one service or selector, and renders."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Merchant, Role
from cases.models import CaseRole
from groups import selectors
from groups.models import AgreementShare, CaseGroup, GroupAgreement
from groups.selectors import GroupAction, access_group
from groups.services import agreement as agreements
from groups.services import mediation, membership
from odr.errors import DomainError, NotAllowed, NotFound

MAX_INT = 2**31 - 1


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
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


def _int(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_INT else None


def _ints(values) -> list[int]:
    return [n for n in (_int(v) for v in values) if n is not None]


def _check_regulator(user) -> None:
    if not user.has_role(Role.Kind.REGULATOR) and not user.has_role(Role.Kind.ADMINISTRATOR):
        raise NotAllowed(_("Only the office makes a group complaint."), code="not_a_regulator")


@login_required
@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    groups = selectors.groups_visible_to(user=request.user)
    return render(
        request,
        "groups/list.html",
        {"groups": groups, "regulator": request.user.has_role(Role.Kind.REGULATOR)},
    )


def _merchant_choices(user) -> list[dict]:
    """The merchants with at least two cases the regulator could group."""
    from cases.selectors import cases_visible_to
    from groups.models import GroupMembership

    in_group = GroupMembership.objects.filter(left_at__isnull=True).values("case_id")
    rows = (
        cases_visible_to(user=user)
        .filter(merchant__isnull=False, state__in=selectors.GROUPABLE_STATES)
        .exclude(pk__in=in_group)
        .values("merchant_id", "merchant__name")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .order_by("-n")[:30]
    )
    return [{"pk": r["merchant_id"], "name": r["merchant__name"], "count": r["n"]} for r in rows]


@login_required
@require_http_methods(["GET", "POST"])
@_refusals_as_pages
def group_new(request: HttpRequest) -> HttpResponse:
    _check_regulator(request.user)
    source = request.POST if request.method == "POST" else request.GET
    merchant = Merchant.objects.filter(pk=_int(source.get("merchant"))).first()
    context = {
        "merchants": _merchant_choices(request.user),
        "merchant": merchant,
        "cases": list(selectors.groupable_cases(user=request.user, merchant_id=merchant.pk))
        if merchant
        else [],
        "chosen": set(_ints(source.getlist("cases"))),
        "title": (source.get("title") or "")[:200],
        "max_representatives": source.get("max_representatives") or "2",
        "error": "",
    }
    if request.method != "POST":
        return render(request, "groups/new.html", context)
    if merchant is None:
        context["error"] = _("Choose the merchant first.")
        return render(request, "groups/new.html", context, status=400)
    try:
        group = membership.group_create(
            actor=request.user,
            merchant=merchant,
            title=request.POST.get("title", ""),
            case_ids=_ints(request.POST.getlist("cases")),
            max_representatives=_int(request.POST.get("max_representatives")) or 0,
        )
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "groups/new.html", context, status=exc.status)
    messages.success(request, _("Group complaint %(ref)s was made.") % {"ref": group.reference})
    return redirect("groups:detail", ref=group.reference)


def _detail_context(request: HttpRequest, group: CaseGroup, roles: set[str]) -> dict:
    user = request.user
    office = bool(roles & {CaseRole.REGULATOR, CaseRole.ADMIN})
    staff = office or CaseRole.MEDIATOR in roles
    mine = selectors.membership_of(group, user)
    members = selectors.group_members(group=group)
    agreement = selectors.current_agreement(group=group)
    shares = {}
    if agreement is not None:
        shares = {s.membership_id: s for s in agreement.shares.all()}
    counts = selectors.nomination_counts(group=group)
    rows = []
    for m in members:
        rows.append(
            {
                "m": m,
                # Members and the merchant see a member's number and state, never their
                # name, phone or address; staff see the case itself.
                "case": m.case if staff else None,
                "state": m.case.get_state_display(),
                "nominations": counts.get(m.pk, 0),
                "share": shares.get(m.pk),
                "mine": mine is not None and mine.pk == m.pk,
            }
        )
    my_share = shares.get(mine.pk) if mine else None
    return {
        "group": group,
        "roles": roles,
        "office": office,
        "staff": staff,
        "mine": mine,
        "rows": rows,
        "former": selectors.group_former_members(group=group) if staff else [],
        "agreement": agreement,
        "proposed": agreement is not None and agreement.status == GroupAgreement.Status.PROPOSED,
        "my_share": my_share,
        "can_accept_terms": my_share is not None
        and my_share.status == AgreementShare.Status.PENDING
        and agreement.status == GroupAgreement.Status.PROPOSED,
        "messages_list": list(selectors.group_messages(group=group)),
        "can_speak": group.status == CaseGroup.Status.OPEN
        and (bool(roles - {CaseRole.CONSUMER}) or (mine is not None and mine.is_representative)),
        "evidence": selectors.group_evidence(group=group),
        "addable": list(selectors.groupable_cases(user=user, merchant_id=group.merchant_id))
        if office and group.status == CaseGroup.Status.OPEN
        else [],
        "mediators": mediation.group_mediator_choices(group=group) if office else [],
        "can_answer": CaseRole.MERCHANT in roles and group.answered_at is None,
        "mediating": CaseRole.MEDIATOR in roles and group.status == CaseGroup.Status.OPEN,
        "open": group.status == CaseGroup.Status.OPEN,
    }


@login_required
@require_GET
@_refusals_as_pages
def group_detail(request: HttpRequest, ref: str) -> HttpResponse:
    group, roles = access_group(user=request.user, ref=ref)
    return render(request, "groups/detail.html", _detail_context(request, group, roles))


def _add(request, group, roles):
    added = membership.group_members_add(
        group=group, actor=request.user, case_ids=_ints(request.POST.getlist("cases"))
    )
    return _("%(n)d cases added to the group.") % {"n": len(added)}


def _remove(request, group, roles):
    number = _int(request.POST.get("member"))
    if number is None:
        raise DomainError(_("There is no such member in this group."), code="unknown_member")
    membership.group_member_remove(
        group=group, actor=request.user, number=number, reason=request.POST.get("reason", "")
    )
    return _("Member %(n)d was taken out of the group; the case goes on alone.") % {"n": number}


def _representatives(request, group, roles):
    chosen = membership.group_representatives_confirm(
        group=group, actor=request.user, numbers=_ints(request.POST.getlist("representatives"))
    )
    return _("Representatives confirmed: members %(numbers)s.") % {
        "numbers": ", ".join(str(n) for n in chosen)
    }


def _accept(request, group, roles):
    accepted = mediation.group_mediation_start(
        group=group, actor=request.user, mediator_id=str(_int(request.POST.get("mediator")) or "")
    )
    return _("%(n)d cases accepted for the group's mediation.") % {"n": len(accepted)}


def _answer(request, group, roles):
    mediation.group_answer(group=group, actor=request.user, body=request.POST.get("body", ""))
    return _("Your answer was sent to every member of the group.")


def _message(request, group, roles):
    mediation.group_message_post(group=group, actor=request.user, body=request.POST.get("body", ""))
    return ""


def _evidence(request, group, roles):
    upload = request.FILES.get("file")
    if upload is None:
        message = _("Choose a file to upload.")
        raise DomainError(message, fields={"file": [message]})
    mediation.group_evidence_add(
        group=group,
        actor=request.user,
        upload=upload,
        description=request.POST.get("description", ""),
    )
    return _("File added: every member's case shows it.")


def _terms(request, group, roles):
    amounts = {}
    for key, value in request.POST.items():
        if key.startswith("amount-"):
            number = _int(key.removeprefix("amount-"))
            if number is not None:
                amounts[number] = agreements.parse_amount(value, field=key)
    agreements.group_terms_propose(
        group=group,
        actor=request.user,
        description=request.POST.get("description", ""),
        performance_due_on=request.POST.get("performance_due_on", ""),
        amounts=amounts,
    )
    return _("The terms were put to the members.")


def _terms_accept(request, group, roles):
    agreements.group_terms_accept(group=group, actor=request.user)
    return _("You accepted the group's terms for your case.")


def _record(request, group, roles):
    agreements.group_agreement_record(group=group, actor=request.user)
    return _(
        "The group's agreement was recorded: each accepting member's case gets its own agreement."
    )


def _nominate(request, group, roles):
    number = _int(request.POST.get("nominee"))
    if number is None:
        message = _("Choose a member of the group.")
        raise DomainError(message, fields={"nominee": [message]})
    membership.group_nominate(group=group, actor=request.user, nominee_number=number)
    return _("Your nomination was recorded.")


def _leave(request, group, roles):
    membership.group_leave(group=group, actor=request.user, reason=request.POST.get("reason", ""))
    return _("You left the group. Your complaint goes on as your own case.")


def _close(request, group, roles):
    membership.group_close(group=group, actor=request.user)
    return _("The group was closed; its cases go on alone.")


ACTS = {
    "add": (GroupAction.MANAGE, _add),
    "remove": (GroupAction.MANAGE, _remove),
    "representatives": (GroupAction.MANAGE, _representatives),
    "accept": (GroupAction.MANAGE, _accept),
    "close": (GroupAction.MANAGE, _close),
    "answer": (GroupAction.ANSWER, _answer),
    "message": (GroupAction.SPEAK, _message),
    "evidence": (GroupAction.UPLOAD, _evidence),
    "terms": (GroupAction.MEDIATE, _terms),
    "record": (GroupAction.MEDIATE, _record),
    "terms_accept": (GroupAction.MEMBER, _terms_accept),
    "nominate": (GroupAction.MEMBER, _nominate),
    "leave": (GroupAction.MEMBER, _leave),
}


@login_required
@require_POST
@_refusals_as_pages
def group_act(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    if action not in ACTS:
        raise NotFound(_("There is no such action on a group complaint."))
    needed, handler = ACTS[action]
    group, roles = access_group(user=request.user, ref=ref, action=needed)
    try:
        success = handler(request, group, roles)
    except NotAllowed as exc:
        if exc.code == "not_your_group":
            raise
        messages.error(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if success:
            messages.success(request, success)
    if action == "leave":
        case = selectors.former_case_of(group=group, user=request.user)
        if case is not None:
            return redirect("cases:detail", ref=case.reference)
    return redirect(f"{reverse('groups:detail', kwargs={'ref': ref})}#{action}")


@login_required
@require_GET
@_refusals_as_pages
def group_evidence_file(request: HttpRequest, ref: str, evidence_id: int) -> HttpResponse:
    group, _roles = access_group(user=request.user, ref=ref)
    return evidence_response(group, evidence_id)


def evidence_response(group: CaseGroup, evidence_id: int) -> FileResponse:
    evidence = group.evidence.filter(pk=evidence_id).first()
    if evidence is None:
        raise NotFound(_("There is no such file in this group."))
    name = f"{group.reference}-{evidence.pk}{evidence.extension}"
    response = FileResponse(evidence.file.open("rb"), as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
