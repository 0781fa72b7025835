"""The register: one document per case, kind and source event whatever the retries; the
case log records each document; corrections supersede; revocations; no key, no rows."""

from __future__ import annotations

import logging

import pytest

from cases.models import CaseEvent, Deadline
from cases.services.events import case_log_verify
from documents import tasks
from documents.handlers import issue_documents
from documents.kinds import TRIGGERS, Kind
from documents.models import Document
from documents.services import issue
from documents.services.sweep import documents_sweep
from documents.services.verify import Verdict, verify_number, verify_pdf
from documents.tests import factories

pytestmark = pytest.mark.django_db


def _accepted(cast, capture):
    with capture(execute=True):
        case = factories.to_review(cast)
    with capture(execute=True):
        return factories.accept(cast, case)


def test_acceptance_issues_one_signed_notice_and_logs_it(cast, django_capture_on_commit_callbacks):
    case = _accepted(cast, django_capture_on_commit_callbacks)
    document = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    assert document.kind == Kind.ACCEPTANCE_NOTICE
    assert document.status == Document.Status.VALID
    assert document.number.startswith(f"{case.reference}-AN1-")
    assert document.source_event.kind == "transition.accept"
    assert document.file.name == f"documents/{case.reference}/{document.number}.pdf"
    assert document.signer_fingerprint and document.signed_at
    # Form 7 is issued with it (the mediator assigned on acceptance).
    issued = CaseEvent.objects.get(case=case, kind="document.issued", payload__kind=document.kind)
    assert issued.payload["document"] == document.number
    assert issued.payload["sha256"] == document.sha256
    assert case_log_verify(case=case).ok


def test_a_retried_rendering_task_leaves_exactly_one_document(
    cast, django_capture_on_commit_callbacks
):
    case = _accepted(cast, django_capture_on_commit_callbacks)
    document = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    event = document.source_event
    first = (document.sha256, document.file.name)
    # The task runs again (a redelivery), and the handler runs again (a duplicate event).
    assert tasks.render_document.apply(args=[document.pk]).get() == "valid"
    issue_documents(event)
    again, created = issue.document_prepare(event=event, kind=Kind.ACCEPTANCE_NOTICE)
    assert not created and again.pk == document.pk
    document.refresh_from_db()
    assert Document.objects.filter(kind=Kind.ACCEPTANCE_NOTICE).count() == 1
    assert (document.sha256, document.file.name) == first
    issued = CaseEvent.objects.filter(case=case, kind="document.issued")
    assert issued.filter(payload__kind=Kind.ACCEPTANCE_NOTICE).count() == 1


def test_two_overlapping_runs_issue_once(
    cast, settings, django_capture_on_commit_callbacks, monkeypatch
):
    """A redelivered task runs while the first is still rendering: the run that comes to
    store second finds the document issued and leaves it alone."""
    key = settings.DOCUMENTS_SIGNING_PKCS12
    settings.DOCUMENTS_SIGNING_PKCS12 = ""  # no key: the handler makes no row
    case = _accepted(cast, django_capture_on_commit_callbacks)
    settings.DOCUMENTS_SIGNING_PKCS12 = key
    event = CaseEvent.objects.get(case=case, kind="transition.accept")
    document, created = issue.document_prepare(event=event, kind=Kind.ACCEPTANCE_NOTICE)
    assert created

    from documents.services import render

    real = render.render_pdf
    overlapped = []

    def overlapping(doc):
        rendered = real(doc)
        if not overlapped:
            overlapped.append(None)
            overlapped[0] = issue.document_render(document_id=doc.pk)  # the other worker
        return rendered

    monkeypatch.setattr(render, "render_pdf", overlapping)
    result = issue.document_render(document_id=document.pk)
    assert overlapped[0].status == Document.Status.VALID
    assert result.status == Document.Status.VALID
    assert result.sha256 == overlapped[0].sha256
    assert Document.objects.filter(kind=Kind.ACCEPTANCE_NOTICE).count() == 1
    assert CaseEvent.objects.filter(case=case, kind="document.issued").count() == 1


def test_each_transition_issues_its_documents(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.accept(cast, factories.to_review(cast))
    with django_capture_on_commit_callbacks(execute=True):
        factories.terminate(cast, case)
    kinds = sorted(Document.objects.values_list("kind", flat=True))
    assert kinds == sorted(
        [
            Kind.ACCEPTANCE_NOTICE,
            Kind.MEDIATION_NOTICE,
            Kind.TERMINATION_NOTICE,
            Kind.MEDIATION_TRANSCRIPT,
        ]
    )
    assert set(TRIGGERS["transition.terminate"]) == {
        Kind.TERMINATION_NOTICE,
        Kind.MEDIATION_TRANSCRIPT,
    }
    # The signed termination notice is the telling its clock waits for (a 7-working-day
    # limit from the decision): issued the same day, it ends the clock met, as an action.
    deadline = Deadline.objects.get(case=case, clock="termination_notice")
    assert deadline.status == "met"
    delivered = CaseEvent.objects.get(case=case, kind="case.termination_notice_delivered")
    notice = Document.objects.get(kind=Kind.TERMINATION_NOTICE)
    assert delivered.payload["document"] == notice.number
    assert delivered.payload["clocks"] == {"termination_notice": "met"}
    assert (delivered.from_state, delivered.to_state) == ("", "")


def test_without_a_signing_key_nothing_is_made_and_the_sweep_catches_up(
    cast, settings, django_capture_on_commit_callbacks, caplog
):
    key = settings.DOCUMENTS_SIGNING_PKCS12
    settings.DOCUMENTS_SIGNING_PKCS12 = ""
    with caplog.at_level(logging.WARNING, logger="documents.handlers"):
        _accepted(cast, django_capture_on_commit_callbacks)
    assert Document.objects.count() == 0
    assert "no signing key is configured" in caplog.text
    assert documents_sweep() == {"skipped": "no signing key"}
    settings.DOCUMENTS_SIGNING_PKCS12 = key
    report = documents_sweep()
    assert report["caught_up"] == 2  # forms 5 and 7 of the acceptance
    assert Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE).status == Document.Status.VALID
    assert documents_sweep()["caught_up"] == 0


def test_a_failing_rendering_is_recorded_and_given_up_after_the_attempts(
    cast, settings, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(document):
        raise RuntimeError("font missing")

    monkeypatch.setattr("documents.services.render.render_pdf", broken)
    settings.DOCUMENTS_MAX_ATTEMPTS = 2
    _accepted(cast, django_capture_on_commit_callbacks)
    document = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    assert document.status == Document.Status.PREPARING
    assert document.attempts == 1
    assert "font missing" in document.last_error
    tasks.enqueue_render(document.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert document.attempts == 2
    tasks.enqueue_render(document.pk)  # a late redelivery changes nothing
    document.refresh_from_db()
    assert document.status == Document.Status.FAILED and document.attempts == 2
    monkeypatch.undo()
    issue.document_retry(document=document)
    tasks.enqueue_render(document.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.VALID


def test_a_correction_supersedes_and_the_old_one_verifies_as_superseded(
    cast, django_capture_on_commit_callbacks
):
    case = _accepted(cast, django_capture_on_commit_callbacks)
    old = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    with old.file.open("rb") as handle:
        old_pdf = handle.read()
    with django_capture_on_commit_callbacks(execute=True):
        new = issue.document_reissue(document=old, actor=cast.regulator, reason="调解员姓名有误。")
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.status == Document.Status.VALID, new.last_error
    assert new.version == 2 and new.supersedes == old
    assert new.number.startswith(f"{case.reference}-AN2-")
    assert old.status == Document.Status.SUPERSEDED
    by_number = verify_number(number=old.number)
    assert by_number.verdict == Verdict.SUPERSEDED
    assert by_number.details["superseded_by"] == new.number
    assert new.number in by_number.message
    by_file = verify_pdf(data=old_pdf)
    assert by_file.verdict == Verdict.SUPERSEDED
    assert verify_number(number=new.number).verdict == Verdict.VALID
    assert case_log_verify(case=case).ok
    kinds = list(
        CaseEvent.objects.filter(case=case, kind__startswith="document.")
        .exclude(payload__kind=Kind.MEDIATION_NOTICE)
        .values_list("kind", flat=True)
    )
    assert kinds == ["document.issued", "document.correction_requested", "document.issued"]


def test_only_staff_correct_or_revoke(cast, django_capture_on_commit_callbacks):
    from odr.errors import Conflict, DomainError, NotAllowed

    _accepted(cast, django_capture_on_commit_callbacks)
    document = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    with pytest.raises(NotAllowed):
        issue.document_reissue(document=document, actor=cast.consumer, reason="想改")
    with pytest.raises(NotAllowed):
        issue.document_revoke(document=document, actor=cast.merchant_staff, reason="想撤")
    with pytest.raises(DomainError):
        issue.document_revoke(document=document, actor=cast.regulator, reason="  ")
    issue.document_revoke(document=document, actor=cast.regulator, reason="受理决定撤销。")
    with pytest.raises(Conflict):
        issue.document_revoke(document=document, actor=cast.regulator, reason="再撤")


def test_a_revoked_document_verifies_as_revoked(cast, django_capture_on_commit_callbacks):
    _accepted(cast, django_capture_on_commit_callbacks)
    document = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    with document.file.open("rb") as handle:
        data = handle.read()
    issue.document_revoke(document=document, actor=cast.regulator, reason="受理决定撤销。")
    assert verify_number(number=document.number).verdict == Verdict.REVOKED
    result = verify_pdf(data=data)
    assert result.verdict == Verdict.REVOKED
    assert result.details["status_reason"] == "受理决定撤销。"


def test_a_stored_file_changed_behind_our_back_is_reported(
    cast, django_capture_on_commit_callbacks
):
    _accepted(cast, django_capture_on_commit_callbacks)
    document = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    path = document.file.path
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    data[len(data) // 3] ^= 0x01
    with open(path, "wb") as handle:
        handle.write(bytes(data))
    assert verify_number(number=document.number).verdict == Verdict.ALTERED
