"""The case pages: the complaint wizard, lists, the case page and who may do what there."""

import datetime as dt
import struct
import zlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.tests import factories as f
from cases.models import Case, ComplaintDraft, Evidence, Offer
from cases.services.intake import ComplaintData, case_submit

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"\x00\xff\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _enrolled_merchant():
    return f.MerchantFactory(odr_joined_on=dt.date(2025, 1, 1))


def _case(consumer, merchant):
    return case_submit(
        consumer=consumer,
        data=ComplaintData(
            complainant_name="张三",
            complainant_phone=consumer.phone,
            complainant_address="临沂",
            facts="耳机坏了",
            request="退款",
            category="goods.electronics",
            purchase_date=timezone.localdate() - dt.timedelta(days=3),
            merchant=merchant,
            amount=Decimal("199.00"),
        ),
    )


def test_wizard_end_to_end_with_a_photo(client):
    consumer = f.login(client, f.consumer())
    merchant = _enrolled_merchant()
    start = client.get("/cases/new/")
    draft = ComplaintDraft.objects.get(consumer=consumer)
    assert start["Location"] == f"/cases/new/{draft.pk}/merchant/"
    search = client.get(f"/cases/new/{draft.pk}/merchant/", {"q": merchant.name[:4]})
    assert merchant.name in search.text
    client.post(f"/cases/new/{draft.pk}/merchant/choose/", {"merchant": merchant.pk})
    client.post(f"/cases/new/{draft.pk}/merchant/", {"merchant": merchant.pk})
    facts = client.post(
        f"/cases/new/{draft.pk}/facts/",
        {
            "category": "goods.electronics",
            "purchase_date": "2026-11-01",
            "amount": "199.00",
            "order_number": "T-1",
            "facts": "耳机左耳无声",
        },
    )
    assert facts["Location"] == f"/cases/new/{draft.pk}/request/"
    client.post(
        f"/cases/new/{draft.pk}/request/",
        {
            "request": "退款 199 元",
            "complainant_name": "张三",
            "complainant_phone": consumer.phone,
            "complainant_address": "临沂市兰山区",
            "agrees_to_delegated_mediation": "on",
        },
    )
    upload = client.post(
        f"/cases/new/{draft.pk}/evidence/",
        {"file": SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")},
    )
    assert upload.status_code == 302
    assert Evidence.objects.filter(draft=draft).count() == 1
    review = client.get(f"/cases/new/{draft.pk}/review/")
    assert "耳机左耳无声" in review.text
    submitted = client.post(f"/cases/new/{draft.pk}/review/")
    case = Case.objects.get(consumer=consumer)
    assert submitted["Location"] == f"/cases/{case.reference}/"
    assert case.state == "negotiation"
    assert case.evidence.count() == 1
    assert not ComplaintDraft.objects.filter(pk=draft.pk).exists()
    page = client.get(f"/cases/{case.reference}/")
    assert page.status_code == 200
    assert "photo.png" in page.text


def test_a_refused_upload_keeps_the_draft(client):
    consumer = f.login(client, f.consumer())
    client.get("/cases/new/")
    draft = ComplaintDraft.objects.get(consumer=consumer)
    client.post(f"/cases/new/{draft.pk}/facts/", {"category": "goods.food", "facts": "坏了"})
    refused = client.post(
        f"/cases/new/{draft.pk}/evidence/",
        {"file": SimpleUploadedFile("photo.jpg", b"\x7fELF" + b"\x00" * 64)},
    )
    assert refused.status_code == 400
    assert 'class="error"' in refused.text
    draft.refresh_from_db()
    assert draft.data["facts"] == "坏了"
    assert not Evidence.objects.exists()


def test_missing_facts_are_shown_on_the_review_step_and_nothing_is_lost(client):
    consumer = f.login(client, f.consumer())
    client.get("/cases/new/")
    draft = ComplaintDraft.objects.get(consumer=consumer)
    client.post(f"/cases/new/{draft.pk}/facts/", {"category": "goods.food", "facts": "坏了"})
    response = client.post(f"/cases/new/{draft.pk}/review/")
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert not Case.objects.exists()
    assert ComplaintDraft.objects.get(pk=draft.pk).data["facts"] == "坏了"


def test_only_consumers_use_the_wizard(client):
    f.login(client, f.merchant_staff())
    assert client.get("/cases/new/").status_code == 403


def test_another_consumers_draft_is_404(client):
    other = f.consumer()
    draft = ComplaintDraft.objects.create(consumer=other, data={})
    f.login(client, f.consumer())
    assert client.get(f"/cases/new/{draft.pk}/facts/").status_code == 404


def test_negotiation_through_the_pages(client):
    consumer = f.consumer()
    merchant = _enrolled_merchant()
    staff = f.merchant_staff(merchant=merchant)
    case = _case(consumer, merchant)
    f.login(client, staff)
    inbox = client.get("/cases/")
    assert case.reference in inbox.text
    client.post(
        f"/cases/{case.reference}/offers/",
        {
            "kind": "refund",
            "amount": "100",
            "description": "退一半",
            "valid_until": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
            "performance_days": 7,
        },
    )
    first = Offer.objects.get(case=case)
    f.login(client, consumer)
    client.post(
        f"/cases/{case.reference}/offers/",
        {
            "kind": "refund",
            "amount": "199",
            "description": "全额",
            "counter_to": first.pk,
            "valid_until": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
            "performance_days": 7,
        },
    )
    counter = Offer.objects.get(case=case, side="consumer")
    f.login(client, staff)
    client.post(f"/cases/{case.reference}/offers/{counter.pk}/accept/")
    case.refresh_from_db()
    assert case.state == "settled"
    page = client.get(f"/cases/{case.reference}/")
    assert 'data-state="settled"' in page.text


def test_refusals_are_messages_not_errors(client):
    consumer = f.consumer()
    case = _case(consumer, _enrolled_merchant())
    f.login(client, consumer)
    response = client.post(f"/cases/{case.reference}/transition/accept/", follow=True)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.state == "negotiation"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/cases/{ref}/"),
        ("get", "/cases/{ref}/evidence/{eid}/"),
        ("post", "/cases/{ref}/offers/"),
        ("post", "/cases/{ref}/messages/"),
        ("post", "/cases/{ref}/evidence/"),
        ("post", "/cases/{ref}/transition/withdraw/"),
    ],
)
@pytest.mark.parametrize("who", ["stranger", "other_merchant"])
def test_strangers_and_other_merchants_are_refused(client, method, path, who):
    consumer = f.consumer()
    case = _case(consumer, _enrolled_merchant())
    evidence = Evidence.objects.create(
        case=case,
        uploaded_by=consumer,
        kind="png",
        original_name="a.png",
        size=1,
        sha256="0" * 64,
        file="evidence/x.png",
    )
    user = f.consumer() if who == "stranger" else f.merchant_staff()
    f.login(client, user)
    events = case.events.count()
    url = path.format(ref=case.reference, eid=evidence.pk)
    response = getattr(client, method)(url, {"body": "hi", "kind": "refund", "description": "x"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == "negotiation"
    assert case.events.count() == events


def test_unknown_case_is_404(client):
    f.login(client, f.consumer())
    assert client.get("/cases/LY-2026-999999/").status_code == 404


def test_review_queue_for_regulators_only(client):
    consumer = f.consumer()
    case = _case(consumer, f.MerchantFactory())  # not enrolled: goes to review
    f.login(client, f.regulator())
    page = client.get("/cases/review/")
    assert case.reference in page.text
    f.login(client, consumer)
    assert client.get("/cases/review/").status_code == 403


def test_case_page_in_english(client):
    consumer = f.consumer()
    case = _case(consumer, _enrolled_merchant())
    f.login(client, consumer)
    client.cookies["django_language"] = "en"
    page = client.get(f"/cases/{case.reference}/")
    assert "Deadlines" in page.text
    assert "Withdraw the complaint" in page.text
