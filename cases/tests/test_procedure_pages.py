"""Proof of identity and recusal on the case page and in the API: who sees what, who may
ask and decide (the other party, an outsider, a mediator may not), errors in the user's
language and never a server error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.tests import factories as people
from cases.models import CaseEvent, IdentityProof, RecusalRequest, State
from cases.services import identity, recusal
from cases.tests import factories as cf

pytestmark = pytest.mark.django_db


@pytest.fixture
def c():
    return cf.cast()


def _client(client, user):
    people.login(client, user)
    return client


def _page(client, case) -> str:
    response = client.get(reverse("cases:detail", args=[case.reference]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_consumer_sees_the_request_and_uploads_the_merchant_sees_no_proof(c, client):
    case = cf.case_in(State.REVIEW, c)
    identity.identity_request(case=case, actor=c.actor("regulator"), materials="身份证正反面")
    _client(client, c.consumer)
    page = _page(client, case)
    assert 'id="identity-form"' in page and "身份证正反面" in page
    response = client.post(
        reverse("cases:identity_upload", args=[case.reference]),
        {"file": cf.upload("id.png", cf.png_bytes(), "image/png")},
    )
    assert response.status_code == 302
    proof = IdentityProof.objects.get()
    # The merchant: no upload, no proof, no download.
    client.logout()
    _client(client, c.merchant_staff)
    page = _page(client, case)
    assert "identity-form" not in page and "id.png" not in page
    url = reverse("cases:identity_proof", args=[case.reference, proof.pk])
    assert client.get(url).status_code == 403
    client.logout()
    _client(client, c.regulator)
    page = _page(client, case)
    assert "id.png" in page
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    response.close()


def test_the_regulator_asks_from_the_page_and_others_may_not(c, client):
    case = cf.case_in(State.REVIEW, c)
    url = reverse("cases:identity_request", args=[case.reference])
    for kind in ("consumer", "merchant_staff"):
        _client(client, c.actor(kind))
        client.post(url, {"materials": "身份证"})
        client.logout()
    assert not CaseEvent.objects.filter(case=case, kind="identity.requested").exists()
    _client(client, c.other_regulator)
    assert client.post(url, {"materials": "身份证"}).status_code == 403
    client.logout()
    _client(client, c.regulator)
    response = client.post(url, {"materials": ""})
    assert response.status_code == 400
    assert "此项为必填项" in response.content.decode()
    assert client.post(url, {"materials": "身份证"}).status_code == 302
    assert CaseEvent.objects.filter(case=case, kind="identity.requested").count() == 1


def test_the_consumer_asks_for_recusal_from_the_page_and_the_regulator_decides(c, client):
    case = cf.case_in(State.MEDIATION, c)
    _client(client, c.consumer)
    page = _page(client, case)
    assert 'id="recusal-form"' in page
    url = reverse("cases:recusal_request", args=[case.reference])
    response = client.post(url, {"ground": "nope", "reasons": "x"})
    assert response.status_code == 400
    response = client.post(url, {"ground": "interest", "reasons": "调解员与商家有业务往来。"})
    assert response.status_code == 302
    assert RecusalRequest.objects.get().status == "pending"
    page = _page(client, case)
    assert 'id="recusal-form"' not in page and "data-recusal-pending" in page
    client.logout()
    # The mediator concerned sees the request and cannot decide it.
    _client(client, c.mediator)
    assert "recusal-decision-form" not in _page(client, case)
    decide = reverse("cases:recusal_decide", args=[case.reference])
    client.post(decide, {"decision": "refuse", "reasons": "我没问题"})
    assert RecusalRequest.objects.get().status == "pending"
    client.logout()
    _client(client, c.regulator)
    page = _page(client, case)
    assert 'id="recusal-decision-form"' in page
    response = client.post(decide, {"decision": "refuse", "reasons": ""})
    assert response.status_code == 400
    response = client.post(decide, {"decision": "refuse", "reasons": "经核实不存在利害关系。"})
    assert response.status_code == 302
    assert RecusalRequest.objects.get().status == "refused"


def test_api_identity_and_recusal(c, client):
    case = cf.case_in(State.MEDIATION, c)
    _client(client, c.regulator)
    base = f"/api/v1/cases/{case.reference}"
    response = client.post(
        f"{base}/identity/", {"materials": "护照"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "open"
    client.logout()
    _client(client, c.consumer)
    response = client.post(
        f"{base}/identity/proof/", {"file": cf.upload("id.pdf", cf.pdf_bytes(), "application/pdf")}
    )
    assert response.status_code == 201, response.content
    assert response.json()["proofs"] == []  # the consumer's answer lists no files
    client.logout()
    _client(client, c.merchant_staff)
    assert client.get(f"{base}/identity/").status_code == 403
    # The merchant asks for recusal; the state says the window and the grounds.
    state = client.get(f"{base}/recusal/").json()
    assert state["window_until"]
    assert state["grounds"][0]["value"] == "party_or_relative"
    response = client.post(
        f"{base}/recusal/",
        {"ground": "other_relationship", "reasons": "曾有纠纷"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    response = client.post(
        f"{base}/recusal/decision/",
        {"decision": "refuse", "reasons": "no"},
        content_type="application/json",
    )
    assert response.status_code == 403
    client.logout()
    _client(client, c.regulator)
    staff_view = client.get(f"{base}/identity/").json()
    assert len(staff_view[0]["proofs"]) == 1
    response = client.post(
        f"{base}/recusal/decision/",
        {"decision": "grant", "new_mediator": "999999"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "error" in response.json()
    response = client.post(
        f"{base}/recusal/decision/",
        {"decision": "grant", "new_mediator": str(c.other_mediator.pk)},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "granted"
    case.refresh_from_db()
    assert case.mediator_id == c.other_mediator.pk


def test_an_outsider_gets_nothing(c, client):
    case = cf.case_in(State.MEDIATION, c)
    recusal.recusal_request(case=case, actor=c.actor("consumer"), ground="interest", reasons="x")
    _client(client, c.other_mediator)
    base = f"/api/v1/cases/{case.reference}"
    assert client.get(f"{base}/recusal/").status_code == 403
    response = client.post(
        f"{base}/recusal/decision/",
        {"decision": "refuse", "reasons": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert RecusalRequest.objects.get().status == "pending"
