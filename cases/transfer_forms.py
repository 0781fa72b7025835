"""The case page's transfer form (转办) and what the page shows of transfers.

The form parses what the officer chose; cases/services/transfers.py decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cases import selectors
from cases.forms import EMPTY_CHOICE
from cases.models import Case, CaseRole, State
from cases.services.transfers import (
    MAX_REASON_TEXT,
    transfer_destinations,
    transfer_rule,
)
from odr.divisions import division_full_name


def _english() -> bool:
    return (get_language() or "").startswith("en")


def office_choices(*, case: Case) -> list[tuple[str, str]]:
    """The offices a case may go to, named in the reader's language with their place."""
    english = _english()
    choices = []
    for office in transfer_destinations(case=case):
        place = division_full_name(office.division_code) or office.division_code
        name = office.name_in("en" if english else "zh-hans")
        choices.append((office.division_code, f"{name} ({place}, {office.division_code})"))
    return choices


class TransferForm(forms.Form):
    to_office = forms.ChoiceField(label=_("Competent office"))
    reason = forms.ChoiceField(label=_("Reason for the transfer"))
    reason_text = forms.CharField(
        label=_("Explanation (required for another reason)"),
        max_length=MAX_REASON_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_office"].choices = EMPTY_CHOICE + office_choices(case=case)
        rule = transfer_rule(case)
        english = _english()
        self.fields["reason"].choices = EMPTY_CHOICE + [
            (r.code, r.text_en if english else r.text_zh) for r in (rule.reasons if rule else ())
        ]


def transfer_context(case: Case, roles: set[str], bound: dict) -> dict:
    """The case's transfers for everyone on it (the parties are told of them anyway), the
    back-and-forth flag for staff, and the form for a regulator of the handling office
    while the acceptance decision is pending."""
    transfers = selectors.case_transfers(case=case)
    staff = bool(roles & selectors.STAFF_ROLES)
    may_transfer = (
        CaseRole.REGULATOR in roles and case.state == State.REVIEW and transfer_rule(case)
    )
    return {
        "transfers": transfers,
        "transfer_flagged": staff and any(t.back_and_forth for t in transfers),
        "transfer_form": (bound.get("transfer") or TransferForm(case=case, auto_id="transfer_%s"))
        if may_transfer
        else None,
        "transfer_rule": transfer_rule(case) if staff else None,
    }
