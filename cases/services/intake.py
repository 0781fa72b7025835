"""Complaint intake: checks a complaint against the rules, numbers it, routes it."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Merchant, User
from accounts.validators import check_division_code
from cases.categories import CATEGORY_KIND
from cases.limitation import Limitation, limitation_of
from cases.models import SYSTEM, Case, CaseEvent, CaseSequence, ComplaintDraft, Evidence
from cases.rulesets import ruleset_for
from cases.services.consents import consents_record
from cases.services.events import event_append
from cases.services.transitions import case_transition
from odr.errors import DomainError
from odr.formatting import long_date
from odr.sequences import sequence_next

DUPLICATE_WINDOW_DAYS = 30
# What a consumer is told when a detail the rules require is missing (the wizard's steps
# say the same next to the field).
REQUIRED_MESSAGES = {
    "complainant_name": gettext_lazy("Please give your name."),
    "complainant_phone": gettext_lazy("Please give your phone number."),
    "complainant_address": gettext_lazy("Please give your address."),
    "facts": gettext_lazy("Please describe what happened."),
    "request": gettext_lazy("Please say what you ask the merchant to do."),
    "merchant": gettext_lazy("Please choose the merchant, or name it."),
}


@dataclass
class ComplaintData:
    complainant_name: str
    complainant_phone: str
    complainant_address: str
    facts: str
    request: str
    category: str
    knew_of_harm_on: dt.date | None = None
    merchant: Merchant | None = None
    merchant_name: str = ""
    merchant_address: str = ""
    merchant_store_url: str = ""
    merchant_division_code: str = ""
    purchase_date: dt.date | None = None
    amount: Decimal | None = None
    order_number: str = ""
    platform: str = ""
    agrees_to_publication: bool = False
    agrees_to_delegated_mediation: bool = False
    # The consumer's last claim to the merchant, which may have interrupted the limitation.
    claimed_from_merchant_on: dt.date | None = None
    language: str = "zh-hans"


def check_complaint(data: ComplaintData, *, today: dt.date) -> None:
    """Refuse at intake what the rules refuse, naming the rule."""
    rules = ruleset_for(today)
    english = data.language.startswith("en")
    materials = next(g for g in rules.refusal_grounds if g.code == "materials")
    rule = (
        f"{rules.name_en}, {materials.article.en}"
        if english
        else f"《{rules.name_zh}》{materials.article.zh}"
    )
    errors: dict[str, list[str]] = {}
    # Each missing field says what to do in plain words; the rule is cited once, in the
    # message of the whole refusal.
    required = {
        "complainant_name": (data.complainant_name, REQUIRED_MESSAGES["complainant_name"]),
        "complainant_phone": (data.complainant_phone, REQUIRED_MESSAGES["complainant_phone"]),
        "complainant_address": (
            data.complainant_address,
            REQUIRED_MESSAGES["complainant_address"],
        ),
        "facts": (data.facts, REQUIRED_MESSAGES["facts"]),
        "request": (data.request, REQUIRED_MESSAGES["request"]),
    }
    for name, (value, message) in required.items():
        if not (value or "").strip():
            errors[name] = [str(message)]
    if data.merchant is None and not data.merchant_name.strip():
        errors["merchant"] = [str(REQUIRED_MESSAGES["merchant"])]
    if data.merchant is None and data.merchant_name.strip():
        try:
            check_division_code(data.merchant_division_code)
        except Exception:
            errors["merchant_division_code"] = [
                _("Give the merchant's place (administrative division code, like 371302).")
            ]
    if data.category not in CATEGORY_KIND:
        errors["category"] = [_("Choose a category from the list.")]
    if data.knew_of_harm_on is None:
        data.knew_of_harm_on = data.purchase_date
    if data.knew_of_harm_on is None:
        errors["knew_of_harm_on"] = [_("Say when you knew of the harm (or the purchase date).")]
    elif data.knew_of_harm_on > today:
        errors["knew_of_harm_on"] = [_("This date is in the future.")]
    if data.purchase_date and data.purchase_date > today:
        errors["purchase_date"] = [_("This date is in the future.")]
    claimed = data.claimed_from_merchant_on
    if claimed is not None and claimed > today:
        errors["claimed_from_merchant_on"] = [_("This date is in the future.")]
    elif claimed is not None and data.knew_of_harm_on and claimed < data.knew_of_harm_on:
        errors["claimed_from_merchant_on"] = [
            _("This date is before the day you knew of the harm.")
        ]
    if errors:
        raise DomainError(
            _(
                "Under %(rule)s, a complaint can be accepted only with these details: "
                "please complete them and submit again."
            )
            % {"rule": rule},
            code="missing_facts",
            fields=errors,
        )
    # More than three years after the harm is not refused here: whether the limit has
    # passed, or was interrupted, is the office's decision (cases/limitation.py).


def limitation_warning(data: ComplaintData, *, today: dt.date) -> str:
    """What the consumer is told before filing when the dates give a passed limit: they
    may still file, and the office decides (empty when the limit has not passed)."""
    limitation = complaint_limitation(data, today=today)
    if limitation is None or not limitation.passed:
        return ""
    rules = ruleset_for(today)
    ground = next(g for g in rules.refusal_grounds if g.code == "limitation")
    english = data.language.startswith("en")
    return _(
        "More than %(n)d years have passed since the day you knew of the harm (they ended on "
        "%(day)s). You can still file the complaint: the market regulation office decides "
        "whether it can be accepted, and may refuse it under %(rule)s. If you asked the "
        "merchant to put it right since, give that date in the step about what happened."
    ) % {
        "n": limitation.years,
        "day": long_date(limitation.ends_on),
        "rule": rules.cite_en(ground) if english else rules.cite_zh(ground),
    }


def complaint_limitation(data: ComplaintData, *, today: dt.date) -> Limitation | None:
    """The limit the complaint's dates give on the day of filing (None without a date)."""
    knew = data.knew_of_harm_on or data.purchase_date
    if knew is None or knew > today:
        return None
    return limitation_of(
        ruleset=ruleset_for(today),
        knew_of_harm_on=knew,
        claimed_on=data.claimed_from_merchant_on,
        on=today,
    )


def case_reference_next(*, year: int) -> str:
    """The next reference, unique under concurrent submission (odr/sequences.py): the
    counter row is locked only for one statement, not for the whole intake."""
    prefix = settings.ODR_REGION_PREFIX
    return f"{prefix}-{year}-{sequence_next(CaseSequence, prefix=prefix, year=year):06d}"


def case_submit(
    *,
    consumer: User,
    data: ComplaintData,
    draft: ComplaintDraft | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """File a complaint: check it, number it, record it, and route it.

    A merchant enrolled in ODR gets it first (negotiation); otherwise it goes to the
    regulator's review.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    check_complaint(data, today=today)
    rules = ruleset_for(today)
    merchant = data.merchant
    # Outside the intake transaction, so the counter row is free again at once.
    reference = case_reference_next(year=today.year)
    with transaction.atomic():
        duplicate = None
        if data.order_number.strip():
            duplicate = (
                Case.objects.filter(
                    consumer=consumer,
                    order_number=data.order_number.strip(),
                    submitted_at__gte=now - dt.timedelta(days=DUPLICATE_WINDOW_DAYS),
                )
                .order_by("-submitted_at")
                .first()
            )
        case = Case.objects.create(
            reference=reference,
            ruleset=rules.key,
            language=data.language,
            submitted_at=now,
            consumer=consumer,
            complainant_name=data.complainant_name.strip(),
            complainant_phone=data.complainant_phone.strip(),
            complainant_address=data.complainant_address.strip(),
            merchant=merchant,
            merchant_name=merchant.name if merchant else data.merchant_name.strip(),
            merchant_address=merchant.address if merchant else data.merchant_address.strip(),
            merchant_store_url=data.merchant_store_url.strip(),
            division_code=merchant.division_code if merchant else data.merchant_division_code,
            # Handled by the office of the merchant's division until a transfer (ADR 0010).
            office_code=merchant.division_code if merchant else data.merchant_division_code,
            category=data.category,
            purchase_date=data.purchase_date,
            knew_of_harm_on=data.knew_of_harm_on,
            claimed_from_merchant_on=data.claimed_from_merchant_on,
            amount=data.amount,
            order_number=data.order_number.strip(),
            platform=data.platform.strip(),
            facts=data.facts.strip(),
            request=data.request.strip(),
            agrees_to_publication=data.agrees_to_publication,
            agrees_to_delegated_mediation=data.agrees_to_delegated_mediation,
            possible_duplicate_of=duplicate,
        )
        # Nobody else can see the new row before commit: no need to lock or re-read it.
        answers = {
            "publication": data.agrees_to_publication,
            "delegated_mediation": data.agrees_to_delegated_mediation,
        }
        consents_record(
            case=case, answers=answers, language=data.language, recorded_by=consumer, at=now
        )
        limitation = complaint_limitation(data, today=today)
        payload = {
            "ruleset": rules.key,
            "merchant_on_platform": bool(merchant),
            "consents": answers,
            "limitation": limitation.as_dict() if limitation else None,
        }
        if duplicate:
            payload["possible_duplicate_of"] = duplicate.reference
        event_append(
            case=case,
            kind="case.submitted",
            actor=consumer,
            actor_role="consumer",
            to_state=case.state,
            payload=payload,
            visibility=CaseEvent.Visibility.PARTIES,
        )
        if draft is not None:
            for evidence in Evidence.objects.filter(draft=draft, uploaded_by=consumer):
                Evidence.objects.filter(pk=evidence.pk).update(case=case, draft=None)
                event_append(
                    case=case,
                    kind="evidence.added",
                    actor=consumer,
                    actor_role="consumer",
                    payload={
                        "evidence": evidence.pk,
                        "sha256": evidence.sha256,
                        "kind": evidence.kind,
                        "size": evidence.size,
                    },
                )
            draft.delete()
        enrolled = merchant is not None and merchant.odr_enrolled_on(today)
        route = "start_negotiation" if enrolled else "request_review"
        case = case_transition(case=case, name=route, actor=SYSTEM, data={}, locked=True, at=now)
    return case
