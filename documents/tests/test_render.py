"""Every kind renders right: A4, the Chinese title and the case reference extractable,
every font embedded, page numbers, the QR link, and page 1 as a PNG for a reviewer
(var/test-artifacts/)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.models import Message
from documents.kinds import SPECS, Kind
from documents.models import Document
from documents.services.render import document_context, render_html, render_pdf
from documents.tests import factories
from documents.tests.poppler import pdffonts, pdfinfo, pdftoppm_first_page, pdftotext

pytestmark = pytest.mark.django_db


def _issue_all(cast, capture, *, language: str = "zh-hans") -> dict[str, Document]:
    """One case per path, so that every kind of document is issued once."""
    with capture(execute=True):
        reviewed = factories.to_review(cast, language=language)
    with capture(execute=True):
        factories.reject(cast, reviewed)
    with capture(execute=True):
        mediated = factories.accept(cast, factories.to_review(cast, language=language))
    with capture(execute=True):
        factories.reach_agreement(cast, mediated)
    with capture(execute=True):
        failed = factories.accept(cast, factories.to_review(cast, language=language))
    with capture(execute=True):
        failed = factories.terminate(cast, failed)
    with capture(execute=True):
        # The arbitration agreement the parties confirm (arbitration/services/consent.py).
        from arbitration.services.consent import agreement_propose

        body = cast.arbitration.roles.first().arbitration_body_id
        agreement_propose(case=failed, actor=cast.consumer, body_id=body)
    with capture(execute=True):
        factories.refer(cast, failed)
    with capture(execute=True):
        asked = factories.to_review(cast, language=language)
    with capture(execute=True):
        # SAMR form 4: proof of identity asked under review (form 7 comes with acceptance).
        from cases.services.identity import identity_request

        identity_request(case=asked, actor=cast.regulator, materials="居民身份证正反面照片")
    with capture(execute=True):
        negotiating = factories.submit(cast, language=language)
    with capture(execute=True):
        factories.settle_by_offer(cast, negotiating)
    with capture(execute=True):
        closing = factories.accept(cast, factories.to_review(cast, language=language))
    with capture(execute=True):
        closing = factories.terminate(cast, closing)
    with capture(execute=True):
        factories.close(cast, closing)
    documents = {}
    for document in Document.objects.order_by("id"):
        documents.setdefault(document.kind, document)
    return documents


def _pdf(document: Document, tmp_path):
    document.refresh_from_db()
    field = document.file if document.sha256 else document.draft_file
    path = tmp_path / f"{document.number}.pdf"
    with field.open("rb") as handle:
        path.write_bytes(handle.read())
    return path


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_kind_renders_to_a4_with_embedded_fonts(
    cast, django_capture_on_commit_callbacks, tmp_path, artifacts, language
):
    documents = _issue_all(cast, django_capture_on_commit_callbacks, language=language)
    assert set(documents) == set(Kind.values)
    for kind, document in documents.items():
        assert document.status in ("valid", "awaiting_confirmation"), (kind, document.last_error)
        path = _pdf(document, tmp_path)
        info = pdfinfo(path)
        assert "A4" in info["Page size"], kind
        text = pdftotext(path)
        title_zh = SPECS[kind].title(language="zh-hans", ruleset=document.case.ruleset)
        title = SPECS[kind].title(language=language, ruleset=document.case.ruleset)
        # A long title may wrap (form 4's English title does): read it with lines joined.
        assert title in " ".join(text.split()), (kind, text[:400])
        assert document.case.reference in text, kind
        assert document.number in text, kind
        pages = int(info["Pages"])
        if language == "zh-hans":
            assert title == title_zh
            assert f"第1页/共{pages}页" in text.replace(" ", ""), kind
        else:
            assert f"Page 1 of {pages}" in text, kind
        raw = pdftotext(path, raw=True).replace("\n", "").replace(" ", "")
        assert f"https://odr.example.cn/verify/{document.number}/" in raw, kind
        fonts = pdffonts(path)
        assert fonts, kind
        assert all(f["emb"] == "yes" and f["sub"] == "yes" for f in fonts), (kind, fonts)
        assert any("CJK" in f["name"] for f in fonts), fonts
        assert path.stat().st_size < 200 * 1024, (kind, path.stat().st_size)
        png = pdftoppm_first_page(path, artifacts / f"{kind}-{language}")
        assert png.stat().st_size > 10_000


def test_refusal_and_termination_cite_the_ground_and_remedies(
    cast, django_capture_on_commit_callbacks, tmp_path
):
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        refused = factories.to_review(cast)
    with capture(execute=True):
        factories.reject(cast, refused)
    with capture(execute=True):
        mediated = factories.accept(cast, factories.to_review(cast))
    with capture(execute=True):
        factories.terminate(cast, mediated)
    documents = {d.kind: d for d in Document.objects.all()}
    refusal = pdftotext(_pdf(documents[Kind.REFUSAL_NOTICE], tmp_path)).replace("\n", "")
    assert "第十六条第四项" in refusal  # Order 121, art. 16(4): limitation
    assert "超过三年" in refusal
    assert "第三十九条" in refusal
    termination = pdftotext(_pdf(documents[Kind.TERMINATION_NOTICE], tmp_path)).replace("\n", "")
    assert "第二十三条第一款第三项" in termination  # agreement impossible
    assert "向人民法院提起诉讼" in termination  # Consumer Protection Law art. 39(5)


def test_order_20_case_uses_its_articles_and_titles(
    cast, django_capture_on_commit_callbacks, tmp_path
):
    before = timezone.make_aware(timezone.datetime(2026, 3, 2, 10, 0))
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.to_review(cast, now=before)
    with django_capture_on_commit_callbacks(execute=True):
        factories.reject(cast, case)
    document = Document.objects.get(kind=Kind.REFUSAL_NOTICE)
    text = pdftotext(_pdf(document, tmp_path)).replace("\n", "")
    assert "投诉不予受理告知书" in text
    assert "第十五条第四项" in text
    assert "市场监督管理投诉举报处理暂行办法" in text


def test_agreement_states_terms_and_performance_date(
    cast, django_capture_on_commit_callbacks, tmp_path
):
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.accept(cast, factories.to_review(cast))
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.reach_agreement(cast, case)
    document = Document.objects.get(kind=Kind.MEDIATION_AGREEMENT)
    text = pdftotext(_pdf(document, tmp_path)).replace("\n", "").replace(" ", "")
    due = case.performance_due_on
    assert f"{due.year}年{due.month}月{due.day}日前履行完毕" in text
    assert "人民币1,299.00元" in text
    assert "退还货款人民币1299元" in text
    assert "临沂市兰山区消费者协会" in text
    # Party data as the agreement needs it: the consumer's phone masked, no address.
    assert cast.consumer.phone[-4:] in text
    assert cast.consumer.phone[3:] not in text
    assert "金雀山路" not in text


def _post(case, room, author, role, body):
    last = Message.objects.filter(case=case, room=room).order_by("-seq").first()
    Message.objects.create(
        case=case,
        room=room,
        seq=(last.seq if last else 0) + 1,
        author=author,
        author_role=role,
        body=body,
    )


def test_transcript_lists_the_joint_room_only(cast, django_capture_on_commit_callbacks, tmp_path):
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.accept(cast, factories.to_review(cast))
    _post(case, "joint", cast.mediator, "mediator", "请双方陈述意见。")
    _post(case, "joint", cast.consumer, "consumer", "要求全额退款。")
    _post(case, "caucus:merchant", cast.merchant_staff, "merchant", "底线是退一半。")
    with django_capture_on_commit_callbacks(execute=True):
        factories.terminate(cast, case)
    document = Document.objects.get(kind=Kind.MEDIATION_TRANSCRIPT)
    text = pdftotext(_pdf(document, tmp_path)).replace("\n", "")
    assert "请双方陈述意见" in text
    assert "要求全额退款" in text
    assert "调解员" in text and "投诉人" in text
    assert "底线是退一半" not in text


def test_empty_transcript_says_so(cast, django_capture_on_commit_callbacks, tmp_path):
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.accept(cast, factories.to_review(cast))
    with django_capture_on_commit_callbacks(execute=True):
        factories.terminate(cast, case)
    document = Document.objects.get(kind=Kind.MEDIATION_TRANSCRIPT)
    # The mediation app writes system notices into the joint room; without any message
    # the transcript says the room stayed silent.
    Message.objects.filter(case=case, room="joint").delete()
    path = tmp_path / "empty.pdf"
    path.write_bytes(render_pdf(document).pdf)
    assert "联合调解室中没有文字发言记录" in pdftotext(path).replace("\n", "")


def test_html_escapes_case_text_and_loads_nothing(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.to_review(cast)
    from cases.models import Case

    Case.objects.filter(pk=case.pk).update(facts='<img src="http://evil.example/x.png">')
    with django_capture_on_commit_callbacks(execute=True):
        case = factories.accept(cast, case)
    with django_capture_on_commit_callbacks(execute=True):
        factories.reach_agreement(cast, case)
    document = Document.objects.get(kind=Kind.MEDIATION_AGREEMENT)
    html = render_html(document, document_context(document))
    assert '<img src="http://evil.example' not in html
    assert "&lt;img" in html
