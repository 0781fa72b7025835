"""SAMR's forms 4 (限期提供身份证明材料通知书) and 7 (投诉调解通知书): issued by the events the
catalogue names, signed, valid by pdfsig, and saying the time limit or the window once
with its legal basis once. A granted recusal issues a new form 7 naming the new mediator."""

from __future__ import annotations

import pytest

from accounts.tests import factories as people
from cases.models import Deadline
from cases.services import identity, recusal
from documents.kinds import SPECS, TRIGGERS, Kind
from documents.models import Document
from documents.services.render import document_context
from documents.tests import factories
from documents.tests.poppler import pdfsig, pdftotext

pytestmark = pytest.mark.django_db


def _pdf(document: Document, tmp_path):
    document.refresh_from_db()
    assert document.status == Document.Status.VALID, document.last_error
    path = tmp_path / f"{document.number}.pdf"
    with document.file.open("rb") as handle:
        path.write_bytes(handle.read())
    return path


def _text(path) -> str:
    return pdftotext(path).replace("\n", "").replace(" ", "")


def _accepted(cast, capture, language="zh-hans"):
    with capture(execute=True):
        case = factories.to_review(cast, language=language)
    with capture(execute=True):
        return factories.accept(cast, case)


def test_the_catalogue_issues_them_on_their_events():
    assert Kind.MEDIATION_NOTICE in TRIGGERS["transition.accept"]
    assert TRIGGERS["mediation.mediator_assigned"] == (Kind.MEDIATION_NOTICE,)
    assert TRIGGERS["identity.requested"] == (Kind.IDENTITY_NOTICE,)
    assert SPECS[Kind.IDENTITY_NOTICE].title_zh == "限期提供身份证明材料通知书"
    assert SPECS[Kind.MEDIATION_NOTICE].title_zh == "投诉调解通知书"


def test_form_7_on_acceptance_names_the_mediator_and_the_window(
    cast, django_capture_on_commit_callbacks, nss_db, tmp_path
):
    case = _accepted(cast, django_capture_on_commit_callbacks)
    notice = Document.objects.get(case=case, kind=Kind.MEDIATION_NOTICE)
    path = _pdf(notice, tmp_path)
    report = pdfsig(path, nss_db)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Certificate Validation: Certificate is Trusted." in report, report
    text = _text(path)
    window = Deadline.objects.get(case=case, clock="recusal_window")
    assert "投诉调解通知书" in text
    assert "赵调解" in text and "临沂市兰山区消费者协会" in text
    assert "3日内" in text
    assert f"{window.due_on.year}年{window.due_on.month}月{window.due_on.day}日前" in text
    assert "近亲属或者有其他利害关系" in text
    # The legal basis once: the window's citation from the rule set.
    assert text.count("《市场监督管理投诉举报处理办法》及投诉调解通知书（文书式样七）") == 1


def test_a_granted_recusal_issues_a_new_form_7_for_the_new_mediator(
    cast, django_capture_on_commit_callbacks, nss_db, tmp_path
):
    capture = django_capture_on_commit_callbacks
    case = _accepted(cast, capture)
    other_organisation = people.MediationOrganisationFactory(
        name="临沂市兰山区市场监督管理局调解室"
    )
    other = people.mediator(organisation=other_organisation, display_name="钱调解")
    with capture(execute=True):
        recusal.recusal_request(
            case=case,
            actor=cast.consumer,
            ground="party_or_relative",
            reasons="调解员是商家的亲属。",
        )
    with capture(execute=True):
        recusal.recusal_decide(
            case=case, actor=cast.regulator, grant=True, new_mediator=str(other.pk)
        )
    notices = list(Document.objects.filter(case=case, kind=Kind.MEDIATION_NOTICE).order_by("id"))
    assert len(notices) == 2
    first, second = (_text(_pdf(n, tmp_path)) for n in notices)
    assert "赵调解" in first and "钱调解" not in first
    assert "钱调解" in second and "赵调解不再主持" in second
    assert "Signature is Valid." in pdfsig(tmp_path / f"{notices[1].number}.pdf", nss_db)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_form_4_states_the_proof_asked_the_date_and_its_basis_once(
    cast, django_capture_on_commit_callbacks, nss_db, tmp_path, language
):
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        case = factories.to_review(cast, language=language)
    with capture(execute=True):
        request = identity.identity_request(
            case=case, actor=cast.regulator, materials="居民身份证正反面照片"
        )
    document = Document.objects.get(case=case, kind=Kind.IDENTITY_NOTICE)
    path = _pdf(document, tmp_path)
    report = pdfsig(path, nss_db)
    assert "Signature Validation: Signature is Valid." in report, report
    text = _text(path)
    due = request.due_on
    assert "居民身份证正反面照片" in text
    if language == "zh-hans":
        assert "限期提供身份证明材料通知书" in text
        assert f"{due.year}年{due.month}月{due.day}日前" in text
        assert "5个工作日内" in text
        assert "不予受理" in text
        assert text.count("第十条第三款、第十六条第六项") == 1
        assert text.count("第四十六条第一款") == 1
    else:
        assert "NoticetoProvideProofofIdentity" in text
        assert "5workingdays" in text
        assert text.count("arts.10(3)and16(6)") == 1
    # What the staff are told is unconfirmed never reaches the document.
    assert "待与正式文本核对" not in text and "notarule" not in text
    context = document_context(document)
    assert context["identity"]["in_mediation"] is False
