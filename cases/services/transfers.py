"""Transfers (转办): the office handling a complaint sends it to the competent office.

A complaint is handled by the county-level office where the merchant operates or is
domiciled, the platform's office for a platform, or a higher office that takes it over
(SAMR Order 20 art. 12; the rule set's ``transfer`` rule, cases/rulesets.py). An office
that finds the complaint is not its own transfers it while the acceptance decision is
pending, naming the competent office and a reason. The case keeps its reference, its
evidence and its log; only ``Case.office_code`` changes, and with it who may act
(``case_roles``: regulators whose jurisdiction covers the new office, ADR 0010).

The receiving office's acceptance limit counts from its receipt, which is the moment of
the transfer: the platform delivers the case into that office's queue. The clock
"acceptance_decision" names the step "transfer" both as one it cancels and one it starts,
so the sending office's clock ends (cancelled) and the receiving office's starts. A case
sent back to an office that had already sent it away, or transferred a third time, is
flagged (``CaseTransfer.back_and_forth``): on the case page, in the queue and in
supervision.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import RegulatorOffice
from cases.models import Case, CaseTransfer
from cases.rulesets import TransferRule, ruleset_by_key
from cases.services import clocks
from cases.services.actions import ACTIONS, case_locked, check_action, check_text
from cases.services.events import event_append
from odr.divisions import division_full_name, division_label
from odr.errors import Conflict, DomainError

ACTION = "transfer"
MAX_REASON_TEXT = 2000
# More transfers than this, and the case is flagged even without a return.
TRANSFERS_BEFORE_FLAG = 2


def transfer_rule(case: Case) -> TransferRule | None:
    return ruleset_by_key(case.ruleset).transfer


def office_name(code: str, language: str) -> str:
    """An office's name in ``language``: as on record, else from the division list as
    SAMR's offices are named (临沂市兰山区市场监督管理局)."""
    office = RegulatorOffice.objects.filter(division_code=code).first()
    if office is not None:
        return office.name_in(language)
    place = division_full_name(code) or division_label(code) or code
    if language.startswith("en"):
        return f"Market Regulation Office of {place}"
    return f"{place}市场监督管理局"


def transfer_destinations(*, case: Case) -> list[RegulatorOffice]:
    """The offices on the platform a case may be transferred to: every one but its own."""
    return list(RegulatorOffice.objects.exclude(division_code=case.office_code))


def is_back_and_forth(*, previous: list[CaseTransfer], to_office: str) -> bool:
    """Whether a transfer to ``to_office`` after ``previous`` goes back and forth: back to
    an office that already sent the case away, or beyond the second transfer."""
    if len(previous) + 1 > TRANSFERS_BEFORE_FLAG:
        return True
    return any(t.from_office == to_office for t in previous)


def _refuse(field: str, message: str) -> DomainError:
    return DomainError(message, fields={field: [message]}, code="invalid_transfer")


def case_transfer(
    *,
    case: Case,
    actor,
    to_office: str,
    reason: str,
    reason_text: str = "",
    at: dt.datetime | None = None,
) -> CaseTransfer:
    """Transfer the case to the office ``to_office`` (its division code) for ``reason``.

    Refused: not in review (409); not a regulator of the handling office (403); no such
    office on the platform, the same office, an unknown reason, or "other" without an
    explanation (400, naming the field).

    The actor's right is checked against the sending office; the clocks and the event are
    then moved with the case already at the receiving office, so that the restarted
    acceptance clock and its notices are the receiving office's. (``case_act`` would check
    the actor again after the move, where a county regulator no longer covers the case.)
    """
    spec = ACTIONS[ACTION]
    with transaction.atomic():
        case = case_locked(case)
        acting = check_action(case=case, name=ACTION, actor=actor)
        rule = transfer_rule(case)
        if rule is None:
            raise Conflict(_("This case's rules provide no transfer."), code="no_transfer")
        codes = [r.code for r in rule.reasons]
        if (reason or "") not in codes:
            raise _refuse("reason", _("Choose one of the listed values."))
        reason_text = check_text(
            reason_text, field="reason_text", limit=MAX_REASON_TEXT, required=reason == "other"
        )
        code = (to_office or "").strip()
        office = (
            RegulatorOffice.objects.filter(division_code=code).first()
            if len(code) == 6 and code.isdigit()
            else None
        )
        if office is None:
            raise _refuse(
                "to_office",
                _("There is no office %(code)s on the platform: choose one from the list.")
                % {"code": code[:12]},
            )
        if code == case.office_code:
            raise _refuse("to_office", _("The case is already with this office."))
        now = at or timezone.now()
        from_office = case.office_code
        previous = list(CaseTransfer.objects.filter(case=case).order_by("transferred_at", "id"))
        flagged = is_back_and_forth(previous=previous, to_office=code)
        transfer = CaseTransfer.objects.create(
            case=case,
            from_office=from_office,
            to_office=code,
            reason=reason,
            reason_text=reason_text,
            transferred_by=actor,
            transferred_at=now,
            back_and_forth=flagged,
        )
        Case.objects.filter(pk=case.pk).update(office_code=code)
        case.office_code = code
        moved = clocks.clocks_move(case=case, step=ACTION, at=now)
        found = rule.reason(reason)
        event = event_append(
            case=case,
            kind=spec.event_kind,
            actor=actor,
            actor_role=acting[0],
            payload={
                "action": ACTION,
                "at": now.isoformat(),
                "clocks": moved,
                "transfer": transfer.pk,
                "from_office": from_office,
                "from_office_zh": office_name(from_office, "zh-hans"),
                "from_office_en": office_name(from_office, "en"),
                "to_office": code,
                "to_office_zh": office_name(code, "zh-hans"),
                "to_office_en": office_name(code, "en"),
                "reason": reason,
                "reason_zh": found.text_zh,
                "reason_en": found.text_en,
                "reason_text": reason_text,
                "back_and_forth": flagged,
            },
            visibility=spec.visibility,
        )
        CaseTransfer.objects.filter(pk=transfer.pk).update(event=event)
        transfer.event = event
    return transfer
