"""The arbitration API: tokens, scoping, the body's actions, the parties' endpoints."""

import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from arbitration.models import ApiToken, Award, Referral
from arbitration.services.tokens import token_create, token_revoke
from arbitration.tests import factories as f
from cases.models import Case, CaseEvent, State

pytestmark = pytest.mark.django_db

BASE = "/api/v1/arbitration/referrals/"


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def world(c, django_capture_on_commit_callbacks):
    mine = f.referred(c, django_capture_on_commit_callbacks)
    theirs = f.referred(c, django_capture_on_commit_callbacks, body=c.other_body)
    row, token = token_create(body=c.body, user=c.arbitration_staff, name="CMS")
    other_row, other = token_create(body=c.other_body, user=c.other_arbitration_staff, name="CMS")
    return {
        "mine": mine,
        "theirs": theirs,
        "a": _client(token),
        "b": _client(other),
        "rate_keys": [f"arbitration:rate:token:{r.pk}" for r in (row, other_row)],
    }


def _url(referral: Referral, suffix: str = "") -> str:
    return f"{BASE}{referral.case.reference}/{suffix}"


def _award_form(**overrides):
    form = {
        "file": SimpleUploadedFile("award.pdf", f.pdf_bytes("award"), "application/pdf"),
        "obligations": "被申请人退款199元",
        "amount": "199.00",
        "due_on": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
    }
    form.update(overrides)
    return form


def test_tokens_are_stored_hashed(c):
    row, token = token_create(body=c.body, user=c.arbitration_staff, name="x")
    assert token.startswith("odrarb_")
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ApiToken.objects.filter(pk=row.pk).values().get())


def test_a_token_needs_a_staff_member_of_its_body(c):
    from odr.errors import DomainError

    with pytest.raises(DomainError):
        token_create(body=c.body, user=c.other_arbitration_staff, name="x")


@pytest.mark.parametrize("header", ["Bearer odrarb_wrong", "Bearer nope", "Bearer", "Bearer a b"])
def test_a_bad_token_is_401(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(BASE)
    assert response.status_code == 401
    assert "error" in response.json()


def test_a_revoked_token_is_refused(world, c):
    row, token = token_create(body=c.body, user=c.arbitration_staff, name="old")
    token_revoke(token=row)
    assert _client(token).get(BASE).status_code == 401


def test_a_token_stops_working_when_its_user_leaves_the_body(world, c):
    _row, token = token_create(body=c.body, user=c.arbitration_staff, name="x")
    c.arbitration_staff.roles.all().delete()
    assert _client(token).get(BASE).status_code == 401


def test_the_list_holds_only_the_bodys_own_referrals(world):
    a = world["a"].get(BASE).json()
    assert [r["reference"] for r in a["results"]] == [world["mine"].case.reference]
    b = world["b"].get(BASE).json()
    assert [r["reference"] for r in b["results"]] == [world["theirs"].case.reference]


ENDPOINTS = [
    ("get", ""),
    ("get", "file/"),
    ("get", "award/file/"),
    ("post", "acknowledge/"),
    ("post", "accept/"),
    ("post", "decline/"),
    ("post", "information-requests/"),
    ("post", "settlement/"),
    ("post", "award/"),
]


@pytest.mark.parametrize(("method", "suffix"), ENDPOINTS)
def test_body_a_cannot_touch_body_bs_referral(world, method, suffix):
    theirs = world["theirs"]
    before = CaseEvent.objects.filter(case=theirs.case).count()
    data = {"reason": "x", "message": "x", "description": "x", "performance_due_on": "2099-01-01"}
    if suffix == "award/":
        response = world["a"].post(_url(theirs, suffix), _award_form(), format="multipart")
    else:
        response = getattr(world["a"], method)(_url(theirs, suffix), data, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_your_referral"
    theirs.refresh_from_db()
    assert theirs.status == Referral.Status.DELIVERED
    assert CaseEvent.objects.filter(case=theirs.case).count() == before
    assert Case.objects.get(pk=theirs.case_id).state == State.REFERRED


def test_staff_signed_in_are_scoped_the_same_way(world, c, client):
    f.cf.af.login(client, c.arbitration_staff)
    assert client.get(_url(world["mine"])).status_code == 200
    assert client.get(_url(world["theirs"])).status_code == 403
    assert client.get(_url(world["theirs"], "file/")).status_code == 403


def test_parties_and_strangers_get_no_referral(world, c, client):
    f.cf.af.login(client, c.consumer)
    response = client.get(_url(world["mine"]))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_arbitration_staff"
    assert client.get(BASE).json()["results"] == []


def test_an_unknown_case_is_404(world):
    assert world["a"].get(f"{BASE}LY-2099-999999/").status_code == 404


def test_detail_and_file(world):
    mine = world["mine"]
    detail = world["a"].get(_url(mine)).json()
    assert detail["status"] == "delivered"
    assert detail["manifest_sha256"] == mine.manifest_sha256
    assert detail["applicant"] == {"name": "张三", "role": "consumer"}
    response = world["a"].get(_url(mine, "file/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == mine.file_sha256 == response["X-Content-SHA256"]


def test_acknowledge_is_recorded_once(world):
    mine = world["mine"]
    for _ in range(2):
        response = world["a"].post(_url(mine, "acknowledge/"))
        assert response.status_code == 200
        assert response.json()["status"] == "acknowledged"
    assert CaseEvent.objects.filter(case=mine.case, kind="arbitration.acknowledged").count() == 1


def test_accept_then_award_moves_the_case_to_awarded(world, c, client):
    mine = world["mine"]
    assert world["a"].post(_url(mine, "accept/")).json()["status"] == "accepted"
    assert Case.objects.get(pk=mine.case_id).state == State.ARBITRATING
    response = world["a"].post(_url(mine, "award/"), _award_form(), format="multipart")
    assert response.status_code == 201, response.json()
    case = Case.objects.get(pk=mine.case_id)
    assert case.state == State.AWARDED
    assert case.settlement_terms == {"description": "被申请人退款199元", "amount": "199.00"}
    assert case.deadlines.filter(clock="performance", status="running").count() == 1
    award = Award.objects.get(referral=mine)
    assert award.sha256 == hashlib.sha256(f.pdf_bytes("award")).hexdigest()
    mine.refresh_from_db()
    assert mine.status == Referral.Status.AWARDED
    # The consumer sees the award and downloads its PDF.
    f.cf.af.login(client, c.consumer)
    seen = client.get(f"/api/v1/cases/{case.reference}/arbitration/").json()
    assert seen["award"]["obligations"] == "被申请人退款199元"
    pdf = client.get(f"/api/v1/cases/{case.reference}/arbitration/award/")
    assert b"".join(pdf.streaming_content) == f.pdf_bytes("award")


def test_an_award_needs_acceptance_a_pdf_and_terms(world):
    mine = world["mine"]
    response = world["a"].post(_url(mine, "award/"), _award_form(), format="multipart")
    assert response.status_code == 409
    world["a"].post(_url(mine, "accept/"))
    not_pdf = _award_form(file=SimpleUploadedFile("a.pdf", b"hello", "application/pdf"))
    response = world["a"].post(_url(mine, "award/"), not_pdf, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
    late = _award_form(due_on="2000-01-01")
    response = world["a"].post(_url(mine, "award/"), late, format="multipart")
    assert response.status_code == 400
    assert Case.objects.get(pk=mine.case_id).state == State.ARBITRATING
    assert not Award.objects.exists()


def test_decline_returns_the_case_to_mediation_failed(world):
    mine = world["mine"]
    response = world["a"].post(
        _url(mine, "decline/"), {"reason": "不属于本会受理范围"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert response.json()["decline_reason"] == "不属于本会受理范围"
    case = Case.objects.get(pk=mine.case_id)
    assert case.state == State.MEDIATION_FAILED
    assert not case.arbitration_consented
    # Declined: the body can no longer act on it.
    assert world["a"].post(_url(mine, "accept/")).status_code == 409


def test_decline_needs_a_reason(world):
    response = world["a"].post(_url(world["mine"], "decline/"), {}, format="json")
    assert response.status_code == 400
    assert Case.objects.get(pk=world["mine"].case_id).state == State.REFERRED


def test_information_request_is_a_message_on_the_case(world, c, client):
    mine = world["mine"]
    response = world["a"].post(
        _url(mine, "information-requests/"), {"message": "请补充购物凭证"}, format="json"
    )
    assert response.status_code == 201
    event = CaseEvent.objects.get(case=mine.case, kind="arbitration.info_requested")
    assert event.payload["message"] == "请补充购物凭证"
    assert event.visibility == CaseEvent.Visibility.PARTIES
    f.cf.af.login(client, c.consumer)
    kinds = [e["kind"] for e in client.get(f"/api/v1/cases/{mine.case.reference}/events/").json()]
    assert "arbitration.info_requested" in kinds
    # Both parties are told, with the body's words, in their inbox (and by SMS/e-mail).
    from notifications.models import Notification

    told = Notification.objects.filter(event=event, channel="inapp")
    assert {n.recipient_id for n in told} == {c.consumer.pk, c.merchant_staff.pk}
    assert all("请补充购物凭证" in n.body for n in told)


def test_settlement_in_arbitration(world):
    mine = world["mine"]
    world["a"].post(_url(mine, "accept/"))
    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = world["a"].post(
        _url(mine, "settlement/"),
        {"description": "和解退款150元", "amount": "150", "performance_due_on": due},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "settled"
    assert Case.objects.get(pk=mine.case_id).state == State.SETTLED


def test_idempotency_key_replays_the_first_answer(world):
    mine = world["mine"]
    first = world["a"].post(_url(mine, "accept/"), HTTP_IDEMPOTENCY_KEY="k-1")
    second = world["a"].post(_url(mine, "accept/"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replay"] == "true"
    assert (
        CaseEvent.objects.filter(case=mine.case, kind="transition.arbitration_accept").count() == 1
    )


def test_the_api_is_rate_limited_per_token(world, settings):
    from django.core.cache import cache

    settings.ARBITRATION_API_RATE = "3/min"
    cache.delete_many(world["rate_keys"])
    codes = [world["a"].get(BASE).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = world["a"].get(BASE)
    assert response.json()["error"]["code"] == "too_many_requests"
    assert int(response["Retry-After"]) > 0
    # Another body's token has its own allowance.
    assert world["b"].get(BASE).status_code == 200
    cache.delete_many(world["rate_keys"])


def test_parties_propose_and_refer_through_the_api(c, client, django_capture_on_commit_callbacks):
    case = f.failed_case(c)
    f.cf.af.login(client, c.consumer)
    url = f"/api/v1/cases/{case.reference}/arbitration/"
    assert client.get(url).json()["bodies"][0]["id"] in (c.body.pk, c.other_body.pk)
    response = client.post(url + "agreement/", {"body": c.body.pk}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["agreement"]["body"]["id"] == c.body.pk
    refused = client.post(url + "referral/")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "consent_missing"
    f.sign_directly(f.consent.agreement_open(case=case), "consumer", "merchant", c=c)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url + "referral/")
    assert response.status_code == 201
    assert response.json()["state"] == "referred"


def test_deliveries_are_visible_to_the_regulator_not_to_another_body(world, c, client):
    from arbitration.models import WebhookAttempt, WebhookDelivery

    mine = world["mine"]
    delivery = WebhookDelivery.objects.create(
        referral=mine,
        body=mine.body,
        topic="referral.delivered",
        key="8d1c1a9e-0c64-4b0e-9d0e-2a3c7e1b2f00",
        url="http://127.0.0.1:9/",
        payload={},
        created_at=timezone.now(),
        attempts=1,
    )
    WebhookAttempt.objects.create(delivery=delivery, number=1, at=timezone.now(), status_code=500)
    f.cf.af.login(client, c.regulator)
    rows = client.get("/api/v1/arbitration/deliveries/").json()["results"]
    assert [(r["reference"], r["log"][0]["status_code"]) for r in rows] == [
        (mine.case.reference, 500)
    ]
    assert world["b"].get("/api/v1/arbitration/deliveries/").json()["results"] == []
    f.cf.af.login(client, c.other_regulator)
    assert client.get("/api/v1/arbitration/deliveries/").json()["results"] == []


def test_the_admin_shows_a_new_token_once_and_stores_its_hash(c, client):
    f.cf.af.login(client, c.admin)
    response = client.post(
        "/admin/arbitration/apitoken/add/",
        {"body": c.body.pk, "user": c.arbitration_staff.pk, "name": "案件系统"},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    token = next(m.split(" ")[-1].split("：")[-1] for m in shown if "odrarb_" in m)
    token = token[token.index("odrarb_") :]
    row = ApiToken.objects.get()
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert _client(token).get(BASE).status_code == 200


def test_an_award_over_the_size_limit_is_413(world, settings):
    mine = world["mine"]
    world["a"].post(_url(mine, "accept/"))
    settings.ARBITRATION_AWARD_MAX_BYTES = 10
    response = world["a"].post(_url(mine, "award/"), _award_form(), format="multipart")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not Award.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "", None),
        ("get", "events/", None),
        ("get", "documents/", None),
        ("get", "arbitration/", None),
        ("get", "arbitration/award/", None),
        ("post", "transitions/", {"name": "arbitration_accept"}),
        ("post", "transitions/", {"name": "arbitration_decline", "reason": "x"}),
    ],
)
def test_body_a_staff_cannot_reach_body_bs_case_through_the_case_api(
    world, c, client, method, path, data
):
    theirs = world["theirs"]
    f.cf.af.login(client, c.arbitration_staff)  # staff of body A
    url = f"/api/v1/cases/{theirs.case.reference}/{path}"
    response = client.post(url, data, content_type="application/json") if data else client.get(url)
    assert response.status_code == 403
    assert Case.objects.get(pk=theirs.case_id).state == State.REFERRED
