"""Fixtures for the group tests: the documents tests' throwaway PKI (for the signed
agreements of the bar), used only by the tests that ask for ``signed``."""

import pytest

from documents.tests.conftest import ISSUER, dev_pki, nss_db  # noqa: F401 (fixtures)


@pytest.fixture
def signed(settings, dev_pki, tmp_path):  # noqa: F811
    """Sign as documents/tests/conftest.py's ``signing`` does, for this test only."""
    settings.DOCUMENTS_SIGNING_PKCS12 = str(dev_pki.pkcs12)
    settings.DOCUMENTS_SIGNING_PASSPHRASE = dev_pki.passphrase
    settings.DOCUMENTS_TRUST_ROOTS = [str(dev_pki.root_cert)]
    settings.DOCUMENTS_SEALS_DIR = str(tmp_path / "seals")
    settings.DOCUMENTS_SEALS_PASSPHRASE = dev_pki.passphrase
    settings.DOCUMENTS_DEV_CA_CERT = str(dev_pki.root_cert)
    settings.DOCUMENTS_DEV_CA_KEY = str(dev_pki.root_key)
    settings.DOCUMENTS_TSA_URL = ""
    settings.DOCUMENTS_ISSUER_NAME = ISSUER
    settings.DOCUMENTS_PUBLIC_BASE_URL = "https://odr.example.cn"
    settings.MEDIA_ROOT = tmp_path / "media"
    return dev_pki
