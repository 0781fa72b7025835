"""Fixtures for the documents tests: a throwaway PKI per test session (ours, and someone
else's), settings that sign with it, an NSS database that trusts our root for pdfsig, and
the cast and cases to issue documents for."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from documents.services.pki import DevPki, dev_pki_create
from documents.tests import factories

ISSUER = "临沂市兰山区市场监督管理局"
ARTIFACTS = Path(django_settings.BASE_DIR) / "var" / "test-artifacts"


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory) -> DevPki:
    return dev_pki_create(
        directory=tmp_path_factory.mktemp("pki"), organisation=ISSUER, key_size=2048
    )


@pytest.fixture(scope="session")
def other_pki(tmp_path_factory) -> DevPki:
    """Someone else's PKI: same organisation name, different keys."""
    return dev_pki_create(
        directory=tmp_path_factory.mktemp("other-pki"), organisation=ISSUER, key_size=2048
    )


@pytest.fixture(autouse=True)
def _fresh_verify_rate():
    """The verification rate limit lives in the cache (Redis under CI): start each test
    with an unused allowance for the test client's address, and touch no other key."""
    from django.core.cache import cache

    cache.delete(VERIFY_RATE_KEY)
    yield
    cache.delete(VERIFY_RATE_KEY)


VERIFY_RATE_KEY = "documents:verify:127.0.0.1"


@pytest.fixture(autouse=True)
def signing(settings, dev_pki, tmp_path):
    """Sign with the session's PKI, trust its root, store files in a fresh folder."""
    settings.DOCUMENTS_SIGNING_PKCS12 = str(dev_pki.pkcs12)
    settings.DOCUMENTS_SIGNING_PASSPHRASE = dev_pki.passphrase
    settings.DOCUMENTS_TRUST_ROOTS = [str(dev_pki.root_cert)]
    # The offices', organisations' and mediators' keys: issued on demand by the session's
    # root, into a folder of this test's own.
    settings.DOCUMENTS_SEALS_DIR = str(tmp_path / "seals")
    settings.DOCUMENTS_SEALS_PASSPHRASE = dev_pki.passphrase
    settings.DOCUMENTS_DEV_CA_CERT = str(dev_pki.root_cert)
    settings.DOCUMENTS_DEV_CA_KEY = str(dev_pki.root_key)
    settings.DOCUMENTS_TSA_URL = ""
    settings.DOCUMENTS_ISSUER_NAME = ISSUER
    settings.DOCUMENTS_PUBLIC_BASE_URL = "https://odr.example.cn"
    settings.MEDIA_ROOT = tmp_path / "media"
    return dev_pki


@pytest.fixture(scope="session")
def nss_db(tmp_path_factory, dev_pki) -> str:
    """An NSS database (certutil, from libnss3-tools) that trusts our root, for pdfsig."""
    if shutil.which("certutil") is None or shutil.which("pdfsig") is None:
        pytest.fail("pdfsig and certutil are needed: apt-get install poppler-utils libnss3-tools")
    directory = tmp_path_factory.mktemp("nss")
    subprocess.run(
        ["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{directory}",
            "-n",
            "odr-dev-root",
            "-t",
            "CT,C,C",
            "-i",
            str(dev_pki.root_cert),
        ],
        check=True,
        capture_output=True,
    )
    return f"sql:{directory}"


@pytest.fixture
def cast(db):
    return factories.cast()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
