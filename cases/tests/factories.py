"""Cases driven into each state through the real services, and the people around them.

Tests build state the way production does (``case_submit``, ``case_transition``,
``offer_make``/``offer_accept``), so a test of a transition from ``arbitrating`` also
proves that the path to ``arbitrating`` works. Only what has no service yet is set
directly (the arbitration agreement both parties sign: ``arbitration_consented``).
"""

import contextlib
import datetime as dt
import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import ArbitrationBody, MediationOrganisation, Merchant, User
from accounts.tests import factories as af
from cases.models import SYSTEM, Case, CaseEvent, Deadline, Offer, State
from cases.services import negotiation
from cases.services.intake import ComplaintData, case_reference_next, case_submit
from cases.services.transitions import case_transition

CHINA = ZoneInfo("Asia/Shanghai")
D = dt.date


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An aware moment in Beijing time (statutory time)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHINA)


@contextlib.contextmanager
def frozen(when: dt.datetime) -> Iterator[None]:
    """Stop the clock at ``when`` for every service (they all read ``timezone.now``).

    In UTC, as ``timezone.now`` gives it: the event hash covers ``created_at.isoformat()``.
    """
    with mock.patch("django.utils.timezone.now", return_value=when.astimezone(dt.UTC)):
        yield


def today() -> dt.date:
    return timezone.localdate()


# --- People ----------------------------------------------------------------------------


def enrolled_merchant(**kwargs) -> Merchant:
    """A merchant that answers complaints on the platform (ODR) since 2020."""
    kwargs.setdefault("odr_joined_on", D(2020, 1, 1))
    return af.MerchantFactory(**kwargs)


ACTORS = (
    "consumer",
    "other_consumer",
    "merchant_staff",
    "other_merchant_staff",
    "regulator",
    "other_regulator",
    "mediator",
    "other_mediator",
    "arbitration_staff",
    "other_arbitration_staff",
    "admin",
    "system",
)


@dataclass
class Cast:
    """Everyone who may stand (or not) in a case: one of each actor kind, and a stranger."""

    merchant: Merchant
    other_merchant: Merchant
    organisation: MediationOrganisation
    other_organisation: MediationOrganisation
    body: ArbitrationBody
    other_body: ArbitrationBody
    consumer: User
    other_consumer: User
    merchant_staff: User
    other_merchant_staff: User
    regulator: User  # jurisdiction 371300 covers the case's division 371302
    other_regulator: User  # 350100 (Fuzhou) does not
    mediator: User  # the one the regulator assigns
    other_mediator: User
    arbitration_staff: User  # staff of the body the case is referred to
    other_arbitration_staff: User
    admin: User

    def actor(self, kind: str):
        """A fresh instance per call: roles are cached on a user object by ``case_roles``."""
        if kind == "system":
            return SYSTEM
        return User.objects.get(pk=getattr(self, kind).pk)


def cast() -> Cast:
    merchant = enrolled_merchant()
    other_merchant = enrolled_merchant()
    organisation = af.MediationOrganisationFactory(division_code="371300")
    other_organisation = af.MediationOrganisationFactory(division_code="371300")
    body = af.ArbitrationBodyFactory()
    other_body = af.ArbitrationBodyFactory()
    return Cast(
        merchant=merchant,
        other_merchant=other_merchant,
        organisation=organisation,
        other_organisation=other_organisation,
        body=body,
        other_body=other_body,
        consumer=af.consumer(),
        other_consumer=af.consumer(),
        merchant_staff=af.merchant_staff(merchant),
        other_merchant_staff=af.merchant_staff(other_merchant),
        regulator=af.regulator("371300"),
        other_regulator=af.regulator("350100"),
        mediator=af.mediator(organisation),
        other_mediator=af.mediator(other_organisation),
        arbitration_staff=af.arbitration_staff(body),
        other_arbitration_staff=af.arbitration_staff(other_body),
        admin=af.administrator(),
    )


# --- Complaints ------------------------------------------------------------------------


def complaint(**overrides) -> ComplaintData:
    """A complete complaint (every fact SAMR requires), bought three days ago."""
    values = {
        "complainant_name": "张三",
        "complainant_phone": "+8613800000001",
        "complainant_address": "山东省临沂市兰山区金雀山路1号",
        "facts": "网购的苹果收到时已经腐烂。",
        "request": "退款199元。",
        "category": "goods.food",
        "purchase_date": today() - dt.timedelta(days=3),
        "amount": Decimal("199.00"),
        "order_number": "",
        "language": "zh-hans",
    }
    values.update(overrides)
    return ComplaintData(**values)


def complaint_json(merchant: Merchant | None = None, **overrides) -> dict:
    """The same complaint as the API takes it."""
    body = {
        "complainant_name": "张三",
        "complainant_phone": "+8613800000001",
        "complainant_address": "山东省临沂市兰山区金雀山路1号",
        "merchant": merchant.pk if merchant else None,
        "category": "goods.food",
        "purchase_date": (today() - dt.timedelta(days=3)).isoformat(),
        "amount": "199.00",
        "facts": "网购的苹果收到时已经腐烂。",
        "request": "退款199元。",
    }
    body.update(overrides)
    return body


def submit(
    *,
    consumer: User | None = None,
    merchant: Merchant | None = None,
    now: dt.datetime | None = None,
    **overrides,
) -> Case:
    """File a complaint through ``case_submit``; an enrolled merchant unless one is given."""
    consumer = consumer or af.consumer()
    if merchant is None and "merchant_name" not in overrides:
        merchant = enrolled_merchant()
    if now is not None:
        overrides.setdefault("purchase_date", timezone.localdate(now) - dt.timedelta(days=3))
    return case_submit(consumer=consumer, data=complaint(merchant=merchant, **overrides), now=now)


def submitted_case(c: Cast) -> Case:
    """A case still in 'submitted': intake routes at once, so this is created bare."""
    with transaction.atomic():
        reference = case_reference_next(year=today().year)
        return Case.objects.create(
            reference=reference,
            ruleset="samr-order-121",
            submitted_at=timezone.now(),
            consumer=c.consumer,
            complainant_name="张三",
            complainant_phone="+8613800000001",
            complainant_address="山东省临沂市兰山区",
            merchant=c.merchant,
            merchant_name=c.merchant.name,
            division_code=c.merchant.division_code,
            category="goods.food",
            knew_of_harm_on=today() - dt.timedelta(days=3),
            facts="苹果腐烂",
            request="退款",
        )


def terms(**overrides) -> dict:
    body = {
        "description": "退款199元",
        "amount": "199.00",
        "performance_due_on": (today() + dt.timedelta(days=7)).isoformat(),
    }
    body.update(overrides)
    return body


# The fields each transition takes, valid for a case of the cast (rule set Order 121).
def transition_data(c: Cast, name: str) -> dict:
    return {
        "settle": terms(),
        "escalate": {"reason": "商家不回应"},
        "accept": {"mediator": str(c.mediator.pk)},
        "reject": {"ground": "outside_remit", "reason": "不属于本局职责"},
        "reach_agreement": terms(),
        "terminate": {"ground": "agreement_impossible", "reason": "双方分歧太大"},
        "refer_to_arbitration": {"body": str(c.body.pk)},
        "close": {},
        "arbitration_decline": {"reason": "不属于本会受理范围"},
        "record_award": terms(description="裁决退款199元"),
        "report_breach": {"reason": "商家没有退款"},
        "withdraw": {"reason": "已自行解决"},
    }.get(name, {})


def offer(case: Case, actor: User, **overrides) -> Offer:
    values = {
        "kind": Offer.Kind.REFUND,
        "amount": Decimal("150.00"),
        "description": "退款150元",
        "valid_until": today() + dt.timedelta(days=5),
        "performance_days": 7,
    }
    values.update(overrides)
    return negotiation.offer_make(case=case, actor=actor, **values)


def _step(case: Case, c: Cast, name: str, actor_kind: str) -> Case:
    return case_transition(
        case=case, name=name, actor=c.actor(actor_kind), data=transition_data(c, name)
    )


def case_in(state: str, c: Cast, *, consented: bool = True) -> Case:
    """A case of the cast's consumer against the cast's merchant, driven into ``state``."""
    if state == State.SUBMITTED:
        return submitted_case(c)
    case = submit(consumer=c.consumer, merchant=c.merchant)
    assert case.state == State.NEGOTIATION
    if state == State.NEGOTIATION:
        return case
    if state in (State.SETTLED, State.CLOSED):
        proposal = offer(case, c.actor("merchant_staff"))
        case = negotiation.offer_accept(offer=proposal, actor=c.actor("consumer"))
        if state == State.CLOSED:
            case = _step(case, c, "confirm_performance", "consumer")
        return case
    if state == State.WITHDRAWN:
        return _step(case, c, "withdraw", "consumer")
    case = _step(case, c, "escalate", "consumer")
    if state == State.REVIEW:
        return case
    if state == State.REJECTED:
        return _step(case, c, "reject", "regulator")
    case = _step(case, c, "accept", "regulator")
    if state == State.MEDIATION:
        return case
    case = _step(case, c, "terminate", "mediator")
    if consented:
        Case.objects.filter(pk=case.pk).update(arbitration_consented=True)
        case.refresh_from_db()
    if state == State.MEDIATION_FAILED:
        return case
    case = _step(case, c, "refer_to_arbitration", "consumer")
    if state == State.REFERRED:
        return case
    case = _step(case, c, "arbitration_accept", "arbitration_staff")
    if state == State.ARBITRATING:
        return case
    case = _step(case, c, "record_award", "arbitration_staff")
    assert state == State.AWARDED, state
    return case


# --- What a test compares before and after --------------------------------------------


def snapshot(case: Case) -> tuple:
    """Everything a refused action must leave as it was."""
    fresh = Case.objects.get(pk=case.pk)
    return (
        fresh.state,
        fresh.mediator_id,
        fresh.arbitration_body_id,
        fresh.ground,
        fresh.reason,
        fresh.outcome,
        fresh.settlement_terms,
        fresh.performance_due_on,
        fresh.closed_at,
        list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("seq", "hash")),
        sorted(Deadline.objects.filter(case=case).values_list("clock", "status", "due_on")),
        sorted(Offer.objects.filter(case=case).values_list("pk", "status")),
    )


def event_kinds(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("kind", flat=True))


# --- Evidence files, real and minimal --------------------------------------------------


def jpeg_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def pdf_bytes() -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def mp4_bytes() -> bytes:
    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", 8 + len(body)) + kind + body

    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    return ftyp + box(b"moov", box(b"mvhd", b"\x00" * 100))


def elf_bytes() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)
