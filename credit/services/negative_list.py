"""The negative list: a merchant at grade D or with repeated breaches goes on it only when a
regulator of its jurisdiction confirms, with a reason and a date to review it; it comes off
when a regulator removes it, again with a reason. Nothing is listed automatically."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Merchant
from cases.models import Case
from credit.deidentify import scrub_text
from credit.models import NegativeListEntry
from credit.selectors import merchant_figures, merchant_index, regulates
from odr.errors import Conflict, DomainError, NotAllowed

MAX_TEXT = 2000
# The complainants whose names are taken out of a public reason: those of the merchant's
# cases with a negative record (what a regulator would cite), at most this many.
MAX_NAMES = 2000


@dataclass(frozen=True)
class ListEligibility:
    eligible: bool
    grade: str
    score: float
    breaches: int  # unrepaired, last 12 months

    def basis(self) -> dict:
        return {"grade": self.grade, "score": self.score, "breaches_12m": self.breaches}


def negative_list_eligibility(*, merchant: Merchant) -> ListEligibility:
    """Live, from records: grade D, or at least CREDIT_NEGATIVE_LIST_BREACHES breaches."""
    index = merchant_index(merchant=merchant)
    figures = merchant_figures(merchant_ids=[merchant.pk], median=False)[merchant.pk]
    breaches = figures.breaches_unrepaired
    eligible = index.grade == "D" or breaches >= settings.CREDIT_NEGATIVE_LIST_BREACHES
    return ListEligibility(eligible, index.grade, index.score, breaches)


def _reason(text: str, field: str = "reason") -> str:
    value = (text or "").strip()
    if not value:
        raise DomainError(_("Give the reason."), fields={field: [_("Give the reason.")]})
    if len(value) > MAX_TEXT or "\x00" in value:
        message = _("At most %(n)d characters.") % {"n": MAX_TEXT}
        raise DomainError(message, fields={field: [message]})
    return value


def _public_reason(text: str, *, merchant: Merchant) -> str:
    """The reason as published (credit page, disclosure): consumers de-identified.

    A regulator may cite a case by its consumer, phone or order number; like a merchant's
    reply, the text keeps none of them. The merchant's own code stays readable.
    """
    # Every complainant of the merchant, not only those with negative records: a reason
    # may mention any case. The newest first, bounded.
    rows = (
        Case.objects.filter(merchant=merchant)
        .order_by("-submitted_at")
        .values_list(
            "complainant_name", "complainant_phone", "complainant_address", "order_number"
        )[:MAX_NAMES]
    )
    names, exact = set(), set()
    for name, phone, address, order in rows:
        names.add(name)
        exact.update((phone, address, order))
    placeholder = "\x00USCC\x00"
    kept = text.replace(merchant.uscc, placeholder)
    return scrub_text(kept, names=tuple(names), exact=tuple(exact)).replace(
        placeholder, merchant.uscc
    )


def _check_review_on(review_on: dt.date | None) -> dt.date:
    today = timezone.localdate()
    latest = today + dt.timedelta(days=settings.CREDIT_NEGATIVE_LIST_MAX_REVIEW_DAYS)
    if review_on is None or not today < review_on <= latest:
        message = _("Choose a review date after today and at most %(n)d days ahead.") % {
            "n": settings.CREDIT_NEGATIVE_LIST_MAX_REVIEW_DAYS
        }
        raise DomainError(message, fields={"review_on": [message]})
    return review_on


def negative_list_confirm(
    *, merchant: Merchant, actor, reason: str, review_on: dt.date | None
) -> NegativeListEntry:
    text = _reason(reason)
    review_on = _check_review_on(review_on)
    if not regulates(actor, merchant):
        raise NotAllowed(
            _("Only a regulator of the merchant's jurisdiction keeps it on the negative list."),
            code="outside_jurisdiction",
        )
    eligibility = negative_list_eligibility(merchant=merchant)
    if not eligibility.eligible:
        raise Conflict(
            _(
                "This merchant is not at grade D and has fewer than %(n)d unrepaired breaches "
                "in the last 12 months, so it cannot be put on the negative list."
            )
            % {"n": settings.CREDIT_NEGATIVE_LIST_BREACHES},
            code="not_eligible",
        )
    try:
        with transaction.atomic():
            return NegativeListEntry.objects.create(
                merchant=merchant,
                reason=_public_reason(text, merchant=merchant),
                basis=eligibility.basis(),
                review_on=review_on,
                confirmed_by=actor,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("This merchant is already on the negative list."), code="already_listed"
        ) from exc


def negative_list_remove(*, entry: NegativeListEntry, actor, reason: str) -> NegativeListEntry:
    text = _reason(reason, "removal_reason")
    with transaction.atomic():
        entry = (
            NegativeListEntry.objects.select_for_update()
            .select_related("merchant")
            .get(pk=entry.pk)
        )
        if not regulates(actor, entry.merchant):
            raise NotAllowed(
                _("Only a regulator of the merchant's jurisdiction takes it off the list."),
                code="outside_jurisdiction",
            )
        if entry.removed_at is not None:
            raise Conflict(_("This entry has already been removed."), code="removed")
        entry.removed_at = timezone.now()
        entry.removed_by = actor
        entry.removal_reason = _public_reason(text, merchant=entry.merchant)
        entry.save(update_fields=["removed_at", "removed_by", "removal_reason"])
    return entry
