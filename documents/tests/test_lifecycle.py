"""The lifecycle over years: a document stays valid after the signing certificate has
expired, an expired certificate signs nothing, a revoked correction leaves the way open
for another, a time-stamp outage uses up no attempts, and /verify/ tells apart a signature
taken off, blank bytes added and content added."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.utils import timezone

from documents.kinds import Kind
from documents.models import Document
from documents.services import issue, sign
from documents.services.verify import Verdict, verify_number, verify_pdf
from documents.tests import factories
from odr.errors import Conflict

pytestmark = pytest.mark.django_db


def _accepted(cast, capture):
    with capture(execute=True):
        case = factories.to_review(cast)
    with capture(execute=True):
        return factories.accept(cast, case)


def _bytes(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def _signer_valid_between(dev_pki, tmp_path, not_before, not_after):
    """A signing certificate from the development root, valid only in the given period;
    written as PEM key and certificate, the way production may configure it."""
    root_key = serialization.load_pem_private_key(dev_pki.root_key.read_bytes(), None)
    root = x509.load_pem_x509_certificate(dev_pki.root_cert.read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "临沂市兰山区市场监督管理局"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Document signing (short-lived test key)"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    key_path, cert_path = tmp_path / "short.key.pem", tmp_path / "short.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _use_pem(settings, key_path, cert_path):
    """The platform's key as PEM files, and the same key as the acceptance decision's
    office's (office-371300.p12 in the seals folder), so both are the short-lived one."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    settings.DOCUMENTS_SIGNING_PKCS12 = ""
    settings.DOCUMENTS_SIGNING_KEY = str(key_path)
    settings.DOCUMENTS_SIGNING_CERT = str(cert_path)
    settings.DOCUMENTS_SIGNING_CHAIN = []
    seals = Path(settings.DOCUMENTS_SEALS_DIR)
    seals.mkdir(parents=True, exist_ok=True)
    (seals / "office-371300.p12").write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"office-371300",
            serialization.load_pem_private_key(key_path.read_bytes(), None),
            x509.load_pem_x509_certificate(cert_path.read_bytes()),
            None,
            serialization.BestAvailableEncryption(settings.DOCUMENTS_SEALS_PASSPHRASE.encode()),
        )
    )


def test_an_expired_certificate_signs_nothing(
    cast, settings, dev_pki, tmp_path, django_capture_on_commit_callbacks
):
    now = dt.datetime.now(dt.UTC)
    _use_pem(
        settings,
        *_signer_valid_between(
            dev_pki, tmp_path, now - dt.timedelta(days=3), now - dt.timedelta(days=1)
        ),
    )
    _accepted(cast, django_capture_on_commit_callbacks)
    document = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    assert document.status == Document.Status.PREPARING
    assert not document.sha256 and not document.file


def test_a_document_stays_valid_after_its_certificate_expired(
    cast, settings, dev_pki, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    """Signed while the certificate was valid (two days ago, by the register); the
    certificate expired yesterday; /verify/ still says valid, by number and by file."""
    now = dt.datetime.now(dt.UTC)
    _use_pem(
        settings,
        *_signer_valid_between(
            dev_pki, tmp_path, now - dt.timedelta(days=3), now - dt.timedelta(days=1)
        ),
    )
    # Sign as if it were two days ago: the validity check is what stops it today.
    monkeypatch.setattr(sign, "check_certificate_current", lambda org: None)
    _accepted(cast, django_capture_on_commit_callbacks)
    document = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    assert document.status == Document.Status.VALID, document.last_error
    Document.objects.filter(pk=document.pk).update(signed_at=timezone.now() - dt.timedelta(days=2))
    data = _bytes(document)
    assert verify_number(number=document.number).verdict == Verdict.VALID
    assert verify_pdf(data=data).verdict == Verdict.VALID
    # Judged today (not a registered document's time), the same signature is not trusted.
    stranger = verify_pdf(data=data + b"%% not ours\n")
    assert stranger.verdict != Verdict.VALID


def test_a_revoked_correction_leaves_the_way_open_for_another(
    cast, django_capture_on_commit_callbacks
):
    _accepted(cast, django_capture_on_commit_callbacks)
    v1 = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    with django_capture_on_commit_callbacks(execute=True):
        v2 = issue.document_reissue(document=v1, actor=cast.regulator, reason="日期有误。")
    v2.refresh_from_db()
    assert v2.status == Document.Status.VALID and v2.version == 2
    with pytest.raises(Conflict):
        issue.document_reissue(document=v1, actor=cast.regulator, reason="又改")
    issue.document_revoke(document=v2, actor=cast.regulator, reason="更正版本有误。")
    with django_capture_on_commit_callbacks(execute=True):
        v3 = issue.document_reissue(document=v2, actor=cast.regulator, reason="重新签发。")
    v3.refresh_from_db()
    v1.refresh_from_db()
    assert v3.status == Document.Status.VALID, v3.last_error
    assert v3.version == 3 and v3.supersedes == v2
    assert v1.status == Document.Status.SUPERSEDED
    assert verify_number(number=v2.number).verdict == Verdict.REVOKED
    assert verify_number(number=v3.number).verdict == Verdict.VALID
    # v1's successor shown to the public is the one in force, not the revoked one.
    assert verify_number(number=v1.number).details["superseded_by"] == v2.number


def test_a_time_stamp_outage_uses_up_no_attempts(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.DOCUMENTS_TSA_URL = "http://127.0.0.1:9/tsa"  # nothing listens on discard
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.to_review(cast)
    with django_capture_on_commit_callbacks(execute=True):
        factories.reject(cast, case)
    document = Document.objects.get(kind=Kind.REFUSAL_NOTICE)
    for _run in range(settings.DOCUMENTS_MAX_ATTEMPTS + 2):
        with pytest.raises(Exception, match="time-stamp"):
            issue.document_render(document_id=document.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.PREPARING
    assert document.attempts == 0
    settings.DOCUMENTS_TSA_URL = ""
    issue.document_render(document_id=document.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.VALID, document.last_error


def test_a_notice_with_its_signature_taken_off_is_unsigned_not_a_draft(
    cast, django_capture_on_commit_callbacks
):
    _accepted(cast, django_capture_on_commit_callbacks)
    document = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    stripped = _bytes(document)[: document.content_size]
    assert verify_pdf(data=stripped).verdict == Verdict.UNSIGNED


def test_blank_bytes_after_the_end_are_ignored_but_content_is_not(
    cast, django_capture_on_commit_callbacks
):
    _accepted(cast, django_capture_on_commit_callbacks)
    document = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    data = _bytes(document)
    for tail in (b"\n", b"\r\n", b"  \n\n"):
        result = verify_pdf(data=data + tail)
        assert result.verdict == Verdict.VALID, (tail, result.message)
        assert result.details["trailing_bytes_ignored"] == len(tail)
        assert result.document == document
    assert verify_pdf(data=data + b"\n% appended\n").verdict == Verdict.ALTERED
