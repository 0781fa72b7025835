"""A consumer who reads English sees English everywhere the service speaks on its own, on
a 375×812 phone: the notices in the inbox, the documents' titles on the case page and the
service's notices in the mediation room. All of them were written while the case was
conducted in Chinese (the notices stored in Chinese, the PDF issued in Chinese, the room's
notices with a Chinese body): they are rendered in the reader's language when read.
"""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from accounts.models import User
from cases.models import State
from cases.tests import factories as f
from documents.kinds import Kind
from documents.models import Document
from mediation.models import SystemText
from notifications.models import Notification
from tests.browser.pages import assert_fits_the_phone, log_in_by_sms, screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_375 = {"viewport": {"width": 375, "height": 812}}

_screenshot = screenshots("languages")


@pytest.fixture
def mediated(document_signing, settings, transactional_db):
    """A case in mediation, conducted in Chinese, with its acceptance decision issued.

    Signed here, in the test process, with the server's PKI, and before the browser's
    event loop is marked running (pyHanko's signing runs an event loop of its own): a
    fixture that the journey requests before ``new_page``."""
    for name, value in document_signing.env().items():
        setattr(settings, name, [value] if name == "DOCUMENTS_TRUST_ROOTS" else value)
    cast = f.cast()
    return cast, f.case_in(State.MEDIATION, cast)


def test_an_english_reader_sees_notices_titles_and_room_notices_in_english(
    mediated, live_daphne, new_page, browser_errors
):
    cast, case = mediated
    ref = case.reference
    document = Document.objects.get(case=case, kind=Kind.ACCEPTANCE_NOTICE)
    assert document.language == "zh-hans" and document.status == Document.Status.VALID
    notice = Notification.objects.get(
        recipient=cast.consumer, channel="inapp", kind="transition.accept"
    )
    assert notice.language == "zh-hans"
    room_notice = SystemText.objects.filter(message__case=case).order_by("message__seq").first()
    assert room_notice is not None and room_notice.message.body == room_notice.text_zh
    with translation.override("en"):
        english_subject, english_text = notice.title, notice.text
        english_title = document.title
    assert english_subject != notice.subject
    User.objects.filter(pk=cast.consumer.pk).update(language="en")

    page = new_page(**PHONE_375)
    log_in_by_sms(page, live_daphne, cast.consumer.phone, "consumer")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # The inbox: the notice in English, though it was written (and texted) in Chinese.
    page.goto("/notifications/")
    card = page.locator(f"#notification-{notice.pk}")
    expect(card.locator("h2")).to_have_text(english_subject)
    expect(card).to_contain_text(english_text)
    expect(card).not_to_contain_text(notice.subject)
    assert_fits_the_phone(page, 375)
    _screenshot(page, "1-inbox")

    # The case page: the acceptance decision named in English; its PDF stays Chinese.
    page.goto(f"/cases/{ref}/")
    row = page.locator(f'#case-documents [data-document="{document.number}"]')
    expect(row.locator("strong")).to_have_text(english_title)
    expect(row).not_to_contain_text(document.issued_title)
    assert_fits_the_phone(page, 375)
    _screenshot(page, "2-case")

    # The mediation room: the service's notice in English, not its stored Chinese body.
    page.goto(f"/mediation/cases/{ref}/")
    panel = page.locator("[data-med-panel]")
    expect(panel).to_have_attribute("data-connection", "open")
    joint = panel.locator('[data-log="joint"] li.system .body')
    expect(joint.first).to_have_text(room_notice.text_en)
    expect(panel.locator('[data-log="joint"]')).not_to_contain_text(room_notice.text_zh)
    assert_fits_the_phone(page, 375)
    _screenshot(page, "3-room")
    assert browser_errors == []
