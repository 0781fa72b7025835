"""The case page's transfer (转办): a regulator of the handling office sends the case to the
competent office (cases/services/transfers.py).

After the transfer the sender may no longer see the case (a county office, say, that sent
it to another county): they go back to their queue, told where it went."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.models import case_roles
from cases.selectors import Action, access_case
from cases.services.transfers import case_transfer, office_name
from cases.transfer_forms import TransferForm
from cases.views import _detail_context, _is_htmx, _put_on_form, _refused
from odr.errors import Conflict, DomainError, NotAllowed, NotFound


def _show_again(request: HttpRequest, case, form: TransferForm, status: int) -> HttpResponse:
    context = _detail_context(request, case, {"transfer": form})
    if not _is_htmx(request):
        messages.error(request, _("Please correct what is marked below."))
    return render(
        request, "cases/detail.html", context, status=200 if _is_htmx(request) else status
    )


@login_required
@require_POST
def transfer(request: HttpRequest, ref: str) -> HttpResponse:
    try:
        case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
    except (NotFound, NotAllowed) as exc:
        return _refused(request, exc)
    form = TransferForm(request.POST, case=case, auto_id="transfer_%s")
    if not form.is_valid():
        return _show_again(request, case, form, 400)
    try:
        done = case_transfer(case=case, actor=request.user, **form.cleaned_data)
    except NotAllowed as exc:
        if exc.code == "not_your_case":
            return _refused(request, exc)
        messages.error(request, exc.message)
        return redirect(f"{reverse('cases:detail', kwargs={'ref': ref})}#transfer")
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('cases:detail', kwargs={'ref': ref})}#transfer")
    except DomainError as exc:
        _put_on_form(form, exc)
        return _show_again(request, case, form, exc.status)
    messages.success(
        request,
        _("Case %(ref)s was transferred to %(office)s, which is told at once.")
        % {"ref": ref, "office": office_name(done.to_office, request.LANGUAGE_CODE)},
    )
    case.refresh_from_db()
    if case_roles(case, request.user):
        return redirect(f"{reverse('cases:detail', kwargs={'ref': ref})}#transfer")
    return redirect("cases:review_queue")
