"""Linking a complaint that named a merchant not on the platform to a merchant record."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Merchant
from cases.models import Case, CaseEvent, CaseRole, case_roles
from cases.services.events import event_append
from odr.errors import Conflict, NotAllowed


def case_link_merchant(*, case: Case, merchant: Merchant, actor) -> Case:
    """A regulator of the case's jurisdiction links the complaint to a merchant record."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        roles = case_roles(case, actor)
        if not roles & {CaseRole.REGULATOR, CaseRole.ADMIN}:
            raise NotAllowed(_("Only a regulator of this jurisdiction links merchants."))
        if case.is_terminal:
            raise Conflict(_("This case is closed."))
        if case.merchant_id == merchant.pk:
            return case
        previous = {"name": case.merchant_name, "division_code": case.division_code}
        Case.objects.filter(pk=case.pk).update(
            merchant=merchant,
            merchant_name=merchant.name,
            merchant_address=merchant.address,
            division_code=merchant.division_code,
        )
        case.refresh_from_db()
        event_append(
            case=case,
            kind="case.merchant_linked",
            actor=actor,
            actor_role=CaseRole.REGULATOR if CaseRole.REGULATOR in roles else CaseRole.ADMIN,
            payload={"merchant": merchant.uscc, "previous": previous},
            visibility=CaseEvent.Visibility.PARTIES,
        )
    return case
