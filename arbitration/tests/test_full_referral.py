"""One referral end to end with real documents: the agreement rendered, confirmed by
both parties' SMS codes and signed; the referral letter signed; the file built with a
manifest signed by the platform's key."""

import json

import pytest

from arbitration.models import Referral
from arbitration.services import consent
from arbitration.services.referral_file import referral_file_verify
from arbitration.tests import factories as f
from documents.models import Document
from documents.services.pki import dev_pki_create

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return dev_pki_create(
        directory=tmp_path_factory.mktemp("arb-pki"),
        organisation="测试市场监督管理局",
        key_size=2048,
    )


@pytest.fixture
def signing(settings, pki):
    settings.DOCUMENTS_SIGNING_PKCS12 = str(pki.pkcs12)
    settings.DOCUMENTS_SIGNING_PASSPHRASE = pki.passphrase
    settings.DOCUMENTS_TRUST_ROOTS = [str(pki.root_cert)]
    settings.DOCUMENTS_TSA_URL = ""
    settings.DOCUMENTS_PUBLIC_BASE_URL = "https://odr.example.cn"


def test_real_documents_make_a_signed_referral_file(
    c, signing, sms_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    case = f.failed_case(c)
    with capture(execute=True):
        agreement = f.propose(c, case)
    draft = consent.agreement_document(agreement)
    assert draft.status == Document.Status.AWAITING_CONFIRMATION
    with draft.draft_file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    f.sign_by_sms(draft, c.actor("consumer"), sms_outbox, capture)
    f.sign_by_sms(draft, c.actor("merchant_staff"), sms_outbox, capture)
    draft.refresh_from_db()
    assert draft.status == Document.Status.VALID
    with capture(execute=True):
        referral = consent.case_refer(case=case, actor=c.actor("consumer"))
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DELIVERED, referral.build_error
    with referral.file.open("rb") as handle:
        data = handle.read()
    entries = f.zip_entries(data)
    signature = json.loads(entries["manifest.sig.json"])
    assert "rsa_pkcs1v15_sha256" in signature
    assert "signer.pem" in entries
    kinds = {e["kind"] for e in json.loads(entries["manifest.json"])["files"]}
    assert {"arbitration_agreement", "referral_letter", "case", "event_log"} <= kinds
    assert referral_file_verify(data, secret=f.SECRET, manifest_sha256=referral.manifest_sha256).ok
    # The agreement in the file is the signed one both parties confirmed.
    path = next(p for p in entries if p.startswith("documents/arbitration-agreement"))
    with draft.file.open("rb") as handle:
        assert entries[path] == handle.read()
    # Without the shared secret the platform's signature alone still catches a change.
    tampered = dict(entries)
    tampered["manifest.json"] = entries["manifest.json"].replace(b'"size"', b'"size" ', 1)
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, value in tampered.items():
            archive.writestr(name, value)
    check = referral_file_verify(buffer.getvalue())
    assert "the manifest's signature does not verify" in check.problems
