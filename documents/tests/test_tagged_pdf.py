"""Issued documents are tagged PDFs (a structure tree, marked content, the document's
language and title) and stay signed and verifiable after the signature is added."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from documents.kinds import Kind
from documents.models import Document
from documents.services.verify import Verdict, verify_pdf
from documents.tests import factories
from documents.tests.poppler import pdfinfo, pdfsig

pytestmark = pytest.mark.django_db


def _accepted(cast, capture, language: str) -> Document:
    with capture(execute=True):
        case = factories.to_review(cast, language=language)
    with capture(execute=True):
        factories.accept(cast, case)
    document = Document.objects.get(case=case, kind=Kind.ACCEPTANCE_NOTICE)
    assert document.status == Document.Status.VALID, document.last_error
    return document


def _bytes(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


@pytest.mark.parametrize(
    ("language", "lang", "title"),
    [
        ("zh-hans", "zh-Hans", "投诉受理决定书"),
        ("en", "en", "Decision to Accept the Complaint"),
    ],
)
def test_an_issued_document_is_a_tagged_pdf_in_its_language_and_still_verifies(
    cast, django_capture_on_commit_callbacks, nss_db, tmp_path, language, lang, title
):
    document = _accepted(cast, django_capture_on_commit_callbacks, language)
    data = _bytes(document)
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    root = reader.root
    assert "/StructTreeRoot" in root
    tree = root["/StructTreeRoot"]
    assert tree["/Type"] == "/StructTreeRoot"
    assert len(tree["/K"]) > 0
    assert root["/MarkInfo"]["/Marked"] == generic.BooleanObject(True)
    assert str(root["/Lang"]) == lang
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == generic.BooleanObject(True)
    assert str(reader.trailer["/Info"]["/Title"]) == f"{title} {document.number}"

    path = tmp_path / f"{document.number}.pdf"
    path.write_bytes(data)
    info = pdfinfo(path)
    assert info["Tagged"] == "yes"
    assert info["Title"] == f"{title} {document.number}"
    report = pdfsig(path, nss_db)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Certificate Validation: Certificate is Trusted." in report, report
    assert "Total document signed" in report, report
    assert verify_pdf(data=data).verdict == Verdict.VALID


def test_the_qr_code_has_a_text_alternative(cast, django_capture_on_commit_callbacks):
    document = _accepted(cast, django_capture_on_commit_callbacks, "en")
    reader = PdfFileReader(io.BytesIO(_bytes(document)), strict=False)
    figures = []
    pending = [reader.root["/StructTreeRoot"]]
    while pending:
        node = pending.pop()
        if node.get("/S") == "/Figure":
            figures.append(node)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if isinstance(kid, generic.IndirectObject):
                kid = kid.get_object()
            if isinstance(kid, generic.DictionaryObject):
                pending.append(kid)
    assert [str(f["/Alt"]) for f in figures] == ["QR code of the verification page"]
