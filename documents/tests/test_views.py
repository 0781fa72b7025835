"""Pages: /verify/ (number or upload), /verify/<number>/, a party's confirmation page, and
the case page's documents panel that htmx polls until the download link is there."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import RequestFactory

from accounts.tests.factories import consumer as another_consumer
from accounts.tests.factories import login
from documents.kinds import Kind
from documents.models import Document
from documents.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.to_review(cast)
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.accept(cast, case)
    return case, Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)


def _pdf(document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def test_verify_page_by_number_redirects_to_the_document_page(client, accepted):
    _case, document = accepted
    assert client.get("/verify/").status_code == 200
    response = client.post("/verify/", {"number": document.number.lower()})
    assert response.status_code == 302
    assert response["Location"] == f"/verify/{document.number}/"
    assert client.post("/verify/", {"number": "<script>"}).status_code == 400
    assert client.post("/verify/", {}).status_code == 400


def test_document_page_shows_the_verdict_masked(client, cast, accepted):
    case, document = accepted
    response = client.get(f"/verify/{document.number}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-verdict="valid"' in html
    assert case.reference in html
    assert "张**" in html
    assert "张三" not in html
    assert cast.consumer.phone not in html and "金雀山路" not in html
    # The signing time in Beijing time, and the signer by name, not X.500 field names.
    document.refresh_from_db()
    local = document.signed_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert f">{local}</time> （北京时间）" in html
    assert "+00:00</" not in html and "Common Name:" not in html and "Organization:" not in html
    assert client.get("/verify/LY-2026-999999-AN1-ZZZZZZ/").status_code == 404


def test_the_signer_is_named_as_people_read_it():
    from odr.formatting import moment as beijing_time
    from odr.formatting import signer as signer_name

    subject = (
        "Common Name: 临沂市市场监管局文书签章, Organization: 临沂市市场监督管理局, Country: CN"
    )
    assert signer_name(subject) == "临沂市市场监督管理局（临沂市市场监管局文书签章）"
    assert signer_name("Common Name: ODR 12315 dev") == "ODR 12315 dev"
    assert beijing_time("2026-12-07T02:01:31.814133+00:00") == "2026-12-07 10:01"


def test_verify_page_upload(client, accepted, settings):
    _case, document = accepted
    data = _pdf(document)
    ok = client.post("/verify/", {"file": SimpleUploadedFile("a.pdf", data, "application/pdf")})
    assert ok.status_code == 200
    assert 'data-verdict="valid"' in ok.content.decode()
    junk = client.post(
        "/verify/", {"file": SimpleUploadedFile("a.pdf", b"hello", "application/pdf")}
    )
    assert junk.status_code == 200
    assert 'data-verdict="not_pdf"' in junk.content.decode()
    settings.DOCUMENTS_VERIFY_MAX_BYTES = 10
    assert client.post("/verify/", {"file": SimpleUploadedFile("a.pdf", data)}).status_code == 413


def test_panel_polls_while_preparing_then_offers_the_download(client, cast, accepted):
    case, document = accepted
    login(client, cast.consumer)
    url = f"/verify/case/{case.reference}/documents/"
    # As the row is between the transition and the end of rendering:
    Document.objects.filter(pk=document.pk).update(status=Document.Status.PREPARING, sha256="")
    preparing = client.get(url).content.decode()
    assert f'hx-get="{url}"' in preparing and 'hx-trigger="every 3s"' in preparing
    assert 'data-state="preparing"' in preparing
    # This one (the acceptance's form 7 beside it is ready already).
    assert f"/documents/{document.number}/file/" not in preparing
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.VALID, sha256=document.sha256
    )
    ready = client.get(url).content.decode()
    assert "hx-get" not in ready
    assert f"/api/v1/cases/{case.reference}/documents/{document.number}/file/" in ready
    login(client, another_consumer())
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_the_template_tag_renders_the_panel(cast, accepted):
    case, document = accepted
    request = RequestFactory().get("/")
    request.user = cast.consumer
    html = Template("{% load documents %}{% case_documents case %}").render(
        Context({"case": case, "request": request})
    )
    assert document.number in html
    assert 'id="case-documents"' in html


def test_a_party_confirms_on_the_confirmation_page(
    client, cast, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.submit(cast)
    with django_capture_on_commit_callbacks(execute=True):
        factories.settle_by_offer(cast, case)
    document = Document.objects.get(kind=Kind.SETTLEMENT_AGREEMENT)
    url = f"/verify/{document.number}/confirm/"
    assert client.get(url).status_code == 302  # login first
    login(client, cast.consumer)
    page = client.get(url).content.decode()
    assert document.content_sha256 in page
    assert 'data-action="download"' in page
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url, {"action": "send"})
    assert sent.status_code == 302
    code = re.search(
        r"(?<![\d-])(\d{6})(?!\d)", [m for m in sms_outbox if m.sensitive][-1].body
    ).group(1)
    bad = client.post(url, {"action": "confirm", "code": "12", "sha256": document.content_sha256})
    assert bad.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url, {"action": "confirm", "code": code, "sha256": document.content_sha256}
        )
    assert done.status_code == 302
    waiting = client.get(url).content.decode()
    assert "waiting for the other side" in waiting.lower() or "等待" in waiting
    # A way on from the page: back to the case; the signed PDF only once it is signed.
    assert f'href="/cases/{case.reference}/" data-action="back-to-case"' in waiting
    assert 'data-action="signed-pdf"' not in waiting
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.VALID, sha256=document.content_sha256
    )
    signed = client.get(url).content.decode()
    assert (
        f'href="/api/v1/cases/{case.reference}/documents/{document.number}/file/" '
        'data-action="signed-pdf"' in signed
    )
    assert f'href="/verify/{document.number}/" data-action="verify"' in signed
    assert f'href="/cases/{case.reference}/" data-action="back-to-case"' in signed
    login(client, another_consumer())
    assert client.get(url).status_code == 403
