"""The document API: a case's documents (access_case), download as attachment, the parties'
confirmation, and public verification by number or upload — masked, never a 5xx."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.tests.factories import consumer as another_consumer
from documents.kinds import Kind
from documents.models import Document
from documents.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def accepted(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.to_review(cast)
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.accept(cast, case)
    return case, Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)


def _pdf(document) -> bytes:
    field = document.file if document.sha256 else document.draft_file
    with field.open("rb") as handle:
        return handle.read()


def test_parties_list_the_case_documents(api, cast, accepted):
    case, document = accepted
    api.force_authenticate(cast.consumer)
    response = api.get(f"/api/v1/cases/{case.reference}/documents/")
    assert response.status_code == 200
    # Forms 5 and 7 of the acceptance.
    rows = response.json()
    assert [r["kind"] for r in rows] == ["acceptance_notice", "mediation_notice"]
    row = rows[0]
    assert row["number"] == document.number
    assert row["kind"] == "acceptance_notice"
    assert row["status"] == "valid"
    assert row["sha256"] == document.sha256
    assert row["version"] == 1 and row["supersedes"] is None
    assert row["download_url"].endswith(
        f"/api/v1/cases/{case.reference}/documents/{document.number}/file/"
    )
    assert row["verify_url"].endswith(f"/verify/{document.number}/")


def test_others_get_403_and_unknown_cases_404(api, cast, accepted):
    case, _document = accepted
    api.force_authenticate(another_consumer())
    assert api.get(f"/api/v1/cases/{case.reference}/documents/").status_code == 403
    assert api.get("/api/v1/cases/LY-1999-000001/documents/").status_code == 404
    api.force_authenticate(None)
    assert api.get(f"/api/v1/cases/{case.reference}/documents/").status_code in (401, 403)


def test_download_is_an_attachment(api, cast, accepted):
    case, document = accepted
    api.force_authenticate(cast.merchant_staff)
    response = api.get(f"/api/v1/cases/{case.reference}/documents/{document.number}/file/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{document.number}.pdf"'
    assert b"".join(response.streaming_content) == _pdf(document)
    api.force_authenticate(another_consumer())
    assert (
        api.get(f"/api/v1/cases/{case.reference}/documents/{document.number}/file/").status_code
        == 403
    )
    api.force_authenticate(cast.consumer)
    assert api.get(f"/api/v1/cases/{case.reference}/documents/LY-NOPE/file/").status_code == 404


def test_confirmation_through_the_api(api, cast, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.submit(cast)
    with django_capture_on_commit_callbacks(execute=True):
        factories.settle_by_offer(cast, case)
    document = Document.objects.get(kind=Kind.SETTLEMENT_AGREEMENT)
    base = f"/api/v1/cases/{case.reference}/documents/{document.number}"
    for user in (cast.consumer, cast.merchant_staff):
        api.force_authenticate(user)
        (row,) = api.get(f"/api/v1/cases/{case.reference}/documents/").json()
        assert row["awaiting_my_confirmation"] is True
        draft = api.get(f"{base}/file/")
        assert draft["Content-Disposition"] == f'attachment; filename="{document.number}-draft.pdf"'
        assert b"".join(draft.streaming_content).startswith(b"%PDF-")  # consumed: closed
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(f"{base}/confirmation/code/")
        assert response.status_code == 202, response.json()
        code = re.search(
            r"(?<![\d-])(\d{6})(?!\d)", [m for m in sms_outbox if m.sensitive][-1].body
        ).group(1)
        wrong = api.post(f"{base}/confirmation/", {"code": code, "sha256": "f" * 64}, format="json")
        assert wrong.status_code == 409
        assert wrong.json()["error"]["code"] == "draft_changed"
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                f"{base}/confirmation/",
                {"code": code, "sha256": row["content_sha256"]},
                format="json",
            )
        assert response.status_code == 200, response.json()
        assert response.json()["awaiting_my_confirmation"] is False
    document.refresh_from_db()
    assert document.status == Document.Status.VALID
    api.force_authenticate(cast.mediator)
    assert api.post(f"{base}/confirmation/code/").status_code in (403, 409)


def test_verify_by_number_shows_masked_parties_only(api, cast, accepted):
    case, document = accepted
    response = api.get(f"/api/v1/documents/{document.number}/verify")
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "valid" and body["ok"] is True
    details = body["document"]
    assert details["case_reference"] == case.reference
    assert details["parties"] == {"complainant": "张**", "merchant": "临沂**有限公司"}
    # Sealed by the office of the regulator who accepted it, named in both languages.
    assert details["issuer"] == "临沂市市场监督管理局"
    assert details["sealed_by"] == {
        "kind": "office",
        "code": "371300",
        "name": {"zh-hans": "临沂市市场监督管理局", "en": factories.OFFICE_EN},
    }
    assert body["signature"]["trusted"] is True
    text = response.content.decode()
    assert cast.consumer.phone not in text
    assert cast.consumer.phone[-8:] not in text
    assert "金雀山路" not in text and "沂蒙路" not in text
    assert "张三" not in text
    assert api.get(f"/api/v1/documents/{document.number}/verify/").status_code == 200
    missing = api.get("/api/v1/documents/LY-2026-999999-AN1-ZZZZZZ/verify")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_verify_upload_gives_verdicts_never_500(api, accepted, settings, other_pki):
    _case, document = accepted
    data = _pdf(document)

    def post(payload: bytes, name: str = "x.pdf"):
        upload = SimpleUploadedFile(name, payload, content_type="application/pdf")
        return api.post("/api/v1/verify/", {"file": upload}, format="multipart")

    valid = post(data)
    assert valid.status_code == 200 and valid.json()["verdict"] == "valid"
    altered = bytearray(data)
    start = data.index(b"stream\n") + 7
    altered[(start + data.index(b"endstream", start)) // 2] ^= 0x01
    assert post(bytes(altered)).json()["verdict"] == "altered"
    assert post(b"not a pdf at all", "notes.txt").json()["verdict"] == "not_pdf"
    assert post(b"%PDF-1.4\n%\xff\xff\n" + bytes(range(256)) * 20).json()["verdict"] == "damaged"
    settings.DOCUMENTS_SIGNING_PKCS12 = str(other_pki.pkcs12)
    settings.DOCUMENTS_SIGNING_PASSPHRASE = other_pki.passphrase
    from documents.services.sign import pdf_sign

    forged = pdf_sign(data[: document.content_size], reason="x").pdf
    assert post(forged).json()["verdict"] == "untrusted"
    missing = api.post("/api/v1/verify/", {}, format="multipart")
    assert missing.status_code == 400
    settings.DOCUMENTS_VERIFY_MAX_BYTES = 100
    too_big = post(data)
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "too_large"


def test_verification_is_rate_limited(api, accepted, settings):
    _case, document = accepted
    settings.DOCUMENTS_VERIFY_PER_MINUTE = 1  # three number lookups a minute
    codes = [api.get(f"/api/v1/documents/{document.number}/verify").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_the_schema_lists_the_document_endpoints(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/cases/{ref}/documents/",
        "/api/v1/cases/{ref}/documents/{number}/file/",
        "/api/v1/cases/{ref}/documents/{number}/confirmation/",
        "/api/v1/documents/{number}/verify",
        "/api/v1/verify/",
    ):
        assert path in paths, path
