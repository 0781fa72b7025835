"""Keys and certificates: the platform's signing key from settings, the keys of the
offices, mediation organisations and mediators who sign in their own name, the trust
roots that verification accepts, and a throwaway PKI for development and tests.

Who signs what is decided in services/seals.py; here a signer (:class:`SignerIdentity`)
is turned into a key. The platform's key is configured by DOCUMENTS_SIGNING_*; every
other signer's is a PKCS#12 file in DOCUMENTS_SEALS_DIR named by the signer
(``office-371302.p12``, ``organisation-7.p12``, ``person-wang.p12``). In development and
tests a development CA (DOCUMENTS_DEV_CA_*) issues a missing one on demand; in
production a missing one is :class:`~documents.errors.SealKeyMissing`, which leaves the
document waiting for its key rather than signed by another.

Nothing here is read at import time; loaded keys are cached per configuration (paths,
file modification times), so a worker loads and checks each once, not per document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from documents.errors import SealKeyMissing


class SigningNotConfigured(ImproperlyConfigured):
    """No signing key in the settings: documents cannot be issued."""


@dataclass(frozen=True)
class OrgKey:
    """The organisation's key and certificate, ready for pyHanko."""

    private_key: object  # a cryptography private key
    certificate: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...]
    fingerprint: str  # SHA-256 of the certificate's DER, hex
    subject: str


def signing_configured() -> bool:
    return bool(
        settings.DOCUMENTS_SIGNING_PKCS12
        or (settings.DOCUMENTS_SIGNING_KEY and settings.DOCUMENTS_SIGNING_CERT)
    )


def certificate_fingerprint(certificate: asn1_x509.Certificate) -> str:
    return hashlib.sha256(certificate.dump()).hexdigest()


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


# Least recently used first; one entry per signer in use (an office, an organisation, a
# mediator), so a worker that signs for many offices keeps their keys loaded.
_cache: OrderedDict[tuple, object] = OrderedDict()
_CACHE_SIZE = 512
_lock = threading.Lock()


def _cached(key: tuple, load):
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = load()  # outside the lock: loading (or issuing) one key must not stall others
    with _lock:
        _cache[key] = value
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def _to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _load_pem_certs(paths: list[str]) -> list[x509.Certificate]:
    certs: list[x509.Certificate] = []
    for path in paths:
        data = Path(path).read_bytes()
        if b"-----BEGIN" in data:
            certs.extend(x509.load_pem_x509_certificates(data))
        else:
            certs.append(x509.load_der_x509_certificate(data))
    return certs


def org_key() -> OrgKey:
    """The configured signing key; SigningNotConfigured if there is none or it cannot be read."""
    if not signing_configured():
        raise SigningNotConfigured(
            "No signing key: set DOCUMENTS_SIGNING_PKCS12 (and DOCUMENTS_SIGNING_PASSPHRASE) "
            "or DOCUMENTS_SIGNING_KEY and DOCUMENTS_SIGNING_CERT."
        )
    paths = [
        settings.DOCUMENTS_SIGNING_PKCS12,
        settings.DOCUMENTS_SIGNING_KEY,
        settings.DOCUMENTS_SIGNING_CERT,
        *settings.DOCUMENTS_SIGNING_CHAIN,
    ]
    key = (
        "org",
        *paths,
        settings.DOCUMENTS_SIGNING_PASSPHRASE,
        settings.DOCUMENTS_SIGNING_KEY_PASSPHRASE,
        *(_mtime(p) for p in paths if p),
    )
    return _cached(key, _load_org_key)


def _load_org_key() -> OrgKey:
    try:
        if settings.DOCUMENTS_SIGNING_PKCS12:
            passphrase = settings.DOCUMENTS_SIGNING_PASSPHRASE.encode() or None
            private_key, certificate, extra = pkcs12.load_key_and_certificates(
                Path(settings.DOCUMENTS_SIGNING_PKCS12).read_bytes(), passphrase
            )
            chain = list(extra) + _load_pem_certs(settings.DOCUMENTS_SIGNING_CHAIN)
        else:
            passphrase = settings.DOCUMENTS_SIGNING_KEY_PASSPHRASE.encode() or None
            private_key = serialization.load_pem_private_key(
                Path(settings.DOCUMENTS_SIGNING_KEY).read_bytes(), passphrase
            )
            certificate = _load_pem_certs([settings.DOCUMENTS_SIGNING_CERT])[0]
            chain = _load_pem_certs(settings.DOCUMENTS_SIGNING_CHAIN)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningNotConfigured(f"The signing key cannot be read: {exc}") from exc
    return _org_key_from(private_key, certificate, chain)


def _org_key_from(private_key, certificate, chain) -> OrgKey:
    if private_key is None or certificate is None:
        raise SigningNotConfigured("The PKCS#12 file holds no key and certificate.")
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if certificate.public_key().public_bytes(*spki) != private_key.public_key().public_bytes(*spki):
        raise SigningNotConfigured("The signing certificate does not match the key.")
    cert = _to_asn1(certificate)
    return OrgKey(
        private_key=private_key,
        certificate=cert,
        chain=tuple(_to_asn1(c) for c in chain),
        fingerprint=certificate_fingerprint(cert),
        subject=cert.subject.human_friendly,
    )


# --- Signers other than the platform ----------------------------------------------------

PLATFORM = "platform"
OFFICE = "office"
ORGANISATION = "organisation"
PERSON = "person"
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")


@dataclass(frozen=True)
class SignerIdentity:
    """Who signs: the platform, a regulator office (by division code), a mediation
    organisation (by id) or a person (a mediator, by username), with the names their
    certificate and the register carry. A person's ``organisation_*`` is whom they sign
    for (the mediator's organisation)."""

    kind: str
    code: str
    name_zh: str
    name_en: str
    organisation_zh: str = ""
    organisation_en: str = ""

    @property
    def file_stem(self) -> str:
        return f"{self.kind}-{self.code}"

    def name(self, language: str) -> str:
        return (self.name_en or self.name_zh) if language.startswith("en") else self.name_zh

    def organisation(self, language: str) -> str:
        english = language.startswith("en")
        return (self.organisation_en or self.organisation_zh) if english else self.organisation_zh

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SignerIdentity:
        fields = ("kind", "code", "name_zh", "name_en", "organisation_zh", "organisation_en")
        return cls(**{k: str(data.get(k) or "") for k in fields})


def platform_identity() -> SignerIdentity:
    return SignerIdentity(
        kind=PLATFORM,
        code=PLATFORM,
        name_zh=settings.DOCUMENTS_ISSUER_NAME,
        name_en=settings.DOCUMENTS_ISSUER_NAME_EN,
    )


def dev_ca_configured() -> bool:
    return bool(settings.DOCUMENTS_DEV_CA_CERT and settings.DOCUMENTS_DEV_CA_KEY)


def signer_key(identity: SignerIdentity) -> OrgKey:
    """The key ``identity`` signs with. The platform's from DOCUMENTS_SIGNING_*; anyone
    else's from DOCUMENTS_SEALS_DIR, issued there by the development CA when that is
    configured and the file is missing. Raises SealKeyMissing when there is none."""
    if identity.kind == PLATFORM:
        return org_key()
    if identity.kind not in (OFFICE, ORGANISATION, PERSON) or not _CODE.fullmatch(identity.code):
        raise SealKeyMissing(f"no signing key can be named for {identity!r}")
    directory = settings.DOCUMENTS_SEALS_DIR
    if not directory:
        raise SealKeyMissing(
            f"DOCUMENTS_SEALS_DIR is not set: no key for {identity.file_stem} ({identity.name_zh})"
        )
    path = Path(directory) / f"{identity.file_stem}.p12"
    if not path.exists() and dev_ca_configured():
        dev_signer_issue(identity=identity, path=path)
    if not path.exists():
        raise SealKeyMissing(
            f"no signing key for {identity.name_zh}: {path.name} is missing in DOCUMENTS_SEALS_DIR"
        )
    passphrase_file = path.with_suffix(".passphrase")
    passphrase = settings.DOCUMENTS_SEALS_PASSPHRASE
    if passphrase_file.exists():
        passphrase = passphrase_file.read_text().strip()
    key = ("seal", str(path), _mtime(str(path)), passphrase, *settings.DOCUMENTS_SIGNING_CHAIN)

    def load() -> OrgKey:
        try:
            return _load_pkcs12(path, passphrase)
        except SigningNotConfigured as exc:
            raise SealKeyMissing(f"{path.name}: {exc}") from exc

    return _cached(key, load)


def _load_pkcs12(path: Path, passphrase: str) -> OrgKey:
    try:
        private_key, certificate, extra = pkcs12.load_key_and_certificates(
            path.read_bytes(), passphrase.encode() or None
        )
        chain = list(extra) + _load_pem_certs(settings.DOCUMENTS_SIGNING_CHAIN)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningNotConfigured(f"The signing key cannot be read: {exc}") from exc
    return _org_key_from(private_key, certificate, chain)


def private_key_info(org: OrgKey) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        org.private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def trust_roots() -> tuple[asn1_x509.Certificate, ...]:
    """The roots verification trusts (DOCUMENTS_TRUST_ROOTS); unreadable files are skipped
    with nothing trusted from them, so a bad path never makes a forgery pass."""
    paths = list(settings.DOCUMENTS_TRUST_ROOTS)
    key = ("roots", *paths, *(_mtime(p) for p in paths))

    def load():
        roots = []
        for path in paths:
            try:
                roots.extend(_to_asn1(c) for c in _load_pem_certs([path]))
            except (OSError, ValueError):
                continue
        return tuple(roots)

    return _cached(key, load)


# --- A throwaway PKI for development and tests ---------------------------------------------


@dataclass(frozen=True)
class DevPki:
    directory: Path
    root_cert: Path
    root_key: Path
    signer_cert: Path
    signer_key: Path
    pkcs12: Path
    passphrase: str
    # The offices', organisations' and mediators' keys, issued on demand by the root.
    seals_dir: Path | None = None

    def env(self) -> dict[str, str]:
        """The settings that make the app sign with this PKI and trust its root."""
        env = {
            "DOCUMENTS_SIGNING_PKCS12": str(self.pkcs12),
            "DOCUMENTS_SIGNING_PASSPHRASE": self.passphrase,
            "DOCUMENTS_TRUST_ROOTS": str(self.root_cert),
        }
        if self.seals_dir is not None:
            env.update(
                {
                    "DOCUMENTS_SEALS_DIR": str(self.seals_dir),
                    "DOCUMENTS_SEALS_PASSPHRASE": self.passphrase,
                    "DOCUMENTS_DEV_CA_CERT": str(self.root_cert),
                    "DOCUMENTS_DEV_CA_KEY": str(self.root_key),
                }
            )
        return env


def _fit(text: str, limit: int = 64) -> str:
    """X.509 names allow 64 bytes of UTF-8 per attribute."""
    while len(text.encode()) > limit:
        text = text[:-1]
    return text


def _name(common_name: str, organisation: str, *, title: str = "") -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation)),
    ]
    if title:
        attributes.append(x509.NameAttribute(NameOID.TITLE, _fit(title)))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name)))
    return x509.Name(attributes)


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    path.write_bytes(data)
    if secret:
        path.chmod(0o600)


def _signing_certificate(
    *, subject: x509.Name, public_key, issuer: x509.Name, issuer_key, days: int
) -> x509.Certificate:
    """A document-signing (end-entity) certificate issued by ``issuer``."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
        .sign(issuer_key, hashes.SHA256())
    )


def dev_pki_create(
    *, directory: Path, organisation: str, key_size: int = 3072, days: int = 825
) -> DevPki:
    """A root CA and a document-signing certificate it issues, with a PKCS#12 of the
    signing key (random passphrase), and an empty folder for the certificates the root
    issues on demand to offices, organisations and mediators (seals/). For development
    and tests only: the root's key is written next to it, so that it can issue them."""
    directory.mkdir(parents=True, exist_ok=True)
    seals_dir = directory / "seals"
    seals_dir.mkdir(exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    root_name = _name("ODR 12315 development root CA (not for production)", organisation)
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=days * 4))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    signer_key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    signer = _signing_certificate(
        subject=_name(f"{organisation} 电子文书签章（开发）", organisation),
        public_key=signer_key.public_key(),
        issuer=root_name,
        issuer_key=root_key,
        days=days,
    )
    passphrase = secrets.token_urlsafe(24)
    pki = DevPki(
        directory=directory,
        root_cert=directory / "root.pem",
        root_key=directory / "root.key.pem",
        signer_cert=directory / "signer.pem",
        signer_key=directory / "signer.key.pem",
        pkcs12=directory / "signer.p12",
        passphrase=passphrase,
        seals_dir=seals_dir,
    )
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    _write(pki.root_cert, root.public_bytes(pem))
    _write(
        pki.root_key,
        root_key.private_bytes(pem, pkcs8, serialization.NoEncryption()),
        secret=True,
    )
    _write(pki.signer_cert, signer.public_bytes(pem) + root.public_bytes(pem))
    _write(
        pki.signer_key,
        signer_key.private_bytes(pem, pkcs8, serialization.NoEncryption()),
        secret=True,
    )
    _write(
        pki.pkcs12,
        pkcs12.serialize_key_and_certificates(
            b"odr-documents",
            signer_key,
            signer,
            [root],
            serialization.BestAvailableEncryption(passphrase.encode()),
        ),
        secret=True,
    )
    _write(directory / "passphrase.txt", passphrase.encode() + b"\n", secret=True)
    return pki


def dev_pki_open(directory: Path) -> DevPki | None:
    """The development PKI that :func:`dev_pki_create` made in ``directory``, or None."""
    files = [directory / n for n in ("root.pem", "root.key.pem", "signer.p12", "passphrase.txt")]
    if not all(f.exists() for f in files):
        return None
    return DevPki(
        directory=directory,
        root_cert=directory / "root.pem",
        root_key=directory / "root.key.pem",
        signer_cert=directory / "signer.pem",
        signer_key=directory / "signer.key.pem",
        pkcs12=directory / "signer.p12",
        passphrase=(directory / "passphrase.txt").read_text().strip(),
        seals_dir=directory / "seals",
    )


def _dev_ca() -> tuple[x509.Certificate, object]:
    cert_path, key_path = settings.DOCUMENTS_DEV_CA_CERT, settings.DOCUMENTS_DEV_CA_KEY
    key = ("dev-ca", cert_path, key_path, _mtime(cert_path), _mtime(key_path))

    def load():
        certificate = _load_pem_certs([cert_path])[0]
        private_key = serialization.load_pem_private_key(Path(key_path).read_bytes(), None)
        return certificate, private_key

    return _cached(key, load)


def dev_subject(identity: SignerIdentity) -> x509.Name:
    """The certificate subject of a signer: an office or organisation is its own
    organisation and common name; a person is named with the organisation they sign for
    and their function (title)."""
    if identity.kind == PERSON:
        return _name(identity.name_zh, identity.organisation_zh or identity.name_zh, title="调解员")
    return _name(identity.name_zh, identity.name_zh)


def dev_signer_issue(
    *, identity: SignerIdentity, path: Path, pki: DevPki | None = None, days: int = 825
) -> Path:
    """Issue ``identity`` a key and certificate from the development CA (``pki``'s, or
    DOCUMENTS_DEV_CA_*), as the PKCS#12 file ``path`` (passphrase: ``pki``'s, or
    DOCUMENTS_SEALS_PASSPHRASE). Never replaces a file: when two processes issue at once,
    the first file written is the one both use."""
    try:
        if pki is not None:
            ca_cert = _load_pem_certs([str(pki.root_cert)])[0]
            ca_key = serialization.load_pem_private_key(pki.root_key.read_bytes(), None)
        else:
            ca_cert, ca_key = _dev_ca()
    except (OSError, ValueError, IndexError) as exc:
        raise SealKeyMissing(f"the development CA cannot be read: {exc}") from exc
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = _signing_certificate(
        subject=dev_subject(identity),
        public_key=key.public_key(),
        issuer=ca_cert.subject,
        issuer_key=ca_key,
        days=days,
    )
    passphrase = (
        pki.passphrase if pki is not None else settings.DOCUMENTS_SEALS_PASSPHRASE
    ).encode()
    encryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    data = pkcs12.serialize_key_and_certificates(
        identity.file_stem.encode(), key, certificate, [ca_cert], encryption
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    _write(partial, data, secret=True)
    try:
        os.link(partial, path)  # atomic, and fails if another process was first
    except FileExistsError:
        pass
    finally:
        partial.unlink(missing_ok=True)
    return path
