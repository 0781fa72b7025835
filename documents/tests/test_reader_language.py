"""A document is named in the reader's language wherever the site lists it (the case
page's panel, the API, the verify page), whatever language its PDF was issued in; the PDF
and its signature keep the language of issue."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.tests.factories import login
from documents.kinds import Kind
from documents.models import Document
from documents.services.issue import _reason
from documents.tests import factories

pytestmark = pytest.mark.django_db

TITLE_ZH = "投诉受理决定书"
TITLE_EN = "Decision to Accept the Complaint"


@pytest.fixture
def accepted(cast, django_capture_on_commit_callbacks):
    """A case conducted in Chinese: its acceptance decision is a Chinese PDF."""
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.to_review(cast)
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.accept(cast, case)
    document = Document.objects.get(case=case, kind=Kind.ACCEPTANCE_NOTICE)
    assert document.language == "zh-hans" and document.status == Document.Status.VALID
    return case, document


def test_the_title_follows_the_active_language_and_the_issued_title_the_pdf(accepted):
    _case, document = accepted
    with translation.override("en"):
        assert document.title == TITLE_EN
        assert document.issued_title == TITLE_ZH
        # The signature's reason names the document as the PDF does.
        assert _reason(document) == f"签发：{TITLE_ZH}"
    with translation.override("zh-hans"):
        assert document.title == TITLE_ZH


@pytest.mark.parametrize(
    ("language", "title", "other"), [("en", TITLE_EN, TITLE_ZH), ("zh-hans", TITLE_ZH, TITLE_EN)]
)
def test_the_case_page_panel_names_the_document_in_the_readers_language(
    client, cast, accepted, language, title, other
):
    case, document = accepted
    login(client, cast.consumer)
    client.cookies["django_language"] = language
    html = client.get(f"/verify/case/{case.reference}/documents/").content.decode()
    assert f'data-document="{document.number}"' in html
    assert f"<strong>{title}</strong>" in html
    assert other not in html


def test_the_api_names_the_document_in_the_callers_language(client, cast, accepted):
    case, document = accepted
    login(client, cast.consumer)
    url = f"/api/v1/cases/{case.reference}/documents/"
    # The acceptance's form 5 (its form 7 is listed after it).
    row = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()[0]
    assert (row["number"], row["title"]) == (document.number, TITLE_EN)
    row = client.get(url).json()[0]
    assert row["title"] == TITLE_ZH


def test_the_verify_page_names_the_document_in_the_visitors_language(client, accepted):
    _case, document = accepted
    client.cookies["django_language"] = "en"
    html = client.get(f"/verify/{document.number}/").content.decode()
    assert f"<dd>{TITLE_EN} (" in html and TITLE_ZH not in html
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/verify/{document.number}/").content.decode()
    assert f"<dd>{TITLE_ZH} (" in html
