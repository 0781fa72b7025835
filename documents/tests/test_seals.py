"""Signatures of the people and seals of the offices (issue 19): a decision is sealed by
the office that made it, which pdfsig names; a mediation agreement carries the mediator's
own signature and then the office's seal, both valid; the platform's key signs only the
platform's own records; /verify/ names who signed and which office sealed, in Chinese and
English; a missing key leaves the document waiting, never fails the transition."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from pyhanko.pdf_utils.reader import PdfFileReader

from accounts.models import RegulatorOffice, Role
from accounts.tests import factories as people
from cases.models import CaseEvent
from documents.kinds import Kind
from documents.models import Document
from documents.services import seals
from documents.services.confirm import confirmation_request, document_confirm
from documents.services.issue import document_render
from documents.services.pki import org_key, signer_key
from documents.services.sweep import documents_sweep
from documents.services.verify import Verdict, verify_number, verify_pdf
from documents.tests import factories
from documents.tests.poppler import pdfsig

pytestmark = pytest.mark.django_db

OFFICE = "临沂市市场监督管理局"


def _bytes(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def _pdfsig(document: Document, nss_db: str, tmp_path) -> str:
    path = tmp_path / f"{document.number}.pdf"
    path.write_bytes(_bytes(document))
    return pdfsig(path, nss_db)


def _signatures(report: str) -> list[str]:
    """pdfsig's report, one block per signature, in signing order."""
    return re.split(r"\nSignature #\d+:", report)[1:]


@pytest.fixture
def accepted(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.to_review(cast)
    with django_capture_on_commit_callbacks(execute=True):
        factories.accept(cast, case)
    document = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    assert document.status == Document.Status.VALID, document.last_error
    return case, document


def _confirm(document, user, sms_outbox, capture):
    with capture(execute=True):
        confirmation_request(document=document, user=user, ip="203.0.113.7")
    message = [m for m in sms_outbox if m.sensitive and document.number in m.body][-1]
    code = re.search(r"(?<![\d-])(\d{6})(?!\d)", message.body).group(1)
    with capture(execute=True):
        return document_confirm(
            document=document,
            user=user,
            code=code,
            content_sha256=document.content_sha256,
            ip="203.0.113.7",
        )


@pytest.fixture
def agreement(cast, accepted, sms_outbox, django_capture_on_commit_callbacks) -> Document:
    case, _notice = accepted
    case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        factories.reach_agreement(cast, case)
    document = Document.objects.get(kind=Kind.MEDIATION_AGREEMENT)
    assert document.status == Document.Status.AWAITING_CONFIRMATION, document.last_error
    for party in (cast.consumer, cast.merchant_staff):
        _confirm(document, party, sms_outbox, django_capture_on_commit_callbacks)
    document.refresh_from_db()
    assert document.status == Document.Status.VALID, document.last_error
    return document


def test_the_acceptance_decision_is_sealed_by_the_office_and_pdfsig_names_it(
    accepted, nss_db, tmp_path
):
    _case, document = accepted
    report = _pdfsig(document, nss_db, tmp_path)
    (only,) = _signatures(report)
    assert f"Signer Certificate Common Name: {OFFICE}" in only, report
    assert f"O={OFFICE}" in only, report
    assert "Signature is Valid." in only and "Certificate is Trusted." in only, report
    assert "Total document signed" in only, report
    # Not the platform's key; the register says whose seal it is.
    assert document.signer_fingerprint != org_key().fingerprint
    (seal,) = document.signers
    assert (seal["role"], seal["kind"], seal["code"]) == ("seal", "office", "371300")
    assert seal["name_zh"] == OFFICE and seal["name_en"] == factories.OFFICE_EN
    assert seal["fingerprint"] == document.signer_fingerprint
    issued = CaseEvent.objects.filter(case=document.case, kind="document.issued")
    (issued,) = [e for e in issued if e.payload["document"] == document.number]
    assert issued.payload["signers"] == [
        {"role": "seal", "kind": "office", "code": "371300", "fingerprint": seal["fingerprint"]}
    ]


def test_the_office_named_on_the_decision_is_the_acting_regulators(cast):
    """The most local of the regulator's jurisdictions that covers the case; an office not
    on record is named as SAMR's offices are."""
    case = factories.to_review(cast)
    assert seals.acting_office_code(case, cast.regulator) == "371300"
    both = people.regulator(jurisdiction="370000")
    Role.objects.create(user=both, kind=Role.Kind.REGULATOR, jurisdiction="371302")
    case.division_code = "371302"
    assert seals.acting_office_code(case, both) == "371302"
    assert seals.acting_office_code(case, cast.consumer) == ""
    assert seals.office_identity("371302").name_zh == "临沂市兰山区市场监督管理局"
    RegulatorOffice.objects.create(division_code="371302", name="兰山区局", name_en="Lanshan")
    assert seals.office_identity("371302").name("en") == "Lanshan"
    assert RegulatorOffice.objects.covering("371302").division_code == "371302"
    assert RegulatorOffice.objects.covering("371311").division_code == "371300"
    assert RegulatorOffice.objects.covering("350102") is None


def test_the_mediation_agreement_carries_the_mediators_signature_then_the_office_seal(
    cast, agreement, nss_db, tmp_path, artifacts
):
    report = _pdfsig(agreement, nss_db, tmp_path)
    (artifacts / "mediation_agreement_signed.pdf").write_bytes(_bytes(agreement))
    (artifacts / "mediation_agreement_pdfsig.txt").write_text(report)
    mediator, office = _signatures(report)
    assert "Signer Certificate Common Name: 赵调解" in mediator, report
    assert "O=临沂市兰山区消费者协会" in mediator, report
    assert f"Signer Certificate Common Name: {OFFICE}" in office, report
    for block in (mediator, office):
        assert "Signature is Valid." in block and "Certificate is Trusted." in block, report
    assert "Total document signed" in office and "Total document signed" not in mediator
    # pyHanko reads the same two, in the same order, in their own fields.
    fields = [
        s.field_name for s in PdfFileReader(io.BytesIO(_bytes(agreement))).embedded_signatures
    ]
    assert fields == ["ODR12315-Mediator", "ODR12315"]
    # The register: both signers, in order; the parties' confirmations stay in the log.
    person, seal = agreement.signers
    assert (person["role"], person["kind"], person["code"]) == (
        "mediator",
        "person",
        cast.mediator.username,
    )
    assert person["organisation_zh"] == "临沂市兰山区消费者协会"
    assert (seal["role"], seal["kind"], seal["code"]) == ("seal", "office", "371300")
    assert CaseEvent.objects.filter(case=agreement.case, kind="document.confirmed").count() == 2
    # The signed file begins with the draft the parties confirmed, and verifies.
    with agreement.draft_file.open("rb") as handle:
        draft = handle.read()
    assert _bytes(agreement)[: len(draft)] == draft
    result = verify_pdf(data=_bytes(agreement))
    assert result.verdict == Verdict.VALID, result.message
    assert [s["signer_fingerprint"] for s in result.signature.signatures] == [
        person["fingerprint"],
        seal["fingerprint"],
    ]
    assert verify_number(number=agreement.number).verdict == Verdict.VALID


def test_the_platform_key_signs_only_the_platforms_own_records(
    cast, accepted, django_capture_on_commit_callbacks
):
    assert set(seals.SEALED_BY) == set(Kind.values)  # every kind says whose seal it carries
    platform = {k for k, rule in seals.SEALED_BY.items() if rule == seals.PLATFORM}
    assert platform == {
        Kind.SETTLEMENT_AGREEMENT,
        Kind.ARBITRATION_AGREEMENT,
        Kind.ARBITRATION_REFERRAL,
        Kind.MEDIATION_TRANSCRIPT,
        Kind.CLOSURE_REPORT,
    }
    case, _notice = accepted
    case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        factories.terminate(cast, case)
    platform_key = org_key().fingerprint
    signed = {d.kind: d for d in Document.objects.filter(status=Document.Status.VALID)}
    assert signed[Kind.MEDIATION_TRANSCRIPT].signer_fingerprint == platform_key
    termination = signed[Kind.TERMINATION_NOTICE]
    assert termination.signers[-1]["kind"] == "organisation"
    assert termination.signers[-1]["name_zh"] == "临沂市兰山区消费者协会"
    for kind, document in signed.items():
        assert (document.signer_fingerprint == platform_key) == (kind in platform), kind


def test_verify_names_the_signers_and_the_office_in_chinese_and_english(client, agreement):
    url = f"/verify/{agreement.number}/"
    client.cookies["django_language"] = "zh-hans"
    zh = client.get(url).content.decode()
    assert f'data-sealed-by="office-371300">{OFFICE}</dd>' in zh
    assert "加盖印章" in zh and "调解员签名" in zh
    assert "赵调解（临沂市兰山区消费者协会）" in zh
    client.cookies["django_language"] = "en"
    en = client.get(url).content.decode()
    assert f'data-sealed-by="office-371300">{factories.OFFICE_EN}</dd>' in en
    assert "Sealed by" in en and "Signed by the mediator" in en
    assert "赵调解 (Lanshan District Consumer Association)" in en
    api = client.get(f"/api/v1/documents/{agreement.number}/verify").json()
    details = api["document"]
    assert details["sealed_by"]["name"] == {"zh-hans": OFFICE, "en": factories.OFFICE_EN}
    assert [s["role"] for s in details["signatures"]] == ["mediator", "seal"]
    assert details["signatures"][0]["name"]["zh-hans"] == "赵调解"
    assert len(api["signature"]["signatures"]) == 2


def test_without_the_offices_key_in_production_the_decision_waits_then_is_issued(
    cast, settings, django_capture_on_commit_callbacks
):
    """Production: no development CA, and no office-371300.p12. The acceptance commits,
    its decision waits in preparation (not failed, no attempt counted) and is issued
    once the key is there."""
    dev_ca = settings.DOCUMENTS_DEV_CA_CERT, settings.DOCUMENTS_DEV_CA_KEY
    settings.DOCUMENTS_DEV_CA_CERT = settings.DOCUMENTS_DEV_CA_KEY = ""
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.to_review(cast)
    with django_capture_on_commit_callbacks(execute=True):
        factories.accept(cast, case)
    case.refresh_from_db()
    assert case.state == "mediation"
    document = Document.objects.get(kind=Kind.ACCEPTANCE_NOTICE)
    assert document.status == Document.Status.PREPARING
    assert document.attempts == 0
    assert "SealKeyMissing" in document.last_error and "office-371300.p12" in document.last_error
    assert not document.file
    # The key is configured (here: issued by the CA): the next run issues it.
    settings.DOCUMENTS_DEV_CA_CERT, settings.DOCUMENTS_DEV_CA_KEY = dev_ca
    assert document_render(document_id=document.pk).status == Document.Status.VALID
    assert documents_sweep()["caught_up"] == 0


def test_a_confirmed_agreement_waits_for_the_mediators_key(
    cast, accepted, settings, sms_outbox, django_capture_on_commit_callbacks
):
    case, _notice = accepted
    case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        factories.reach_agreement(cast, case)
    document = Document.objects.get(kind=Kind.MEDIATION_AGREEMENT)
    dev_ca = settings.DOCUMENTS_DEV_CA_CERT, settings.DOCUMENTS_DEV_CA_KEY
    settings.DOCUMENTS_DEV_CA_CERT = settings.DOCUMENTS_DEV_CA_KEY = ""
    for party in (cast.consumer, cast.merchant_staff):
        _confirm(document, party, sms_outbox, django_capture_on_commit_callbacks)
    document.refresh_from_db()
    assert document.status == Document.Status.AWAITING_CONFIRMATION
    assert f"person-{cast.mediator.username}.p12" in document.last_error
    settings.DOCUMENTS_DEV_CA_CERT, settings.DOCUMENTS_DEV_CA_KEY = dev_ca
    from documents.services.issue import document_sign_final

    assert document_sign_final(document_id=document.pk).status == Document.Status.VALID


def test_the_dev_pki_command_issues_the_offices_and_mediators_keys(cast, tmp_path, settings):
    directory = tmp_path / "pki"
    out = io.StringIO()
    call_command("odr_dev_pki", "--dir", str(directory), "--seals", stdout=out)
    env = dict(line.split("=", 1) for line in (directory / "dev.env").read_text().splitlines())
    assert env["DOCUMENTS_SEALS_DIR"] == str(directory / "seals")
    assert env["DOCUMENTS_DEV_CA_KEY"] == str(directory / "root.key.pem")
    office = directory / "seals" / "office-371300.p12"
    assert (
        office.exists() and (directory / "seals" / f"person-{cast.mediator.username}.p12").exists()
    )
    assert "Issued" in out.getvalue()
    settings.DOCUMENTS_SEALS_DIR = env["DOCUMENTS_SEALS_DIR"]
    settings.DOCUMENTS_SEALS_PASSPHRASE = env["DOCUMENTS_SEALS_PASSPHRASE"]
    settings.DOCUMENTS_DEV_CA_CERT = settings.DOCUMENTS_DEV_CA_KEY = ""  # no issuing on demand
    key = signer_key(seals.office_identity("371300"))
    assert f"Common Name: {OFFICE}" in key.subject
    # A second run keeps them.
    before = office.read_bytes()
    call_command("odr_dev_pki", "--dir", str(directory), "--seals", stdout=io.StringIO())
    assert office.read_bytes() == before
