"""Keys and certificates: the organisation's signing key from settings, the trust roots
that verification accepts, and a throwaway PKI for development and tests.

Nothing here is read at import time; the loaded key is cached per configuration (paths,
file modification times), so a worker loads and checks it once, not per document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import threading
from dataclasses import dataclass
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


_cache: dict[tuple, object] = {}
_lock = threading.Lock()


def _cached(key: tuple, load):
    with _lock:
        if key not in _cache:
            if len(_cache) > 16:  # configurations change rarely; keep the cache small
                _cache.clear()
            _cache[key] = load()
        return _cache[key]


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

    def env(self) -> dict[str, str]:
        """The settings that make the app sign with this PKI and trust its root."""
        return {
            "DOCUMENTS_SIGNING_PKCS12": str(self.pkcs12),
            "DOCUMENTS_SIGNING_PASSPHRASE": self.passphrase,
            "DOCUMENTS_TRUST_ROOTS": str(self.root_cert),
        }


def _fit(text: str, limit: int = 64) -> str:
    """X.509 names allow 64 bytes of UTF-8 per attribute."""
    while len(text.encode()) > limit:
        text = text[:-1]
    return text


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation)),
            x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name)),
        ]
    )


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    path.write_bytes(data)
    if secret:
        path.chmod(0o600)


def dev_pki_create(
    *, directory: Path, organisation: str, key_size: int = 3072, days: int = 825
) -> DevPki:
    """A root CA and a document-signing certificate it issues, with a PKCS#12 of the
    signing key (random passphrase). For development and tests only: the root's key is
    written next to it so that more test certificates can be issued."""
    directory.mkdir(parents=True, exist_ok=True)
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
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organisation} 电子文书签章（开发）", organisation))
        .issuer_name(root_name)
        .public_key(signer_key.public_key())
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
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
