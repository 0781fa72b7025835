"""The rule "every place a role could see or change what is not theirs has a test", checked
over the whole URL configuration rather than app by app.

The routes are read from the resolver (through every include). Each one whose path names an
object (a case reference, an offer, a file, a document number, a notification, a credit
record, an alert...) is requested with GET and with POST by every *outsider* of that object:
a consumer who did not complain, staff of another merchant, a regulator of another
jurisdiction, a mediator not assigned (of the same organisation, and of another), staff and
the API token of another arbitration body, someone signed out; and, on routes that name a
child under a parent, by an outsider who puts the child under a parent of their own. Every
answer must be a refusal (4xx, or a redirect to a login page), never a server error, and
must not carry the object's private data (``secrets``: the facts, the complainant's phone,
name and address, message bodies...); after every request the database is as it was.
Each route is also requested once by an owner of the object, whose GET gets 200 and, where
the page is about the object, shows its private data: so the objects are real and the
checks can fail.

A route with a path parameter that this module does not know fails
``test_every_route_naming_an_object_is_known`` until it is added to ``SPECS`` (or, if it is
public by design, to ``PUBLIC``). The Django admin is checked separately: it is guarded as a
whole by ``is_staff``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.test import Client, TestCase
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.tests import factories as people
from arbitration.services import actions
from arbitration.services.tokens import token_create
from arbitration.tests import factories as af
from cases.models import Case, ComplaintDraft, IdentityProof, State, case_roles
from cases.services import evidence as evidence_services
from cases.services import identity, negotiation
from cases.tests import factories as cf
from cases.tests.test_schema_fuzz import _keep_the_test_connection  # noqa: F401 (autouse)
from credit.models import NegativeListEntry, RepairApplication
from credit.tests import factories as crf
from documents.kinds import Kind
from mediation.models import RoomFile
from mediation.services import chat, tools
from notifications.models import Notification
from supervision.models import MonthlyReport
from supervision.selectors.scope import Scope
from supervision.services.rules import rule_override, rules_seed_defaults
from supervision.tests.factories import spike_alert
from tests.worlds import db_fingerprint, rolled_back_cast

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
BODY_TOKEN = "body_token"  # the case's arbitration body, by its API token (Bearer odrarb_…)
OTHER_BODY_TOKEN = "other_body_token"
PEOPLE = (
    "consumer",
    "other_consumer",
    "merchant_staff",
    "other_merchant_staff",
    "regulator",  # 371300: covers the cases' division 371302
    "other_regulator",  # 350100
    "mediator",  # assigned to the cases that reach mediation
    "colleague_mediator",  # same organisation, not assigned
    "other_mediator",  # another organisation
    "arbitration_staff",  # the body the cases are referred to
    "other_arbitration_staff",
)
# The administrator is left out: an administrator is no outsider of anything.


# --- The routes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    params: tuple[str, ...]

    @property
    def api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def admin(self) -> bool:
        return self.pattern.startswith("admin/")


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, pattern, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else pattern
            yield Route(name, pattern, tuple(entry.pattern.converters))


ROUTES = list(_walk(get_resolver()))
BY_NAME = {r.name: r for r in ROUTES}

# Parameters that name an object (filled from the object a route is tried on) and those
# that only qualify the request (filled from the route's ``fixed`` values).
OBJECT_PARAMS = {
    "ref",
    "draft_id",
    "evidence_id",
    "offer_id",
    "notification_id",
    "number",
    "uscc",
    "record_id",
    "application_id",
    "entry_id",
    "alert_id",
    "rule_id",
    "report_id",
    "file_id",
    "proposal_id",
    "proof_id",
}
QUALIFIERS = {"step", "name", "action", "party", "figure"}

# Routes that name an object and are public by design: anyone holding the number or the
# code may look. ``test_public_pages_show_no_private_data`` checks what they show.
PUBLIC = {
    # The verification page a document's QR code points to (masked details only).
    "documents:verify-number": "public document verification (DESIGN: /verify/{number}/)",
    "api-document-verify": "public document verification, API",
    "api-document-verify-slash": "public document verification, API (trailing slash)",
    # A merchant's credit file: public disclosure under SAMR's 2023 rules, de-identified.
    "credit:merchant": "public credit file of a merchant",
    "api-credit-merchant": "public credit file of a merchant, API",
}


# --- What each route is tried on -------------------------------------------------------

# Who holds the object (its owners); everyone else in PEOPLE, and the signed-out visitor,
# is an outsider. For a case: those ``case_roles`` gives a role (checked at run time).
PARTIES = {"consumer", "merchant_staff", "regulator"}
INSIDERS: dict[str, set[str]] = {
    "draft": {"consumer"},
    "negotiation": PARTIES,
    "mediation": PARTIES | {"mediator"},
    "failed": PARTIES | {"mediator"},
    "referred": PARTIES | {"mediator", "arbitration_staff"},
    "awarded": PARTIES | {"mediator", "arbitration_staff"},
    "closed": PARTIES,
    "notification": {"consumer"},
    "record": {"merchant_staff"},
    "application": {"regulator"},
    "merchant": {"regulator"},
    "entry": {"regulator"},
    "alert": {"regulator"},
    "rule": {"regulator"},
    "report": {"regulator"},
    "figures": {"regulator"},
    # A report of a violation: its named reporter (the consumer) and the handling office.
    "jb": {"consumer", "regulator"},
    # A group complaint (groups/): its members (the consumer's case is one), the merchant,
    # the office and the group's mediator.
    "group": {"consumer", "merchant_staff", "regulator", "mediator"},
}
OFFICE = {"regulator"}  # the handling office's steps: the reporter is an outsider of them
CASE_TARGETS = {"negotiation", "mediation", "failed", "referred", "awarded", "closed"}
# The body's own portal and API: only the body's staff (and its token), not the parties.
BODY_ONLY = {"arbitration_staff", BODY_TOKEN}


@dataclass(frozen=True)
class Spec:
    target: str
    body: Callable[[World], dict] = lambda w: {}
    fixed: dict = field(default_factory=dict)
    insider: str | None = None  # an owner whose GET gets 200
    shows: bool = True  # ... and whose page shows the object's private data
    insiders: set[str] | None = None  # instead of INSIDERS[target]
    cross: tuple[str, ...] = ()  # outsiders who name the object under their own parent
    scoped: frozenset[str] = frozenset()  # outsiders who get 200, without the object's data


def _today(days: int = 0) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _png(name: str = "x.png") -> UploadedFile:
    return cf.upload(name, cf.png_bytes(), "image/png")


def _offer(w) -> dict:
    return {
        "kind": "refund",
        "amount": "1.00",
        "description": "outsider offer",
        "valid_until": _today(5),
        "performance_days": 7,
    }


def _terms(w) -> dict:
    return {"description": "outsider terms", "amount": "1.00", "performance_due_on": _today(9)}


MIRROR = ("other_consumer@own", "other_merchant_staff@own")

SPECS: dict[str, Spec] = {
    # The complaint wizard (a consumer's draft).
    "cases:choose_merchant": Spec("draft", lambda w: {"merchant": w.other_merchant_pk}),
    "cases:remove_file": Spec("draft", cross=("other_consumer@own",)),
    "cases:autosave": Spec("draft", lambda w: {"facts": "outsider"}, fixed={"step": "facts"}),
    "cases:wizard": Spec(
        "draft",
        lambda w: {"category": "goods.food", "facts": "outsider"},
        fixed={"step": "facts"},
        insider="consumer",
    ),
    # The case page and its forms.
    "cases:detail": Spec("negotiation", insider="consumer"),
    "cases:deadlines": Spec("negotiation", insider="consumer", shows=False),
    "cases:offer_make": Spec("negotiation", _offer),
    "cases:offer_accept": Spec("negotiation", cross=MIRROR),
    "cases:offer_reject": Spec("negotiation", lambda w: {"reason": "no"}, cross=MIRROR),
    "cases:message_post": Spec("negotiation", lambda w: {"body": "outsider", "client_id": "o1"}),
    "cases:evidence_upload": Spec("negotiation", lambda w: {"file": _png(), "description": "o"}),
    "cases:consent_update": Spec(
        "negotiation", lambda w: {"question": "delegated_mediation", "answer": "yes"}
    ),
    "cases:evidence_download": Spec("negotiation", insider="consumer", shows=False, cross=MIRROR),
    "cases:transition": Spec(
        "negotiation", lambda w: {"reason": "outsider"}, fixed={"name": "withdraw"}
    ),
    # Proof of identity (form 4): the office asks, the complainant uploads, staff read it
    # (the merchant and the complainant are outsiders of the proof file).
    "cases:identity_request": Spec("mediation", lambda w: {"materials": "outsider"}),
    "cases:identity_upload": Spec("mediation", lambda w: {"file": _png()}),
    "cases:identity_proof": Spec(
        "mediation", insider="regulator", shows=False, insiders={"regulator", "mediator"}
    ),
    # Recusal of the mediator (form 7): a party asks, the office decides.
    "cases:recusal_request": Spec(
        "mediation", lambda w: {"ground": "interest", "reasons": "outsider"}
    ),
    "cases:recusal_decide": Spec("mediation", lambda w: {"decision": "refuse", "reasons": "o"}),
    # Transfer to the competent office (转办): a regulator of the handling office.
    "cases:transfer": Spec(
        "mediation", lambda w: {"to_office": "350100", "reason": "registered_place"}
    ),
    "notifications:mark_read": Spec("notification"),
    "mediation:room": Spec("mediation", insider="mediator"),
    "mediation:panel": Spec("mediation", insider="mediator"),
    "documents:case-panel": Spec("failed", insider="consumer", shows=False),
    "documents:confirm": Spec(
        "failed", lambda w: {"action": "send"}, insider="consumer", shows=False
    ),
    "credit:record_reply": Spec(
        "record", lambda w: {"body": "outsider reply"}, cross=("other_merchant_staff@own",)
    ),
    "credit:record_repair": Spec(
        "record",
        lambda w: {"statement": "outsider made good on everything, truly"},
        cross=("other_merchant_staff@own",),
    ),
    "credit:repair_decide": Spec(
        "application", lambda w: {"decision": "approve", "reason": "outsider approves"}
    ),
    "credit:negative_list_confirm": Spec(
        "merchant", lambda w: {"reason": "outsider lists it", "review_on": _today(90)}
    ),
    "credit:negative_list_remove": Spec(
        "entry", lambda w: {"removal_reason": "outsider removes it"}
    ),
    # Arbitration: the body's portal, and the parties' page.
    "arbitration:referral": Spec("referred", insider="arbitration_staff", insiders=BODY_ONLY),
    "arbitration:referral-file": Spec(
        "referred", insider="arbitration_staff", shows=False, insiders=BODY_ONLY
    ),
    "arbitration:referral-act": Spec("referred", fixed={"action": "accept"}, insiders=BODY_ONLY),
    "arbitration:case": Spec("failed", insider="consumer", shows=False),
    "arbitration:case-propose": Spec("failed", lambda w: {"body": w.body_pk}),
    "arbitration:case-refer": Spec("failed"),
    "arbitration:case-award": Spec("awarded", insider="consumer", shows=False),
    # Supervision.
    "supervision:dashboard_csv": Spec(
        "figures",
        fixed={"figure": "by_merchant"},
        insider="regulator",
        scoped=frozenset({"other_regulator"}),
    ),
    "supervision:alert": Spec("alert", insider="regulator"),
    "supervision:alert_step": Spec(
        "alert", lambda w: {"close-note": "outsider closes"}, fixed={"step": "close"}
    ),
    "supervision:rule": Spec(
        "rule",
        lambda w: {"severity": "low", "weeks": 8, "sigmas": "3", "min_count": 1, "days": 90},
        insider="regulator",
        shows=False,
    ),
    "supervision:rate": Spec(
        "closed", lambda w: {"score": 1, "comment": "o"}, insider="consumer", shows=False
    ),
    "supervision:visits": Spec(
        "closed",
        lambda w: {"visited_on": _today(), "method": "sms", "reached": "on", "score": 1},
        insider="regulator",
        shows=False,
    ),
    "supervision:report": Spec("report", insider="regulator", shows=False),
    "supervision:report_pdf": Spec("report", insider="regulator", shows=False),
    # The case API.
    "api-case": Spec("negotiation", insider="consumer"),
    "api-case-transitions": Spec(
        "negotiation",
        lambda w: {"name": "withdraw", "reason": "o"},
        insider="consumer",
        shows=False,
    ),
    "api-case-offers": Spec("negotiation", _offer, insider="consumer"),
    "api-offer-accept": Spec("negotiation", cross=MIRROR),
    "api-offer-reject": Spec("negotiation", lambda w: {"reason": "no"}, cross=MIRROR),
    "api-case-messages": Spec(
        "negotiation", lambda w: {"body": "outsider", "client_id": "o2"}, insider="consumer"
    ),
    "api-case-evidence": Spec(
        "negotiation", lambda w: {"file": _png(), "description": "o"}, insider="consumer"
    ),
    "api-case-evidence-file": Spec("negotiation", insider="consumer", shows=False, cross=MIRROR),
    "api-case-events": Spec("negotiation", insider="consumer", shows=False),
    "api-case-consents": Spec(
        "negotiation",
        lambda w: {"question": "publication", "answer": True},
        insider="consumer",
        shows=False,
    ),
    "api-case-merchant": Spec("negotiation", lambda w: {"merchant": w.other_merchant_pk}),
    "api-case-identity": Spec(
        "mediation", lambda w: {"materials": "outsider"}, insider="regulator", shows=False
    ),
    "api-case-identity-proof": Spec("mediation", lambda w: {"file": _png()}),
    "api-case-recusal": Spec(
        "mediation",
        lambda w: {"ground": "interest", "reasons": "outsider"},
        insider="consumer",
        shows=False,
    ),
    "api-case-recusal-decision": Spec(
        "mediation", lambda w: {"decision": "refuse", "reasons": "outsider"}
    ),
    "api-case-transfers": Spec(
        "mediation",
        lambda w: {"to_office": "350100", "reason": "registered_place"},
        insider="consumer",
        shows=False,
    ),
    # Documents.
    "api-case-documents": Spec("failed", insider="consumer", shows=False),
    "api-case-document-file": Spec("failed", insider="consumer", shows=False, cross=MIRROR),
    "api-document-confirmation-code": Spec("failed", cross=MIRROR),
    "api-document-confirm": Spec(
        "failed", lambda w: {"code": "123456", "sha256": w.draft_sha256}, cross=MIRROR
    ),
    "api-notification-read": Spec("notification"),
    "api-credit-record-reply": Spec("record", lambda w: {"body": "outsider reply"}),
    # Mediation.
    "api-case-transcript": Spec("mediation", insider="mediator"),
    "api-mediation": Spec("mediation", insider="mediator", shows=False),
    "api-mediation-messages": Spec("mediation", lambda w: {"room": "joint", "body": "outsider"}),
    "api-mediation-files": Spec("mediation", lambda w: {"room": "joint", "file": _png()}),
    "api-mediation-file": Spec("mediation", insider="mediator", shows=False, cross=MIRROR),
    "api-mediation-read": Spec("mediation", lambda w: {"room": "joint", "seq": 1}),
    "api-mediation-sessions": Spec(
        "mediation",
        lambda w: {"starts_at": _today(2) + "T10:00:00+08:00", "duration_minutes": 60},
    ),
    "api-mediation-party-mute": Spec(
        "mediation", lambda w: {"minutes": 5}, fixed={"party": "consumer"}
    ),
    "api-mediation-party-unmute": Spec("mediation", fixed={"party": "consumer"}),
    "api-mediation-party-caucus": Spec("mediation", fixed={"party": "consumer"}),
    "api-mediation-party-joint": Spec("mediation", fixed={"party": "consumer"}),
    "api-mediation-proposals": Spec(
        "mediation",
        lambda w: {"kind": "refund", "amount": "1.00", "description": "o", "performance_days": 7},
    ),
    "api-mediation-proposal-accept": Spec("mediation", cross=MIRROR),
    "api-mediation-terminate": Spec(
        "mediation", lambda w: {"ground": "agreement_impossible", "reason": "outsider"}
    ),
    # The body's API.
    "api-arbitration-referral": Spec("referred", insider=BODY_TOKEN, insiders=BODY_ONLY),
    "api-arbitration-referral-file": Spec(
        "referred", insider=BODY_TOKEN, shows=False, insiders=BODY_ONLY
    ),
    "api-arbitration-ack": Spec("referred", insiders=BODY_ONLY),
    "api-arbitration-accept": Spec("referred", insiders=BODY_ONLY),
    "api-arbitration-decline": Spec(
        "referred", lambda w: {"reason": "outsider declines"}, insiders=BODY_ONLY
    ),
    "api-arbitration-info": Spec(
        "referred", lambda w: {"message": "outsider asks"}, insiders=BODY_ONLY
    ),
    "api-arbitration-settle": Spec("awarded", _terms, insiders=BODY_ONLY),
    "api-arbitration-award": Spec(
        "awarded",
        lambda w: {
            "file": cf.upload("a.pdf", cf.pdf_bytes(), "application/pdf"),
            "obligations": "outsider award",
            "due_on": _today(9),
        },
        insiders=BODY_ONLY,
    ),
    "api-arbitration-award-file": Spec(
        "awarded", insider=BODY_TOKEN, shows=False, insiders=BODY_ONLY
    ),
    # The parties' arbitration API.
    "api-case-arbitration": Spec("failed", insider="consumer", shows=False),
    "api-case-arbitration-agreement": Spec("failed", lambda w: {"body": w.body_pk}),
    "api-case-arbitration-refer": Spec("failed"),
    "api-case-arbitration-award": Spec("awarded", insider="consumer", shows=False),
    # Reports of violations (举报): the merchant reported is an outsider of every one.
    # Group complaints.
    "groups:detail": Spec("group", insider="consumer", shows=False),
    "groups:evidence_file": Spec("group", insider="consumer", shows=False),
    "groups:act": Spec("group", lambda w: {"body": "outsider"}, fixed={"action": "message"}),
    "api-group": Spec("group", insider="consumer", shows=False),
    "api-group-act": Spec("group", lambda w: {"action": "message", "body": "outsider"}),
    "reports:detail": Spec("jb", insider="consumer"),
    "reports:evidence": Spec("jb", insider="regulator", shows=False, insiders=OFFICE),
    "reports:verify": Spec("jb", insiders=OFFICE),
    "reports:extend": Spec("jb", lambda w: {"reason": "outsider"}, insiders=OFFICE),
    "reports:decide": Spec(
        "jb", lambda w: {"decision": "open", "reasons": "outsider"}, insiders=OFFICE
    ),
    "reports:finding": Spec(
        "jb", lambda w: {"finding": "violation", "summary": "outsider"}, insiders=OFFICE
    ),
    "api-report": Spec("jb", insider="consumer", shows=False),
    "api-report-verification": Spec("jb", insiders=OFFICE),
    "api-report-extension": Spec("jb", lambda w: {"reason": "outsider"}, insiders=OFFICE),
    "api-report-decision": Spec(
        "jb", lambda w: {"decision": "open", "reasons": "outsider"}, insiders=OFFICE
    ),
    "api-report-finding": Spec(
        "jb", lambda w: {"finding": "violation", "summary": "outsider"}, insiders=OFFICE
    ),
}

# Found by this module and not yet fixed: (route, method, outsider) -> what happens.
KNOWN: dict[tuple[str, str, str], str] = {}


def _outsiders(name: str, spec: Spec) -> list[str]:
    route = BY_NAME[name]
    insiders = spec.insiders if spec.insiders is not None else INSIDERS[spec.target]
    roles = [p for p in PEOPLE if p not in insiders]
    if route.api and spec.insiders is BODY_ONLY:
        roles.append(OTHER_BODY_TOKEN)
    return [*roles, ANONYMOUS, *spec.cross]


def _cases() -> list:
    params = []
    for name, spec in SPECS.items():
        if name not in BY_NAME:
            continue  # reported by test_every_route_naming_an_object_is_known
        for method in ("GET", "POST"):
            for role in _outsiders(name, spec):
                key = (name, method, role)
                marks = (
                    [pytest.mark.xfail(strict=True, reason=f"KNOWN: {KNOWN[key]}")]
                    if key in KNOWN
                    else []
                )
                params.append(pytest.param(name, method, role, marks=marks, id=" ".join(key)))
    return params


# --- The world -------------------------------------------------------------------------


@dataclass
class World:
    cast: cf.Cast
    users: dict  # role -> User
    clients: dict  # role -> a signed-in Client (pages)
    headers: dict  # role -> Authorization header (API)
    fill: dict  # target -> {param: value}
    own: dict  # role -> {param: value}: the outsider's own parent objects
    secrets: dict  # target -> [private strings]
    cases: dict  # target -> Case
    other_merchant_pk: int
    body_pk: int
    draft_sha256: str
    baseline: dict = field(default_factory=dict)


def _secret_case(case: Case, tag: str, n: int) -> list[str]:
    """Give a case private data that no other object shares, and return it."""
    phone = f"137{n:08d}"
    Case.objects.filter(pk=case.pk).update(
        facts=f"事实 SECRET-{tag}-FACTS",
        complainant_phone=f"+86{phone}",
        complainant_address=f"地址 SECRET-{tag}-ADDRESS",
        complainant_name=f"SECRET{tag}NAME",
    )
    case.refresh_from_db()
    return [f"SECRET-{tag}-FACTS", phone, f"SECRET-{tag}-ADDRESS", f"SECRET{tag}NAME"]


def _build(c: cf.Cast, colleague) -> World:
    capture = TestCase.captureOnCommitCallbacks
    consumer, staff, mediator = (c.actor(k) for k in ("consumer", "merchant_staff", "mediator"))
    # In negotiation: an open offer, a message, a piece of evidence.
    neg = cf.case_in(State.NEGOTIATION, c)
    offer = cf.offer(neg, staff, description="SECRET-NEG-OFFER 退款")
    negotiation.message_post(case=neg, actor=consumer, body="SECRET-NEG-MESSAGE 你好")
    evidence = evidence_services.evidence_add(
        uploaded_by=consumer, upload=_png("neg.png"), case=neg, description="SECRET-NEG-EVIDENCE"
    )
    # In mediation: the joint room, the consumer's caucus, a shared file, terms.
    med = cf.case_in(State.MEDIATION, c)
    chat.message_send(case=med, actor=consumer, room="joint", body="SECRET-MED-JOINT")
    chat.message_send(case=med, actor=consumer, room="caucus:consumer", body="SECRET-MED-CAUCUS")
    chat.message_send(case=med, actor=staff, room="caucus:merchant", body="SECRET-MED-M-CAUCUS")
    shared = chat.file_share(case=med, actor=consumer, room="joint", upload=_png("med.png"))
    proposal = tools.proposal_make(
        case=med, actor=mediator, kind="refund", description="SECRET-MED-TERMS", amount=Decimal(9)
    )
    # Proof of identity asked in mediation and provided: a file for staff only.
    identity.identity_request(case=med, actor=c.actor("regulator"), materials="身份证")
    identity.identity_provide(case=med, actor=consumer, uploads=[_png("identity.png")])
    proof = IdentityProof.objects.get(request__case=med)
    # Mediation failed; the agreement to arbitrate awaits the merchant's confirmation.
    failed = af.failed_case(c)
    draft_document = af.sign_directly(af.propose(c, failed), "consumer", c=c)
    # Referred to the body; and another, accepted and awarded.
    referral = af.referred(c, capture)
    awarded = af.referred(c, capture)
    actions.referral_accept(referral=awarded, actor=c.actor("arbitration_staff"))
    actions.award_record(
        referral=awarded,
        actor=c.actor("arbitration_staff"),
        pdf=cf.pdf_bytes(),
        obligations="SECRET-AWARD-OBLIGATIONS 退款",
        due_on=_today(10),
        amount="199.00",
    )
    closed = cf.case_in(State.CLOSED, c)
    cases = {
        "negotiation": neg,
        "mediation": med,
        "failed": failed,
        "referred": referral.case,
        "awarded": awarded.case,
        "closed": closed,
    }
    secrets = {
        target: _secret_case(case, target.upper(), n)
        for n, (target, case) in enumerate(cases.items(), start=1)
    }
    secrets["negotiation"] += ["SECRET-NEG-OFFER", "SECRET-NEG-MESSAGE", "SECRET-NEG-EVIDENCE"]
    secrets["mediation"] += [
        "SECRET-MED-JOINT",
        "SECRET-MED-CAUCUS",
        "SECRET-MED-M-CAUCUS",
        "SECRET-MED-TERMS",
    ]
    secrets["awarded"].append("SECRET-AWARD-OBLIGATIONS")

    # The outsiders' own parents: a case of the other consumer against the other merchant,
    # in mediation, and a draft of the other consumer.
    mirror = cf.case_in(
        State.MEDIATION,
        replace(
            c,
            consumer=c.other_consumer,
            merchant=c.other_merchant,
            merchant_staff=c.other_merchant_staff,
        ),
    )
    own_draft = ComplaintDraft.objects.create(consumer=c.other_consumer, data={})

    # A draft with a file.
    draft = ComplaintDraft.objects.create(
        consumer=c.consumer, data={"facts": "SECRET-DRAFT-FACTS", "category": "goods.food"}
    )
    draft_file = evidence_services.evidence_add(
        uploaded_by=consumer, upload=_png("draft.png"), draft=draft
    )
    secrets["draft"] = ["SECRET-DRAFT-FACTS"]

    # The consumer's notification.
    notification = (
        Notification.objects.filter(recipient=c.consumer, channel=Notification.Channel.INAPP)
        .order_by("pk")
        .first()
    )
    assert notification is not None, "the cases' events leave the consumer no notice"
    Notification.objects.filter(pk=notification.pk).update(
        subject="SECRET-NOTICE-SUBJECT", body="SECRET-NOTICE-BODY", read_at=None
    )
    secrets["notification"] = ["SECRET-NOTICE-SUBJECT", "SECRET-NOTICE-BODY"]

    # Credit: a record, an application to repair it, a negative-list entry.
    record = crf.make_record(c.merchant, "breach", days_ago=200)
    application = RepairApplication.objects.create(
        record=record,
        merchant=c.merchant,
        applied_by=c.merchant_staff,
        statement="SECRET-REPAIR-STATEMENT 已退款",
    )
    other_record = crf.make_record(c.other_merchant, "breach", days_ago=3)
    entry = NegativeListEntry.objects.create(
        merchant=c.merchant,
        reason="多次违约",
        review_on=timezone.localdate() + dt.timedelta(days=90),
        confirmed_by=c.regulator,
    )
    secrets["record"] = []
    secrets["application"] = ["SECRET-REPAIR-STATEMENT"]
    secrets["merchant"] = []
    secrets["entry"] = []

    # Supervision: an alert, a rule and a report of Linyi (371300).
    rules_seed_defaults()
    rule = rule_override(
        kind="merchant_spike",
        jurisdiction="371300",
        scope=Scope(jurisdictions=("371300",)),
        actor=c.regulator,
    )
    alert = spike_alert(
        c.merchant.pk,
        rule=rule,
        label="SECRET-ALERT-LABEL",
        window=_today(),
        cases=[neg.reference],
    )
    pdf = cf.pdf_bytes()
    report = MonthlyReport.objects.create(
        jurisdiction="371300",
        month=timezone.localdate().replace(day=1),
        status=MonthlyReport.Status.READY,
        progress=100,
        file=default_storage.save("reports/outsiders.pdf", ContentFile(pdf)),
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        created_at=timezone.now(),
    )
    # A named report by the consumer against the merchant, with a file.
    from reports.services.filing import ReportData, report_file

    jb = report_file(
        reporter=consumer,
        data=ReportData(
            violation_kind="price_fraud",
            facts="SECRET-JB-FACTS 多收钱",
            merchant=c.merchant,
            name="SECRETJBNAME",
            phone="+8613966600001",
            id_number="11010519491231002X",
            wants_notice=True,
            uploads=[_png("jb.png")],
        ),
    )
    # A group complaint of two of the consumer's cases, in its mediation, with a shared file.
    from groups.services import mediation as group_mediation
    from groups.services.membership import group_create

    group = group_create(
        actor=c.actor("regulator"),
        merchant=c.merchant,
        title="outsiders' group",
        case_ids=[cf.case_in(State.REVIEW, c).pk for _ in range(2)],
    )
    group_mediation.group_mediation_start(
        group=group, actor=c.actor("regulator"), mediator_id=str(c.mediator.pk)
    )
    group_file = group_mediation.group_evidence_add(
        group=group, actor=c.actor("regulator"), upload=_png("group.png")
    )
    secrets["group"] = []
    secrets["jb"] = ["SECRET-JB-FACTS", "SECRETJBNAME", "13966600001", "11010519491231002X"]
    secrets["alert"] = ["SECRET-ALERT-LABEL"]
    secrets["rule"] = []
    secrets["report"] = []
    secrets["figures"] = [c.merchant.name]

    fill = {
        "draft": {"draft_id": draft.pk, "evidence_id": draft_file.pk},
        "negotiation": {"ref": neg.reference, "offer_id": offer.pk, "evidence_id": evidence.pk},
        "mediation": {
            "ref": med.reference,
            "file_id": RoomFile.objects.get(message=shared.message).pk,
            "proposal_id": proposal.pk,
            "proof_id": proof.pk,
        },
        "failed": {"ref": failed.reference, "number": draft_document.number},
        "referred": {"ref": referral.case.reference},
        "awarded": {"ref": awarded.case.reference},
        "closed": {"ref": closed.reference},
        "notification": {"notification_id": notification.pk},
        "record": {"uscc": c.merchant.uscc, "record_id": record.pk},
        "application": {"application_id": application.pk},
        "merchant": {"uscc": c.merchant.uscc},
        "entry": {"entry_id": entry.pk},
        "alert": {"alert_id": alert.pk},
        "rule": {"rule_id": rule.pk},
        "report": {"report_id": report.pk},
        "figures": {},
        "jb": {"ref": jb.reference, "evidence_id": jb.evidence.get().pk},
        "group": {"ref": group.reference, "evidence_id": group_file.pk},
    }
    own = {
        "other_consumer@own": {"ref": mirror.reference, "draft_id": own_draft.pk},
        "other_merchant_staff@own": {"ref": mirror.reference, "uscc": c.other_merchant.uscc},
    }
    assert other_record.merchant_id == c.other_merchant.pk

    users = {role: getattr(c, role) for role in PEOPLE if role != "colleague_mediator"}
    users["colleague_mediator"] = colleague
    clients = {ANONYMOUS: Client()}
    headers = {ANONYMOUS: {}}
    for role, user in users.items():
        clients[role] = Client()
        people.login(clients[role], user)
        headers[role] = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    _row, secret = token_create(body=c.body, user=c.arbitration_staff, name="outsiders")
    headers[BODY_TOKEN] = {"Authorization": f"Bearer {secret}"}
    _row, secret = token_create(body=c.other_body, user=c.other_arbitration_staff, name="o")
    headers[OTHER_BODY_TOKEN] = {"Authorization": f"Bearer {secret}"}
    return World(
        cast=c,
        users=users,
        clients=clients,
        headers=headers,
        fill=fill,
        own=own,
        secrets=secrets,
        cases=cases,
        other_merchant_pk=c.other_merchant.pk,
        body_pk=c.body.pk,
        draft_sha256=draft_document.content_sha256,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once for the module (tests/worlds.py): what one request changes, the next
    does not see."""
    with rolled_back_cast(django_db_blocker, tmp_path_factory) as c:
        colleague = people.mediator(c.organisation)
        w = _build(c, colleague)
        w.baseline = db_fingerprint()
        yield w


# --- The database, before and after ----------------------------------------------------

# --- Requests --------------------------------------------------------------------------


def _params(w: World, name: str, spec: Spec, role: str) -> dict:
    route = BY_NAME[name]
    values = {**w.fill[spec.target], **w.own.get(role, {}), **spec.fixed}
    missing = [p for p in route.params if p not in values]
    assert not missing, f"{name}: the world has no {missing} for target {spec.target}"
    return {p: values[p] for p in route.params}


def _request(w: World, name: str, method: str, role: str, spec: Spec):
    route = BY_NAME[name]
    person = role.split("@")[0]
    path = reverse(name, kwargs=_params(w, name, spec, role))
    if route.api:
        client, headers = w.clients[ANONYMOUS], w.headers[person]
    else:
        client, headers = w.clients[person], {}
    if method == "GET":
        response = client.get(path, headers=headers)
    else:
        body = spec.body(w)
        files = any(isinstance(v, UploadedFile) for v in body.values())
        if route.api and not files:
            response = client.post(
                path, json.dumps(body), content_type="application/json", headers=headers
            )
        else:
            response = client.post(path, body, headers=headers)
    return path, response


def _content(response) -> str:
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)  # closes the file, as a server would
    else:
        data = response.content
    return data.decode("utf-8", "replace")


LOGIN_PAGES = ("/accounts/login/", "/accounts/staff-login/", "/admin/login/")


def _is_login_redirect(response) -> bool:
    return response.status_code in (301, 302) and response["Location"].startswith(LOGIN_PAGES)


# --- The tests -------------------------------------------------------------------------


def test_every_route_naming_an_object_is_known():
    """A new route with a path parameter fails here until the module can fill it and
    knows who its outsiders are (``SPECS``), or it is public by design (``PUBLIC``)."""
    with_params = {r.name for r in ROUTES if r.params and not r.admin}
    unknown = sorted(with_params - set(SPECS) - set(PUBLIC))
    assert not unknown, f"routes naming an object that tests/test_outsiders.py skips: {unknown}"
    gone = sorted((set(SPECS) | set(PUBLIC)) - with_params)
    assert not gone, f"SPECS or PUBLIC name routes that no longer exist: {gone}"
    strange = sorted(
        (r.name, p)
        for r in ROUTES
        if not r.admin
        for p in r.params
        if p not in OBJECT_PARAMS | QUALIFIERS
    )
    assert not strange, f"parameters this module cannot fill: {strange}"
    for name, spec in SPECS.items():
        assert set(spec.fixed) <= QUALIFIERS, name
        assert set(spec.fixed) | set(OBJECT_PARAMS) >= set(BY_NAME[name].params), name


@pytest.mark.parametrize(("name", "method", "role"), _cases())
def test_outsider_is_refused(world: World, name: str, method: str, role: str):
    spec = SPECS[name]
    person = role.split("@")[0]
    if spec.target in CASE_TARGETS and spec.insiders is None and person in world.users:
        # The table above says who is an outsider; the case itself must agree.
        case = world.cases[spec.target]
        assert not case_roles(case, world.users[person]), f"{person} has a role on {case}"
    try:
        path, response = _request(world, name, method, role, spec)
    except Exception as exc:  # the test client re-raises what would be a 500
        pytest.fail(f"{method} {name} as {role}: server error {exc!r}")
    status = response.status_code
    body = _content(response)
    where = f"{method} {path} as {role} -> {status}"
    assert status < 500, where
    if role in spec.scoped and status == 200:
        pass  # their own scope: what is not theirs must still be absent (below)
    elif "@" in role:
        # Under a parent of their own: any refusal (a 400 or a 409 from a service that
        # looks the child up inside that parent is one).
        assert 400 <= status < 500, where
    elif role == ANONYMOUS and not BY_NAME[name].api:
        assert _is_login_redirect(response) or status in (403, 404, 405), where
    else:
        assert status in (401, 403, 404, 405) or _is_login_redirect(response), where
    leaked = [s for s in world.secrets[spec.target] if s in body]
    assert not leaked, f"{where}: the answer shows {leaked}"
    after = db_fingerprint()
    changed = sorted(k for k in after if after[k] != world.baseline.get(k))
    assert not changed, f"{where}: changed {changed}"


def _insider_cases() -> list:
    return [
        pytest.param(name, spec.insider, id=f"{name} as {spec.insider}")
        for name, spec in SPECS.items()
        if spec.insider and name in BY_NAME
    ]


@pytest.mark.parametrize(("name", "role"), _insider_cases())
def test_owner_gets_the_object(world: World, name: str, role: str):
    """The objects are real and the checks above can fail: an owner's GET of the same
    route gets 200 and, on the pages about the object, its private data."""
    spec = SPECS[name]
    path, response = _request(world, name, "GET", role, spec)
    body = _content(response)
    assert response.status_code == 200, f"GET {path} as {role} -> {response.status_code}"
    if spec.shows:
        assert any(s in body for s in world.secrets[spec.target]), f"GET {path} as {role}"


def test_the_database_check_can_fail(world: World):
    """What the outsiders' requests are compared with: an owner's message changes it."""
    path, response = _request(
        world, "cases:message_post", "POST", "consumer", SPECS["cases:message_post"]
    )
    assert response.status_code == 302, path
    assert db_fingerprint() != world.baseline


# Inside a case, a party's caucus is still not the other party's (cases/rooms.py): every
# page and answer about the case in mediation, as each party, without the other's caucus.
CAUCUS_VIEWS = [
    ("mediation:room", ""),
    ("mediation:panel", ""),
    ("cases:detail", ""),
    ("api-case", ""),
    ("api-mediation", ""),
    ("api-case-transcript", ""),
    ("api-case-events", ""),
    ("api-case-messages", "?room=joint"),
    ("api-case-messages", "?room=caucus:consumer"),
    ("api-case-messages", "?room=caucus:merchant"),
]
CAUCUS_OF = {"consumer": "SECRET-MED-M-CAUCUS", "merchant_staff": "SECRET-MED-CAUCUS"}


@pytest.mark.parametrize("role", sorted(CAUCUS_OF))
@pytest.mark.parametrize(("name", "query"), CAUCUS_VIEWS)
def test_a_party_never_sees_the_other_partys_caucus(world: World, name, query, role):
    path = reverse(name, kwargs={"ref": world.fill["mediation"]["ref"]}) + query
    if BY_NAME[name].api:
        response = world.clients[ANONYMOUS].get(path, headers=world.headers[role])
    else:
        response = world.clients[role].get(path)
    body = _content(response)
    assert response.status_code in (200, 403), f"GET {path} as {role}"
    assert CAUCUS_OF[role] not in body, f"GET {path} as {role} shows the other's caucus"
    assert db_fingerprint() == world.baseline


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_pages_show_no_private_data(world: World, name: str):
    """The public routes that name an object answer anyone, without any case's private
    data (masked names, no facts, no phone numbers)."""
    route = BY_NAME[name]
    everything = [s for secrets in world.secrets.values() for s in secrets]
    everything.remove(world.cast.merchant.name)  # a merchant's name is public
    if "number" in route.params:
        numbers = [world.fill["failed"]["number"]]
        numbers += list(
            world.cases["referred"]
            .documents.filter(kind=Kind.ARBITRATION_REFERRAL)
            .values_list("number", flat=True)
        )
        paths = [reverse(name, kwargs={"number": n}) for n in numbers]
    else:
        paths = [reverse(name, kwargs={"uscc": world.cast.merchant.uscc})]
    for path in paths:
        response = world.clients[ANONYMOUS].get(path)
        body = _content(response)
        assert response.status_code == 200, f"GET {path} -> {response.status_code}"
        leaked = [s for s in everything if s in body]
        assert not leaked, f"GET {path}: the public answer shows {leaked}"


# --- The admin -------------------------------------------------------------------------

ADMIN_ROUTES = [r for r in ROUTES if r.admin and r.params]


def _admin_object(route: Route):
    match = re.match(r"admin/(\w+)/(\w+)/", route.pattern)
    if match is None:
        return None
    try:
        return apps.get_model(*match.groups())
    except LookupError:
        return None


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=[r.pattern for r in ADMIN_ROUTES])
def test_admin_refuses_everyone_but_administrators(world: World, route: Route):
    """Every admin page naming an object (a real one where the model has rows) sends
    everyone but the administrator to the admin's login page, and changes nothing."""
    model = _admin_object(route)
    pk = model._base_manager.order_by("pk").values_list("pk", flat=True).first() if model else 1
    values = {"object_id": pk, "id": pk, "content_type_id": 1, "app_label": "cases"}
    path = "/" + re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), route.pattern
    )
    path = path.replace("^", "").replace("$", "")
    for role in (
        ANONYMOUS,
        "consumer",
        "merchant_staff",
        "regulator",
        "mediator",
        "arbitration_staff",
    ):
        for method in ("get", "post"):
            response = getattr(world.clients[role], method)(path)
            where = f"{method.upper()} {path} as {role} -> {response.status_code}"
            assert response.status_code in (302, 404), where
            if response.status_code == 302:
                assert response["Location"].startswith("/admin/login/"), where
    assert db_fingerprint() == world.baseline
