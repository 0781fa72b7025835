"""PAdES signatures with pyHanko: baseline B-B, or B-T when a time-stamp authority is set.

Each signature is an incremental update: the signed file starts with the unsigned PDF
byte for byte, which is how an agreement's signed version provably contains the draft
that the parties confirmed. A document signed twice (the mediator in person, then the
office's seal: services/seals.py) has two such updates, each signature in its own field.
"""

from __future__ import annotations

import binascii
import io
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.conf import settings
from django.utils import timezone
from pyhanko.pdf_utils import content
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers, timestamps
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import SigningError, get_pyca_cryptography_hash
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from documents.errors import SealKeyMissing, TransientSigningError
from documents.services.artwork import seal_pdf, signature_pdf
from documents.services.pki import (
    PLATFORM,
    OrgKey,
    SignerIdentity,
    SigningNotConfigured,
    platform_identity,
    private_key_info,
    signer_key,
)

# The seal's field (the office's, organisation's or platform's signature) and a person's.
SIGNATURE_FIELD = "ODR12315"
PERSONAL_FIELD = "ODR12315-Mediator"
SEAL = "seal"
SIGNATURE = "signature"
# Room for the CMS signature without a dry run (which would sign twice): the signature,
# the signed attributes and the certificate chain, in bytes of DER; the PDF holds them as
# hex, twice as long. A time-stamp token varies in size, so for B-T pyHanko measures.
_RESERVED_BASE = 3072


class _OrgSigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner re-parses the private key for every signature (about 0.15 s
    for RSA-3072 with today's key checks); this one signs with the key object loaded once."""

    def __init__(self, org: OrgKey):
        super().__init__(
            signing_cert=org.certificate,
            signing_key=private_key_info(org),
            cert_registry=SimpleCertificateStore.from_certs(list(org.chain)),
        )
        self._private_key = org.private_key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        key = self._private_key
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
            return key.sign(data, PKCS1v15(), hash_algorithm)
        if mechanism == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
            return key.sign(data, ECDSA(hash_algorithm))
        return self.sign_raw(data, digest_algorithm)


_signers: dict[str, _OrgSigner] = {}
_SIGNERS_KEPT = 512  # one per office, organisation and mediator in use


def _signer(org: OrgKey) -> _OrgSigner:
    signer = _signers.get(org.fingerprint)
    if signer is None:
        if len(_signers) >= _SIGNERS_KEPT:
            _signers.clear()
        signer = _signers[org.fingerprint] = _OrgSigner(org)
    return signer


class _PdfBytesPage(content.ImportedPdfPage):
    """pyHanko's ImportedPdfPage reads a file; the seal is rendered in memory."""

    def __init__(self, data: bytes):
        self.data = data
        super().__init__(file_name="", page_ix=0)

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(
            PdfFileReader(io.BytesIO(self.data)), page_ix=0
        )
        name = "/Seal" + binascii.hexlify(uuid.uuid4().bytes).decode("ascii")
        self.resources.xobject[name] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return name.encode("ascii") + b" Do"


def check_certificate_current(org: OrgKey) -> None:
    """Refuse to sign with a certificate outside its validity period: such a signature
    is invalid from the start. Documents wait (SigningNotConfigured) until a current
    certificate is configured, and the sweep issues them then."""
    validity = org.certificate["tbs_certificate"]["validity"]
    now = timezone.now()
    not_before, not_after = validity["not_before"].native, validity["not_after"].native
    if now < not_before:
        raise SigningNotConfigured(f"The signing certificate is not valid before {not_before}.")
    if now > not_after:
        raise SigningNotConfigured(f"The signing certificate expired on {not_after}.")


@dataclass(frozen=True)
class Signed:
    pdf: bytes
    fingerprint: str
    subject: str
    timestamped: bool
    signed_at: object  # datetime
    identity: SignerIdentity | None = None


def signer_key_current(identity: SignerIdentity) -> OrgKey:
    """The signer's key, checked to be usable now. An office's, organisation's or
    person's key that is missing or out of date is SealKeyMissing (the document waits);
    the platform's raises SigningNotConfigured as before."""
    org = signer_key(identity)
    try:
        check_certificate_current(org)
    except SigningNotConfigured as exc:
        if identity.kind == PLATFORM:
            raise
        raise SealKeyMissing(f"{identity.file_stem}: {exc}") from exc
    return org


def pdf_sign(
    pdf: bytes,
    *,
    reason: str,
    seal: dict | None = None,
    location: str = "",
    contact: str = "",
    signer: SignerIdentity | None = None,
    field_name: str = SIGNATURE_FIELD,
    appearance: str = SEAL,
    label: str = "",
) -> Signed:
    """Sign a PDF as ``signer`` (the platform by default) in the field ``field_name``,
    its mark drawn as the signature's appearance at ``seal`` ({"page": index, "box":
    [x1, y1, x2, y2]} in points), invisible without: the round seal of the office,
    organisation or platform, or a person's signature mark (``appearance=SIGNATURE``,
    with ``label`` beneath the name, in the document's language).

    Raises SigningNotConfigured without the platform's key, SealKeyMissing without the
    signer's, and TransientSigningError when the time-stamp authority cannot be reached.
    """
    identity = signer or platform_identity()
    org = signer_key_current(identity)
    tsa_url = settings.DOCUMENTS_TSA_URL
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason or None,
        location=location or None,
        contact_info=contact or None,
        name=org.subject,
    )
    timestamper = timestamps.HTTPTimeStamper(tsa_url, timeout=10) if tsa_url else None
    reserved = None
    if timestamper is None:
        der = _RESERVED_BASE + sum(len(c.dump()) for c in (org.certificate, *org.chain))
        reserved = 2 * der
    field = SigFieldSpec(field_name)
    style = None
    if seal:
        field = SigFieldSpec(field_name, on_page=seal["page"], box=tuple(seal["box"]))
        if appearance == SIGNATURE:
            artwork = signature_pdf(identity.name_zh, label or "电子签名")
        else:
            artwork = seal_pdf(identity.name_zh)
        style = StaticStampStyle(
            background=_PdfBytesPage(artwork), border_width=0, background_opacity=1.0
        )
    signed_at = timezone.now()

    def sign(bytes_reserved):
        pdf_signer = signers.PdfSigner(
            meta,
            signer=_signer(org),
            timestamper=timestamper,
            stamp_style=style,
            new_field_spec=field,
        )
        return pdf_signer.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False),
            bytes_reserved=bytes_reserved,
        )

    try:
        try:
            out = sign(reserved)
        except SigningError:
            if reserved is None:
                raise
            out = sign(None)  # the chain or signature was larger than reckoned: measure
    except timestamps.TimestampRequestError as exc:
        raise TransientSigningError(f"time-stamp authority: {exc}") from exc
    return Signed(
        pdf=out.getvalue(),
        fingerprint=org.fingerprint,
        subject=org.subject,
        timestamped=timestamper is not None,
        signed_at=signed_at,
        identity=identity,
    )
