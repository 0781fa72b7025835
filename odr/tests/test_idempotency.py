"""Idempotency-Key: a retried POST gets the first answer and does the work once."""

import datetime as dt

import pytest

from accounts.tests import factories as f
from cases.models import Case
from odr.models import IdempotencyRecord

pytestmark = pytest.mark.django_db


def _complaint(merchant) -> dict:
    return {
        "complainant_name": "张三",
        "complainant_phone": "+8613800000001",
        "complainant_address": "临沂市兰山区",
        "merchant": merchant.pk,
        "category": "goods.food",
        "purchase_date": (dt.date.today() - dt.timedelta(days=3)).isoformat(),
        "facts": "水果腐烂",
        "request": "退款",
    }


def test_retry_with_the_same_key_files_one_complaint(client):
    consumer = f.login(client, f.consumer())
    merchant = f.MerchantFactory()
    first = client.post(
        "/api/v1/cases/",
        _complaint(merchant),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    second = client.post(
        "/api/v1/cases/",
        _complaint(merchant),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["reference"] == second.json()["reference"]
    assert second["Idempotent-Replay"] == "true"
    assert Case.objects.filter(consumer=consumer).count() == 1


def test_another_key_is_another_complaint(client):
    consumer = f.login(client, f.consumer())
    merchant = f.MerchantFactory()
    for key in ("a", "b"):
        client.post(
            "/api/v1/cases/",
            _complaint(merchant),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
    assert Case.objects.filter(consumer=consumer).count() == 2


def test_failed_request_can_be_retried_with_the_same_key(client):
    consumer = f.login(client, f.consumer())
    merchant = f.MerchantFactory()
    bad = {**_complaint(merchant), "facts": ""}
    first = client.post(
        "/api/v1/cases/", bad, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert first.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    second = client.post(
        "/api/v1/cases/",
        _complaint(merchant),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert second.status_code == 201
    assert Case.objects.filter(consumer=consumer).count() == 1


def test_key_reused_on_another_endpoint_is_refused(client):
    f.login(client, f.consumer())
    merchant = f.MerchantFactory()
    client.post(
        "/api/v1/cases/",
        _complaint(merchant),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    ref = Case.objects.get().reference
    response = client.post(
        f"/api/v1/cases/{ref}/messages/",
        {"body": "hi"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"


def test_keys_are_per_user(client):
    merchant = f.MerchantFactory()
    f.login(client, f.consumer())
    client.post(
        "/api/v1/cases/",
        _complaint(merchant),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    f.login(client, f.consumer())
    response = client.post(
        "/api/v1/cases/",
        _complaint(merchant),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 201
    assert Case.objects.count() == 2
