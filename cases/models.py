"""The case: a consumer's complaint against a merchant, and everything recorded about it.

``Case.state`` is a protected django-fsm-2 field; its transitions are pure field changes,
each guarded by who may take it. Services (cases/services/) lock the row, check the
actor, transition, save and append the event, in one transaction.
"""

import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import ArbitrationBody, MediationOrganisation, Merchant, Role
from cases.categories import CATEGORY_CHOICES
from odr.divisions import division_covers
from odr.sequences import NumberSequence


class State(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    NEGOTIATION = "negotiation", _("negotiation")
    REVIEW = "review", _("under review")
    MEDIATION = "mediation", _("mediation")
    MEDIATION_FAILED = "mediation_failed", _("mediation failed")
    REFERRED = "referred", _("referred to arbitration")
    ARBITRATING = "arbitrating", _("in arbitration")
    SETTLED = "settled", _("settled")
    AWARDED = "awarded", _("awarded")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


TERMINAL_STATES = (State.CLOSED, State.REJECTED, State.WITHDRAWN)
NON_TERMINAL_STATES = tuple(s for s in State.values if s not in TERMINAL_STATES)


class CaseRole:
    """How an actor stands to one case; a transition names the case roles that may take it."""

    CONSUMER = "consumer"
    MERCHANT = "merchant"
    REGULATOR = "regulator"
    MEDIATOR = "mediator"
    ARBITRATION = "arbitration"
    ADMIN = "admin"
    SYSTEM = "system"


class SystemActor:
    """The service itself acting on a clock (deadline sweeps, automatic routing)."""

    is_system = True
    is_authenticated = False
    pk = None

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemActor()


def case_roles(case: "Case", actor) -> set[str]:
    """Every role the actor holds in this case. One condition per line: each has a test."""
    if getattr(actor, "is_system", False):
        return {CaseRole.SYSTEM}
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return set()
    roles: set[str] = set()
    held = _held_roles(actor)
    if case.consumer_id == actor.pk:
        roles.add(CaseRole.CONSUMER)
    if case.merchant_id and any(
        r.kind == Role.Kind.MERCHANT_STAFF and r.merchant_id == case.merchant_id for r in held
    ):
        roles.add(CaseRole.MERCHANT)
    if any(
        r.kind == Role.Kind.REGULATOR and division_covers(r.jurisdiction, case.office_code)
        for r in held
    ):
        roles.add(CaseRole.REGULATOR)
    if case.mediator_id == actor.pk and any(r.kind == Role.Kind.MEDIATOR for r in held):
        roles.add(CaseRole.MEDIATOR)
    if case.arbitration_body_id and any(
        r.kind == Role.Kind.ARBITRATION_STAFF and r.arbitration_body_id == case.arbitration_body_id
        for r in held
    ):
        roles.add(CaseRole.ARBITRATION)
    if any(r.kind == Role.Kind.ADMINISTRATOR for r in held):
        roles.add(CaseRole.ADMIN)
    return roles


def _held_roles(user) -> list[Role]:
    cached = getattr(user, "_odr_roles", None)
    if cached is None:
        cached = list(user.roles.all())
        user._odr_roles = cached
    return cached


def _may(*allowed: str):
    allowed_set = set(allowed)

    def permission(case: "Case", actor) -> bool:
        return bool(case_roles(case, actor) & allowed_set)

    permission.allowed = allowed_set  # type: ignore[attr-defined]
    return permission


def _both_consented_to_arbitration(case: "Case") -> bool:
    return case.arbitration_consented


def _merchant_on_the_platform(case: "Case") -> bool:
    # Both parties confirm a mediation agreement with an SMS code (documents/): the
    # merchant can only do so with a platform account, once a regulator has linked it.
    return case.merchant_id is not None


class CaseSequence(NumberSequence):
    """The last reference number given out per region and year (odr/sequences.py)."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="case_seq_unique")]


class Case(ConcurrentTransitionMixin, models.Model):
    reference = models.CharField(_("reference"), max_length=24, unique=True)
    state = FSMField(
        _("state"), default=State.SUBMITTED, choices=State.choices, protected=True, db_index=True
    )
    ruleset = models.CharField(_("rule set"), max_length=20)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    submitted_at = models.DateTimeField(_("submitted at"), db_index=True)

    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complaints"
    )
    complainant_name = models.CharField(_("complainant's name"), max_length=100)
    complainant_phone = models.CharField(_("complainant's phone"), max_length=20)
    complainant_address = models.CharField(_("complainant's address"), max_length=300)

    # A complaint may name a merchant not yet on the platform; a regulator links it later.
    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    merchant_name = models.CharField(_("merchant's name"), max_length=200)
    merchant_address = models.CharField(_("merchant's address"), max_length=300, blank=True)
    merchant_store_url = models.CharField(_("store URL"), max_length=500, blank=True)
    division_code = models.CharField(_("division code"), max_length=6, db_index=True)
    # The office handling the case, by its division code: set at intake from the merchant's
    # division and changed only by a transfer (转办, cases/services/transfers.py, ADR 0010).
    # Regulators' access follows it; division_code keeps meaning the merchant's place.
    office_code = models.CharField(_("handling office"), max_length=6, db_index=True)

    category = models.CharField(_("category"), max_length=40, choices=CATEGORY_CHOICES)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    knew_of_harm_on = models.DateField(_("date you knew of the harm"))
    # The consumer's last claim to the merchant: it may have interrupted the limitation,
    # which the office weighs (cases/limitation.py).
    claimed_from_merchant_on = models.DateField(
        _("last asked the merchant to put it right on"), null=True, blank=True
    )
    amount = models.DecimalField(
        _("amount (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    order_number = models.CharField(_("order number"), max_length=100, blank=True)
    platform = models.CharField(_("platform"), max_length=100, blank=True)
    facts = models.TextField(_("what happened"))
    request = models.TextField(_("what you ask for"))
    agrees_to_publication = models.BooleanField(_("agrees to publication"), default=False)
    agrees_to_delegated_mediation = models.BooleanField(
        _("agrees to mediation by a consumer association"), default=False
    )
    possible_duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    mediation_organisation = models.ForeignKey(
        MediationOrganisation, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediated_cases",
    )
    arbitration_body = models.ForeignKey(
        ArbitrationBody, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    arbitration_consented = models.BooleanField(default=False)
    ground = models.CharField(_("ground"), max_length=40, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    settlement_terms = models.JSONField(_("settlement terms"), null=True, blank=True)
    performance_due_on = models.DateField(_("performance due on"), null=True, blank=True)
    merchant_answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["consumer", "order_number", "submitted_at"]),
            models.Index(fields=["merchant", "state"]),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs) -> None:
        # Invariant: a case always has a handling office; until a transfer it is the
        # office of the merchant's division (intake sets it so; this covers every other
        # way a row is made).
        if not self.office_code:
            self.office_code = self.division_code
        super().save(*args, **kwargs)

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    # --- Transitions: pure field changes. Services do everything else. -------------------

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.NEGOTIATION,
        permission=_may(CaseRole.SYSTEM),
    )
    def start_negotiation(self) -> None:
        pass

    @transition(
        field=state, source=State.SUBMITTED, target=State.REVIEW, permission=_may(CaseRole.SYSTEM)
    )
    def request_review(self) -> None:
        pass

    @transition(
        field=state,
        source=State.NEGOTIATION,
        target=State.SETTLED,
        permission=_may(CaseRole.CONSUMER, CaseRole.MERCHANT),
    )
    @transition(
        field=state,
        source=State.ARBITRATING,
        target=State.SETTLED,
        permission=_may(CaseRole.ARBITRATION),
    )
    def settle(self, *, terms: dict, performance_due_on) -> None:
        self.settlement_terms = terms
        self.performance_due_on = performance_due_on

    @transition(
        field=state,
        source=State.NEGOTIATION,
        target=State.REVIEW,
        permission=_may(CaseRole.CONSUMER, CaseRole.SYSTEM),
    )
    def escalate(self) -> None:
        pass

    @transition(
        field=state,
        source=State.REVIEW,
        target=State.MEDIATION,
        permission=_may(CaseRole.REGULATOR, CaseRole.ADMIN),
    )
    def accept(self, *, mediator, organisation) -> None:
        self.mediator = mediator
        self.mediation_organisation = organisation

    @transition(
        field=state,
        source=State.REVIEW,
        target=State.REJECTED,
        permission=_may(CaseRole.REGULATOR, CaseRole.ADMIN),
    )
    def reject(self, *, ground: str, reason: str) -> None:
        self.ground = ground
        self.reason = reason
        self.outcome = "rejected"

    @transition(
        field=state,
        source=State.MEDIATION,
        target=State.SETTLED,
        permission=_may(CaseRole.MEDIATOR),
        conditions=[_merchant_on_the_platform],
    )
    def reach_agreement(self, *, terms: dict, performance_due_on) -> None:
        self.settlement_terms = terms
        self.performance_due_on = performance_due_on

    @transition(
        field=state,
        source=State.MEDIATION,
        target=State.MEDIATION_FAILED,
        # A regulator only once the limit has passed (cases/services/transitions.py).
        permission=_may(CaseRole.MEDIATOR, CaseRole.REGULATOR),
    )
    def terminate(self, *, ground: str, reason: str) -> None:
        self.ground = ground
        self.reason = reason

    @transition(
        field=state,
        source=State.MEDIATION_FAILED,
        target=State.REFERRED,
        permission=_may(CaseRole.CONSUMER, CaseRole.MEDIATOR, CaseRole.SYSTEM),
        conditions=[_both_consented_to_arbitration],
    )
    def refer_to_arbitration(self, *, body) -> None:
        self.arbitration_body = body

    @transition(
        field=state,
        source=State.MEDIATION_FAILED,
        target=State.CLOSED,
        permission=_may(CaseRole.CONSUMER, CaseRole.MEDIATOR, CaseRole.REGULATOR, CaseRole.ADMIN),
    )
    def close(self, *, outcome: str = "mediation_failed") -> None:
        self.outcome = outcome

    @transition(
        field=state,
        source=State.REFERRED,
        target=State.ARBITRATING,
        permission=_may(CaseRole.ARBITRATION),
    )
    def arbitration_accept(self) -> None:
        pass

    @transition(
        field=state,
        source=State.REFERRED,
        target=State.MEDIATION_FAILED,
        permission=_may(CaseRole.ARBITRATION),
    )
    def arbitration_decline(self, *, reason: str) -> None:
        self.reason = reason
        self.arbitration_consented = False
        # The body that declined has no part in the case any more.
        self.arbitration_body = None

    @transition(
        field=state,
        source=State.ARBITRATING,
        target=State.AWARDED,
        permission=_may(CaseRole.ARBITRATION),
    )
    def record_award(self, *, terms: dict, performance_due_on) -> None:
        self.settlement_terms = terms
        self.performance_due_on = performance_due_on

    @transition(
        field=state,
        source=[State.SETTLED, State.AWARDED],
        target=State.CLOSED,
        permission=_may(CaseRole.CONSUMER),
    )
    def confirm_performance(self) -> None:
        self.outcome = "performed"

    @transition(
        field=state,
        source=[State.SETTLED, State.AWARDED],
        target=State.CLOSED,
        permission=_may(CaseRole.CONSUMER),
    )
    def report_breach(self, *, reason: str) -> None:
        self.outcome = "breached"
        self.reason = reason

    @transition(
        field=state,
        source=list(NON_TERMINAL_STATES),
        target=State.WITHDRAWN,
        permission=_may(CaseRole.CONSUMER),
    )
    def withdraw(self, *, reason: str = "") -> None:
        self.outcome = "withdrawn"
        self.reason = reason


class Consent(models.Model):
    """One answer the consumer gave to a question of the registration, with the words they
    were shown, when and through whom: the case's two booleans hold the latest answer, these
    rows every answer (SAMR's registration form asks both; DESIGN.md, "Consents")."""

    class Question(models.TextChoices):
        PUBLICATION = "publication", _("publication of the complaint information")
        DELEGATED_MEDIATION = "delegated_mediation", _("mediation by a consumer association")

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        TELEPHONE = "telephone", _("by telephone")
        COUNTER = "counter", _("at the counter")
        LETTER = "letter", _("by letter")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    question = models.CharField(max_length=30, choices=Question.choices)
    answer = models.BooleanField()
    wording = models.TextField()
    language = models.CharField(max_length=10)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["case", "recorded_at", "id"]
        indexes = [models.Index(fields=["case", "question", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.question}={self.answer}"


def evidence_upload_to(instance: "Evidence", filename: str) -> str:
    # Server-generated names only: never the uploader's file name.
    return f"evidence/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class ComplaintDraft(models.Model):
    """A complaint being written in steps; it survives failed uploads and closed tabs."""

    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="complaint_drafts"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"draft {self.pk} of {self.consumer_id}"


class Evidence(models.Model):
    """A file a party gave as evidence. Checked by content, stored by hash, served privately."""

    class Kind(models.TextChoices):
        JPEG = "jpeg", "JPEG"
        PNG = "png", "PNG"
        PDF = "pdf", "PDF"
        MP4 = "mp4", "MP4"

    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    draft = models.ForeignKey(
        ComplaintDraft, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to=evidence_upload_to, max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="evidence_belongs_somewhere",
                condition=Q(case__isnull=False) | Q(draft__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"

    @property
    def extension(self) -> str:
        return {"jpeg": ".jpg", "png": ".png", "pdf": ".pdf", "mp4": ".mp4"}[self.kind]


def identity_upload_to(instance: "IdentityProof", filename: str) -> str:
    # Apart from the evidence, and by hash: never the uploader's file name.
    return f"identity/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class IdentityRequest(models.Model):
    """The office asks the complainant for proof of identity by a date (SAMR form 4,
    限期提供身份证明材料通知书). Its time limit is the clock "identity_proof" of the rule set
    (cases/services/identity.py); what the complainant provides is seen by staff only."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for the proof")
        PROVIDED = "provided", _("proof provided")
        CANCELLED = "cancelled", _("no longer asked")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="identity_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # What the office asks for, in its words (an identity card, a passport...).
    materials = models.TextField(_("proof asked for"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    due_on = models.DateField(_("to be provided by"))
    created_at = models.DateTimeField()
    provided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("request for proof of identity")
        verbose_name_plural = _("requests for proof of identity")
        ordering = ["case", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="open"), name="one_open_identity_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} identity {self.status}"


class IdentityProof(models.Model):
    """A file the complainant gave as proof of identity: checked as evidence is, stored
    apart from it, shown to staff only."""

    request = models.ForeignKey(IdentityRequest, on_delete=models.CASCADE, related_name="proofs")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to=identity_upload_to, max_length=200)
    kind = models.CharField(max_length=8, choices=Evidence.Kind.choices)
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("proof of identity")
        verbose_name_plural = _("proofs of identity")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"

    @property
    def extension(self) -> str:
        return {"jpeg": ".jpg", "png": ".png", "pdf": ".pdf", "mp4": ".mp4"}[self.kind]


class RecusalRequest(models.Model):
    """A party asks that the mediator step aside (SAMR form 7's window); the office decides
    (cases/services/recusal.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the office's decision")
        GRANTED = "granted", _("granted: another mediator")
        REFUSED = "refused", pgettext_lazy("recusal status", "refused")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="recusal_requests")
    party = models.CharField(max_length=10)  # consumer or merchant (CaseRole)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ground = models.CharField(_("ground"), max_length=40)
    reasons = models.TextField(_("reasons"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reasons = models.TextField(_("reasons for the decision"), blank=True)
    new_mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("request for the mediator's recusal")
        verbose_name_plural = _("requests for the mediator's recusal")
        ordering = ["case", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="one_pending_recusal"
            ),
            # A party asks once about a mediator.
            models.UniqueConstraint(
                fields=["case", "party", "mediator"], name="one_recusal_per_party_and_mediator"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} recusal {self.status}"


class CaseTransfer(models.Model):
    """A transfer (转办) of the case from the office handling it to the competent one, with
    the reason (cases/services/transfers.py). The receiving office's receipt is the moment
    of the transfer: the platform delivers it into that office's queue."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transfers")
    from_office = models.CharField(_("from office"), max_length=6, db_index=True)
    to_office = models.CharField(_("to office"), max_length=6, db_index=True)
    reason = models.CharField(_("reason"), max_length=30)
    reason_text = models.TextField(_("explanation"), blank=True)
    transferred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    transferred_at = models.DateTimeField(_("transferred at"), db_index=True)
    # Back to an office that had already sent the case away, or a third transfer or more:
    # the case is flagged on its page, in the queue and in supervision.
    back_and_forth = models.BooleanField(_("back and forth"), default=False)
    event = models.OneToOneField(
        "CaseEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["case", "transferred_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_office} -> {self.to_office}"


class Offer(models.Model):
    """A structured proposal between consumer and merchant in negotiation."""

    class Kind(models.TextChoices):
        REFUND = "refund", _("refund")
        REPLACEMENT = "replacement", _("replacement")
        REPAIR = "repair", _("repair")
        COMPENSATION = "compensation", _("compensation")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", pgettext_lazy("offer status", "accepted")
        REJECTED = "rejected", pgettext_lazy("offer status", "declined")
        COUNTERED = "countered", _("countered")
        WITHDRAWN = "withdrawn", pgettext_lazy("offer status", "withdrawn")
        EXPIRED = "expired", pgettext_lazy("offer status", "expired")

    class Side(models.TextChoices):
        CONSUMER = "consumer", _("consumer")
        MERCHANT = "merchant", _("merchant")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="offers")
    side = models.CharField(max_length=10, choices=Side.choices)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(
        _("amount (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    description = models.TextField(_("description"))
    valid_until = models.DateField(_("valid until"))
    performance_days = models.PositiveSmallIntegerField(
        _("days to perform after acceptance"), default=7
    )
    counter_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="counters"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount or ''}"

    def terms(self) -> dict:
        return {
            "offer": self.pk,
            "kind": self.kind,
            "amount": str(self.amount) if self.amount is not None else None,
            "description": self.description,
            "performance_days": self.performance_days,
        }


class Message(models.Model):
    """A message in one room of a case, numbered per room; the database is the record.

    Rooms: ``negotiation`` (consumer and merchant), and for mediation ``joint`` and one
    caucus per party (``caucus:consumer``, ``caucus:merchant``).
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    room = models.CharField(max_length=20)
    seq = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_role = models.CharField(max_length=20)
    body = models.TextField()
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "room", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "room", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["case", "room", "author", "client_id"],
                condition=~Q(client_id=""),
                name="message_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.room}#{self.seq}"


class Deadline(models.Model):
    """A statutory clock on a case: its due time, and how it ended.

    A clock ends met (the act it waited for came by the due time), late (the act came after
    it), passed (it ran out and the sweep acted, or the act was reported not done) or no
    longer applies. Which steps start and end it is declared in the rule set
    (cases/rulesets.py); cases/services/clocks.py moves it.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        MET = "met", _("met")
        LATE = "late", pgettext_lazy("deadline status", "late")
        EXPIRED = "expired", pgettext_lazy("deadline status", "passed")
        CANCELLED = "cancelled", _("no longer applies")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    clock = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    due_on = models.DateField()
    due_at = models.DateTimeField(db_index=True)
    provisional = models.BooleanField(default=False)
    # The latest due time a provisional deadline could still move to once its year's notice
    # is entered (docs/adr/0006); the sweep acts on a provisional deadline only after it.
    # Equal to due_at when the deadline is not provisional.
    latest_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    reminded_at = models.DateTimeField(null=True, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "clock"],
                condition=Q(status="running"),
                name="one_running_deadline_per_clock",
            )
        ]

    def __str__(self) -> str:
        return f"{self.clock} due {self.due_on}"


class CaseEvent(models.Model):
    """One append-only entry of a case's log, chained to the one before by SHA-256."""

    class Visibility(models.TextChoices):
        PARTIES = "parties", _("everyone on the case")
        STAFF = "staff", _("staff only")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(max_length=20)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    ground = models.CharField(max_length=40, blank=True)
    payload = models.JSONField(default=dict)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PARTIES
    )
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["case", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="event_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Case events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Case events are append-only.")

    # What the hash covers, by the names the canonical form gives them (exports use these).
    HASHED_FIELDS = (
        "case",
        "seq",
        "kind",
        "actor",
        "actor_role",
        "from_state",
        "to_state",
        "ground",
        "payload",
        "visibility",
        "created_at",
        "prev_hash",
    )

    def canonical(self, *, reference: str) -> bytes:
        """The bytes the hash covers: every recorded field, in a fixed form."""
        content = {
            "case": reference,
            "seq": self.seq,
            "kind": self.kind,
            "actor": self.actor_id,
            "actor_role": self.actor_role,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "ground": self.ground,
            "payload": self.payload,
            "visibility": self.visibility,
            "created_at": self.created_at.isoformat(),
            "prev_hash": self.prev_hash,
        }
        content = {name: content[name] for name in CaseEvent.HASHED_FIELDS}  # one list of names
        return json.dumps(
            content, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        ).encode()

    def compute_hash(self, *, reference: str) -> str:
        return hashlib.sha256(self.canonical(reference=reference)).hexdigest()


GENESIS_HASH = "0" * 64
