"""The parties confirm an agreement with SMS codes; then the organisation signs exactly the
draft they confirmed."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess

import pytest
from django.utils import timezone

from cases.models import CaseEvent
from cases.services.events import case_log_verify
from documents.kinds import Kind
from documents.models import ConfirmationCode, Document
from documents.services.confirm import confirmation_request, document_confirm
from documents.services.verify import Verdict, verify_number, verify_pdf
from documents.tests import factories
from odr.errors import Conflict, DomainError, NotAllowed, RateLimited

pytestmark = pytest.mark.django_db


@pytest.fixture
def settlement(cast, django_capture_on_commit_callbacks) -> Document:
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.submit(cast)
    with django_capture_on_commit_callbacks(execute=True):
        factories.settle_by_offer(cast, case)
    document = Document.objects.get(kind=Kind.SETTLEMENT_AGREEMENT)
    assert document.status == Document.Status.AWAITING_CONFIRMATION, document.last_error
    return document


def _codes(sms_outbox) -> list:
    """Our confirmation messages (the notifications app sends its own too)."""
    return [m for m in sms_outbox if m.sensitive and re.search(r"-[A-Z]{2}\d-", m.body)]


def _code(sms_outbox) -> str:
    message = _codes(sms_outbox)[-1]
    return re.search(r"(?<![\d-])(\d{6})(?!\d)", message.body).group(1)


def _confirm(document, user, sms_outbox, capture, ip="203.0.113.7"):
    with capture(execute=True):
        confirmation_request(document=document, user=user, ip=ip)
    with capture(execute=True):
        return document_confirm(
            document=document,
            user=user,
            code=_code(sms_outbox),
            content_sha256=document.content_sha256,
            ip=ip,
        )


def test_draft_is_unsigned_and_verifies_as_a_draft(settlement):
    with settlement.draft_file.open("rb") as handle:
        draft = handle.read()
    assert hashlib.sha256(draft).hexdigest() == settlement.content_sha256
    assert not settlement.sha256 and not settlement.file
    result = verify_pdf(data=draft)
    assert result.verdict == Verdict.DRAFT
    assert settlement.number in result.message
    assert verify_number(number=settlement.number).verdict == Verdict.PENDING
    drafted = CaseEvent.objects.get(case=settlement.case, kind="document.drafted")
    assert drafted.payload["content_sha256"] == settlement.content_sha256


def test_both_parties_confirm_then_the_draft_is_signed_as_it_was(
    cast, settlement, sms_outbox, django_capture_on_commit_callbacks, artifacts, tmp_path
):
    with settlement.draft_file.open("rb") as handle:
        draft = handle.read()
    first = _confirm(settlement, cast.consumer, sms_outbox, django_capture_on_commit_callbacks)
    sent = _codes(sms_outbox)[-1]
    assert sent.to == cast.consumer.phone
    assert settlement.number in sent.body
    settlement.refresh_from_db()
    assert settlement.status == Document.Status.AWAITING_CONFIRMATION
    event = first.event
    assert event.kind == "document.confirmed"
    assert event.actor == cast.consumer
    assert event.actor_role == "consumer"
    assert event.visibility == CaseEvent.Visibility.STAFF
    assert event.payload["sha256"] == settlement.content_sha256
    assert event.payload["ip"] == "203.0.113.7"
    assert event.payload["party"] == "consumer"
    assert event.payload["confirmed_at"]

    _confirm(
        settlement,
        cast.merchant_staff,
        sms_outbox,
        django_capture_on_commit_callbacks,
        ip="198.51.100.2",
    )
    settlement.refresh_from_db()
    assert settlement.status == Document.Status.VALID, settlement.last_error
    with settlement.file.open("rb") as handle:
        signed = handle.read()
    assert signed.startswith(draft)  # the signature is an incremental update of the draft
    # For a reviewer: the signed agreement's last page, where the seal now appears.
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-singlefile",
            "-f",
            "2",
            "-l",
            "2",
            str(path),
            str(artifacts / "settlement_agreement-signed-page-2"),
        ],
        check=False,
        capture_output=True,
    )
    assert verify_pdf(data=signed).verdict == Verdict.VALID
    issued = CaseEvent.objects.get(case=settlement.case, kind="document.issued")
    confirmed = CaseEvent.objects.filter(case=settlement.case, kind="document.confirmed")
    assert sorted(issued.payload["confirmations"]) == sorted(e.seq for e in confirmed)
    assert case_log_verify(case=settlement.case).ok
    # The draft no longer verifies as a document on its own, but as the draft of it.
    assert verify_pdf(data=draft).verdict == Verdict.DRAFT


@pytest.fixture
def request_code(django_capture_on_commit_callbacks):
    def send(document, user):
        with django_capture_on_commit_callbacks(execute=True):
            return confirmation_request(document=document, user=user, ip=None)

    return send


def test_a_wrong_code_counts_and_runs_out(cast, settlement, sms_outbox, settings, request_code):
    settings.DOCUMENTS_CONFIRM_MAX_ATTEMPTS = 2
    request_code(settlement, cast.consumer)
    real = _code(sms_outbox)
    wrong = "000000" if real != "000000" else "111111"
    with pytest.raises(DomainError, match="1"):
        document_confirm(
            document=settlement,
            user=cast.consumer,
            code=wrong,
            content_sha256=settlement.content_sha256,
            ip=None,
        )
    with pytest.raises(DomainError) as exc:
        document_confirm(
            document=settlement,
            user=cast.consumer,
            code=wrong,
            content_sha256=settlement.content_sha256,
            ip=None,
        )
    assert exc.value.code == "wrong_code"
    with pytest.raises(DomainError) as exc:
        document_confirm(
            document=settlement,
            user=cast.consumer,
            code=real,
            content_sha256=settlement.content_sha256,
            ip=None,
        )
    assert exc.value.code == "too_many_attempts"
    assert not ConfirmationCode.objects.filter(confirmed_at__isnull=False).exists()


def test_a_code_confirms_only_the_draft_that_was_shown(cast, settlement, sms_outbox, request_code):
    request_code(settlement, cast.consumer)
    with pytest.raises(Conflict) as exc:
        document_confirm(
            document=settlement,
            user=cast.consumer,
            code=_code(sms_outbox),
            content_sha256="0" * 64,
            ip=None,
        )
    assert exc.value.code == "draft_changed"


def test_an_expired_code_is_refused(cast, settlement, sms_outbox, request_code):
    request_code(settlement, cast.consumer)
    ConfirmationCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(DomainError) as exc:
        document_confirm(
            document=settlement,
            user=cast.consumer,
            code=_code(sms_outbox),
            content_sha256=settlement.content_sha256,
            ip=None,
        )
    assert exc.value.code == "code_expired"


def test_only_the_parties_confirm_and_each_side_once(
    cast, settlement, sms_outbox, django_capture_on_commit_callbacks
):
    with pytest.raises(NotAllowed):
        confirmation_request(document=settlement, user=cast.mediator, ip=None)
    with pytest.raises(NotAllowed):
        confirmation_request(document=settlement, user=cast.regulator, ip=None)
    _confirm(settlement, cast.consumer, sms_outbox, django_capture_on_commit_callbacks)
    with pytest.raises(Conflict) as exc:
        confirmation_request(document=settlement, user=cast.consumer, ip=None)
    assert exc.value.code == "already_confirmed"


def test_codes_are_not_resent_at_once(cast, settlement, sms_outbox, request_code):
    request_code(settlement, cast.consumer)
    with pytest.raises(RateLimited):
        request_code(settlement, cast.consumer)
    assert len(_codes(sms_outbox)) == 1


def test_a_notice_needs_no_confirmation(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.to_review(cast)
    with django_capture_on_commit_callbacks(execute=True):
        factories.accept(cast, case)
    with pytest.raises(Conflict):
        confirmation_request(
            document=Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE), user=cast.consumer, ip=None
        )


def test_a_corrected_draft_needs_fresh_confirmations(
    cast, settlement, sms_outbox, django_capture_on_commit_callbacks
):
    from documents.services.issue import document_reissue

    _confirm(settlement, cast.consumer, sms_outbox, django_capture_on_commit_callbacks)
    # The mediator is not on a negotiation case; an administrator corrects it.
    from accounts.tests.factories import administrator

    admin = administrator()
    with django_capture_on_commit_callbacks(execute=True):
        corrected = document_reissue(document=settlement, actor=admin, reason="金额笔误。")
    settlement.refresh_from_db()
    corrected.refresh_from_db()
    assert settlement.status == Document.Status.REVOKED
    assert corrected.status == Document.Status.AWAITING_CONFIRMATION
    assert corrected.version == 2
    _confirm(corrected, cast.merchant_staff, sms_outbox, django_capture_on_commit_callbacks)
    corrected.refresh_from_db()
    assert corrected.status == Document.Status.AWAITING_CONFIRMATION  # the consumer again
    _confirm(corrected, cast.consumer, sms_outbox, django_capture_on_commit_callbacks)
    corrected.refresh_from_db()
    assert corrected.status == Document.Status.VALID


def test_the_code_sms_is_in_the_users_language_with_the_code_first(
    cast, settlement, sms_outbox, request_code
):
    """A Chinese-speaking party gets the Chinese text; the code comes before the document
    number (whose digits a phone's code autofill could otherwise pick)."""
    cast.consumer.language = "zh-hans"
    cast.consumer.save(update_fields=["language"])
    request_code(settlement, cast.consumer)
    body = _codes(sms_outbox)[-1].body
    code = _code(sms_outbox)
    assert body.startswith(f"【ODR 12315】验证码 {code}，用于确认《"), body
    assert body.index(code) < body.index(settlement.number)
    cast.merchant_staff.language = "en"
    cast.merchant_staff.save(update_fields=["language"])
    request_code(settlement, cast.merchant_staff)
    assert _codes(sms_outbox)[-1].body.startswith("[ODR 12315] Code ")
