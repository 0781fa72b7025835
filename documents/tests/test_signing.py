"""Signatures: PAdES B-B valid by pyHanko and by poppler's pdfsig (our root trusted in an
NSS database); one changed byte is caught by both and by /verify/; a PDF signed by
someone else is not trusted; with a time-stamp authority the signature is B-T."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import io
import re
import threading

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from documents.kinds import Kind
from documents.models import Document
from documents.services.sign import pdf_sign
from documents.services.verify import Verdict, verify_number, verify_pdf
from documents.tests import factories
from documents.tests.poppler import pdfsig

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(cast, django_capture_on_commit_callbacks) -> Document:
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.to_review(cast)
    with django_capture_on_commit_callbacks(execute=True):
        factories.accept(cast, case)
    document = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    assert document.status == Document.Status.VALID, document.last_error
    return document


def _bytes(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def _status(data: bytes, root_path) -> object:
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    (signature,) = reader.embedded_signatures
    root = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(root_path.read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
    )
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    return validate_pdf_signature(signature, context)


def _tampered(data: bytes) -> bytes:
    """One byte changed inside the signed range: in the middle of the first stream."""
    start = data.index(b"stream\n") + len(b"stream\n")
    end = data.index(b"endstream", start)
    offset = (start + end) // 2
    byte_range = [
        int(n) for n in re.search(rb"/ByteRange\s*\[\s*([\d\s]+)\]", data).group(1).split()
    ]
    assert byte_range[0] <= offset < byte_range[0] + byte_range[1]
    changed = bytearray(data)
    changed[offset] ^= 0x01
    return bytes(changed)


def test_signature_is_pades_b_b_and_valid_by_pyhanko(notice, dev_pki):
    data = _bytes(notice)
    status = _status(data, dev_pki.root_cert)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.timestamp_validity is None  # B-B: no signature time-stamp
    assert "/ETSI.CAdES.detached" in data.decode("latin-1")
    assert notice.sha256 == hashlib.sha256(data).hexdigest()
    signer = status.signing_cert
    assert hashlib.sha256(signer.dump()).hexdigest() == notice.signer_fingerprint
    # The signed file begins with the rendered content, byte for byte.
    assert hashlib.sha256(data[: notice.content_size]).hexdigest() == notice.content_sha256


def test_signature_is_valid_by_pdfsig_with_our_root_trusted(notice, nss_db, tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(_bytes(notice))
    report = pdfsig(path, nss_db)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Certificate Validation: Certificate is Trusted." in report, report
    assert "Total document signed" in report, report


def test_one_changed_byte_is_caught_by_pyhanko_pdfsig_and_verify(notice, dev_pki, nss_db, tmp_path):
    altered = _tampered(_bytes(notice))
    status = _status(altered, dev_pki.root_cert)
    assert not status.intact
    path = tmp_path / "altered.pdf"
    path.write_bytes(altered)
    report = pdfsig(path, nss_db)
    # pdfsig exits 0 here too: only its text tells.
    assert "Digest Mismatch" in report, report
    assert "Signature is Valid" not in report
    result = verify_pdf(data=altered)
    assert result.verdict == Verdict.ALTERED
    assert not result.ok


def test_a_pdf_signed_by_someone_else_is_not_trusted(notice, settings, other_pki, nss_db, tmp_path):
    draft = _bytes(notice)[: notice.content_size]
    settings.DOCUMENTS_SIGNING_PKCS12 = str(other_pki.pkcs12)
    settings.DOCUMENTS_SIGNING_PASSPHRASE = other_pki.passphrase
    forged = pdf_sign(draft, reason="forged").pdf
    result = verify_pdf(data=forged)
    assert result.verdict == Verdict.UNTRUSTED
    assert result.signature.intact and not result.signature.trusted
    path = tmp_path / "forged.pdf"
    path.write_bytes(forged)
    report = pdfsig(path, nss_db)
    assert "Signature is Valid" in report  # the maths is right ...
    assert "Certificate is Trusted" not in report  # ... but not our root


def test_the_issued_file_verifies_as_valid(notice):
    result = verify_pdf(data=_bytes(notice))
    assert result.verdict == Verdict.VALID and result.ok
    assert result.document == notice
    by_number = verify_number(number=notice.number)
    assert by_number.verdict == Verdict.VALID
    assert by_number.signature.ok


@pytest.mark.parametrize(
    ("data", "verdict"),
    [
        (b"", Verdict.NOT_PDF),
        (b"GIF89a\x01\x00\x01\x00", Verdict.NOT_PDF),
        ("投诉受理决定书".encode() * 100, Verdict.NOT_PDF),
        (b"%PDF-1.7\n" + b"\x00garbage" * 200, Verdict.DAMAGED),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF", None),
    ],
)
def test_anything_that_is_not_our_pdf_gets_a_verdict(data, verdict):
    result = verify_pdf(data=data)
    assert not result.ok
    if verdict is not None:
        assert result.verdict == verdict
    else:
        assert result.verdict in (Verdict.DAMAGED, Verdict.UNSIGNED)


def test_a_truncated_signed_file_is_altered_or_damaged(notice):
    data = _bytes(notice)
    result = verify_pdf(data=data[: len(data) - 300])
    assert result.verdict in (Verdict.ALTERED, Verdict.DAMAGED)


def test_a_file_with_content_appended_after_signing_is_altered(notice):
    data = _bytes(notice)
    result = verify_pdf(data=data + b"\n% appended\n")
    assert result.verdict == Verdict.ALTERED


# --- B-T with a local time-stamp authority ----------------------------------------------


def _tsa_certificate(dev_pki):
    root_key = serialization.load_pem_private_key(dev_pki.root_key.read_bytes(), None)
    root = x509.load_pem_x509_certificate(dev_pki.root_cert.read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")]))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    return (
        asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )


@pytest.fixture
def tsa_url(dev_pki):
    """An RFC 3161 time-stamp authority on 127.0.0.1 (pyHanko's test stamper behind HTTP)."""
    cert, key = _tsa_certificate(dev_pki)
    stamper = DummyTimeStamper(tsa_cert=cert, tsa_key=key)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            response = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_with_a_time_stamp_authority_the_signature_is_b_t(
    cast, settings, tsa_url, dev_pki, django_capture_on_commit_callbacks
):
    settings.DOCUMENTS_TSA_URL = tsa_url
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.to_review(cast)
    with django_capture_on_commit_callbacks(execute=True):
        factories.reject(cast, case)
    document = Document.objects.get(kind=Kind.REFUSAL_NOTICE)
    assert document.status == Document.Status.VALID, document.last_error
    assert document.timestamped
    status = _status(_bytes(document), dev_pki.root_cert)
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.trusted
    result = verify_number(number=document.number)
    assert result.verdict == Verdict.VALID
    assert result.signature.timestamped


def test_an_unreachable_time_stamp_authority_leaves_the_document_to_retry(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.DOCUMENTS_TSA_URL = "http://127.0.0.1:9/tsa"  # discard port: nothing listens
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.to_review(cast)
    with django_capture_on_commit_callbacks(execute=True):
        factories.reject(cast, case)
    document = Document.objects.get(kind=Kind.REFUSAL_NOTICE)
    assert document.status == Document.Status.PREPARING
    assert "TransientSigningError" in document.last_error or "Retry" in document.last_error


def test_without_trust_roots_nothing_is_trusted(notice, settings):
    """No fallback to the operating system's trust list: an empty list trusts nobody."""
    settings.DOCUMENTS_TRUST_ROOTS = []
    assert verify_pdf(data=_bytes(notice)).verdict == Verdict.UNTRUSTED
    settings.DOCUMENTS_TRUST_ROOTS = ["/nonexistent/root.pem"]
    assert verify_pdf(data=_bytes(notice)).verdict == Verdict.UNTRUSTED
