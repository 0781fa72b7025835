"""The case pages: the complaint wizard, the lists, the case page, and who may do what there."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests import factories as af
from cases.models import Case, ComplaintDraft, Deadline, Evidence, Message, Offer, State
from cases.services import negotiation
from cases.services.evidence import evidence_add
from cases.services.transitions import case_transition
from cases.tests import factories as cf

pytestmark = pytest.mark.django_db

png_bytes = cf.png_bytes  # the browser journey uses the same real PNG


def _get_draft(consumer) -> ComplaintDraft:
    return ComplaintDraft.objects.get(consumer=consumer)


def _start(client, consumer=None) -> tuple:
    consumer = af.login(client, consumer or af.consumer())
    response = client.get("/cases/new/")
    draft = _get_draft(consumer)
    assert response.status_code == 302
    assert response["Location"] == f"/cases/new/{draft.pk}/merchant/"
    return consumer, draft


FACTS = {
    "category": "goods.electronics",
    "purchase_date": "2026-01-10",
    "amount": "399.00",
    "order_number": "T-100",
    "platform": "淘宝",
    "facts": "耳机右耳无声。",
}
REQUEST = {
    "request": "退款 399 元。",
    "complainant_name": "张三",
    "complainant_phone": "+8613800000001",
    "complainant_address": "山东省临沂市兰山区金雀山路 1 号",
    "agrees_to_delegated_mediation": "on",
}


def _fill(client, draft, *, merchant=None, facts=None, request=None) -> None:
    if merchant is not None:
        response = client.post(f"/cases/new/{draft.pk}/merchant/", {"merchant": merchant.pk})
        assert response["Location"] == f"/cases/new/{draft.pk}/facts/"
    response = client.post(f"/cases/new/{draft.pk}/facts/", {**FACTS, **(facts or {})})
    assert response.status_code == 302, response.text
    assert response["Location"] == f"/cases/new/{draft.pk}/request/"
    response = client.post(f"/cases/new/{draft.pk}/request/", {**REQUEST, **(request or {})})
    assert response["Location"] == f"/cases/new/{draft.pk}/evidence/"


def _error_next_to(html: str, field_id: str) -> str:
    """The error text shown in the field block of the input with this id."""
    match = re.search(
        rf'<div class="field has-error">\s*<label for="{field_id}">.*?</div>', html, re.S
    )
    assert match, f"no error next to #{field_id}"
    errors = re.findall(r'<p class="error"[^>]*>(.*?)</p>', match.group(0), re.S)
    return " ".join(errors)


# --- The complaint wizard ----------------------------------------------------------------


def test_wizard_end_to_end_with_a_photo(client):
    merchant = cf.enrolled_merchant(name="临沂优品电子商贸有限公司")
    consumer, draft = _start(client)
    assert draft.data == {
        "complainant_name": consumer.display_name,
        "complainant_phone": consumer.phone,
    }

    # Search without JavaScript: the step itself lists the results, each with a button.
    page = client.get(f"/cases/new/{draft.pk}/merchant/", {"q": "优品"})
    assert page.status_code == 200
    assert f'action="/cases/new/{draft.pk}/merchant/choose/"' in page.text
    assert f'data-choose="{merchant.pk}"' in page.text
    chosen = client.post(f"/cases/new/{draft.pk}/merchant/choose/", {"merchant": merchant.pk})
    assert chosen["Location"] == f"/cases/new/{draft.pk}/merchant/"
    page = client.get(f"/cases/new/{draft.pk}/merchant/")
    assert f'data-chosen="{merchant.pk}"' in page.text
    _fill(client, draft, merchant=merchant)

    upload = client.post(
        f"/cases/new/{draft.pk}/evidence/",
        {"file": cf.upload("耳机.png", png_bytes()), "description": "右耳"},
    )
    assert upload.status_code == 302
    assert upload["Location"] == f"/cases/new/{draft.pk}/evidence/"
    evidence = Evidence.objects.get(draft=draft)
    assert (evidence.kind, evidence.original_name, evidence.description, evidence.case_id) == (
        "png",
        "耳机.png",
        "右耳",
        None,
    )

    review = client.get(f"/cases/new/{draft.pk}/review/")
    assert review.status_code == 200
    for text in (
        "临沂优品电子商贸有限公司",
        "耳机右耳无声。",
        "退款 399 元。",
        "耳机.png",
        "399.00",
    ):
        assert text in review.text

    submitted = client.post(f"/cases/new/{draft.pk}/review/")
    case = Case.objects.get(consumer=consumer)
    assert submitted.status_code == 302
    assert submitted["Location"] == f"/cases/{case.reference}/"
    assert case.state == State.NEGOTIATION
    assert (case.merchant, case.merchant_name, case.division_code) == (
        merchant,
        "临沂优品电子商贸有限公司",
        "371302",
    )
    assert (case.category, case.purchase_date, case.knew_of_harm_on) == (
        "goods.electronics",
        dt.date(2026, 1, 10),
        dt.date(2026, 1, 10),
    )
    assert (case.amount, case.order_number, case.platform) == (Decimal("399.00"), "T-100", "淘宝")
    assert (case.facts, case.request) == ("耳机右耳无声。", "退款 399 元。")
    assert (case.complainant_name, case.complainant_phone, case.complainant_address) == (
        "张三",
        "+8613800000001",
        "山东省临沂市兰山区金雀山路 1 号",
    )
    assert (case.agrees_to_publication, case.agrees_to_delegated_mediation) == (False, True)
    assert case.language == "zh-hans"
    assert list(case.evidence.values_list("pk", flat=True)) == [evidence.pk]
    assert cf.event_kinds(case) == [
        "case.submitted",
        "evidence.added",
        "transition.start_negotiation",
        "deadline.started",
    ]
    assert not ComplaintDraft.objects.filter(pk=draft.pk).exists()

    page = client.get(submitted["Location"])
    assert page.status_code == 200
    assert "您的投诉已提交，投诉编号为" in page.text
    assert 'data-state="negotiation"' in page.text
    assert f'href="/cases/{case.reference}/evidence/{evidence.pk}/"' in page.text
    assert 'data-clock="negotiation_answer"' in page.text


def test_a_merchant_not_on_the_platform_goes_to_review(client):
    consumer, draft = _start(client)
    response = client.post(
        f"/cases/new/{draft.pk}/merchant/",
        {
            "merchant_name": "兰山区某水果店",
            "merchant_address": "临沂市兰山区",
            "merchant_store_url": "https://shop.example.cn/fruit",
            "merchant_division_code": "371302",
        },
    )
    assert response["Location"] == f"/cases/new/{draft.pk}/facts/"
    _fill(client, draft)
    client.post(f"/cases/new/{draft.pk}/review/")
    case = Case.objects.get(consumer=consumer)
    assert (case.state, case.merchant, case.merchant_name, case.division_code) == (
        State.REVIEW,
        None,
        "兰山区某水果店",
        "371302",
    )
    assert case.merchant_store_url == "https://shop.example.cn/fruit"


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({}, "id_merchant_name", "Choose a merchant above, or name it here."),
        (
            {"merchant_name": "某店", "merchant_division_code": "12"},
            "id_merchant_division_code",
            "Give the merchant's place (administrative division code, like 371302).",
        ),
        ({"merchant": "999999"}, None, "Choose a merchant above, or name it here."),
    ],
)
def test_the_merchant_step_needs_a_merchant(client, post, field, message):
    _consumer, draft = _start(client)
    client.cookies["django_language"] = "en"
    response = client.post(f"/cases/new/{draft.pk}/merchant/", post)
    assert response.status_code == 400
    if field:
        assert _error_next_to(response.text, field) == message.replace("'", "&#x27;")
    else:
        assert f'<p class="error">{message}</p>' in response.text
    assert _get_draft(draft.consumer).data == draft.data


def test_a_date_in_the_future_is_refused_at_its_step(client):
    _consumer, draft = _start(client)
    tomorrow = (cf.today() + dt.timedelta(days=1)).isoformat()
    response = client.post(f"/cases/new/{draft.pk}/facts/", {**FACTS, "purchase_date": tomorrow})
    assert response.status_code == 400
    assert _error_next_to(response.text, "id_purchase_date") == "该日期晚于今天。"


def test_merchant_search_is_a_fragment_for_htmx_and_a_page_without(client):
    merchant = cf.enrolled_merchant(name="临沂优品电子商贸有限公司")
    other = af.MerchantFactory(name="福州云途网络科技有限公司")
    _consumer, draft = _start(client)
    fragment = client.get(
        "/cases/merchants/search/", {"q": "优品", "draft": draft.pk}, HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="merchant-results"')
    assert "<html" not in fragment.text
    assert f'data-choose="{merchant.pk}"' in fragment.text
    assert 'class="badge"' in fragment.text  # the merchant answers on the platform
    assert other.name not in fragment.text
    page = client.get("/cases/merchants/search/", {"q": "优品"})
    assert "<html" in page.text
    assert merchant.name in page.text
    assert "data-choose" not in page.text  # no draft: nothing to choose for
    nothing = client.get(
        "/cases/merchants/search/", {"q": "不存在的店", "draft": draft.pk}, HTTP_HX_REQUEST="true"
    )
    assert "未找到该经营者，您可以在下方填写其名称。" in nothing.text


def test_autosave_keeps_what_was_typed_and_skips_what_does_not_parse(client):
    _consumer, draft = _start(client)
    response = client.post(
        f"/cases/new/{draft.pk}/facts/save/",
        {"facts": "写了一半", "amount": "abc", "category": "goods.food", "purchase_date": ""},
    )
    assert response.status_code == 204
    data = _get_draft(draft.consumer).data
    assert (data["facts"], data["category"], data["purchase_date"]) == (
        "写了一半",
        "goods.food",
        None,
    )
    assert "amount" not in data
    page = client.get(f"/cases/new/{draft.pk}/facts/")
    assert "写了一半" in page.text


def test_autosave_keeps_the_fields_a_post_leaves_out_but_not_an_unticked_box(client):
    _consumer, draft = _start(client)
    client.post(
        f"/cases/new/{draft.pk}/facts/save/",
        {"facts": "第一稿", "category": "goods.food", "purchase_date": "2026-11-01"},
    )
    client.post(f"/cases/new/{draft.pk}/request/save/", {"agrees_to_publication": "on"})
    assert _get_draft(draft.consumer).data["agrees_to_publication"] is True
    # A stale tab sends the facts alone: the category and the date stay.
    assert client.post(f"/cases/new/{draft.pk}/facts/save/", {"facts": "第二稿"}).status_code == 204
    # A browser leaves an unticked box out of the form: that is "no", not "unchanged".
    client.post(f"/cases/new/{draft.pk}/request/save/", {"request": "退款"})
    data = _get_draft(draft.consumer).data
    assert (data["facts"], data["category"], data["purchase_date"]) == (
        "第二稿",
        "goods.food",
        "2026-11-01",
    )
    assert (data["request"], data["agrees_to_publication"]) == ("退款", False)


@pytest.mark.parametrize("refusal", ["wrong_type", "too_large", "eleventh_file"])
def test_a_refused_upload_keeps_the_draft(client, settings, refusal):
    consumer, draft = _start(client)
    _fill(client, draft, merchant=cf.enrolled_merchant())
    before = _get_draft(consumer).data
    kept = []
    if refusal == "eleventh_file":
        kept = [
            evidence_add(
                uploaded_by=consumer, upload=cf.upload(f"{n}.png", png_bytes()), draft=draft
            )
            for n in range(10)
        ]
        upload = cf.upload("11.png", png_bytes())
        status, message = 400, "每件投诉最多可上传 10 个证据文件；如需添加，请先删除一个。"
    elif refusal == "too_large":
        settings.EVIDENCE_MAX_BYTES = 1024 * 1024
        upload = cf.upload("big.png", png_bytes() + b"\x00" * (1024 * 1024))
        status, message = 413, "“big.png”超过 1 MB。"
    else:
        upload = cf.upload("setup.jpg", cf.elf_bytes())
        status, message = 400, "“setup.jpg”不是 JPEG、PNG、PDF 或 MP4 文件。仅接受这几种格式。"
    response = client.post(f"/cases/new/{draft.pk}/evidence/", {"file": upload})
    assert response.status_code == status
    assert _error_next_to(response.text, "evidence_file") == message
    assert _get_draft(consumer).data == before
    assert list(Evidence.objects.filter(draft=draft).order_by("pk")) == kept
    # The next step still works: the draft lost nothing.
    assert client.get(f"/cases/new/{draft.pk}/review/").status_code == 200


def test_files_of_a_draft_can_be_removed(client):
    consumer, draft = _start(client)
    evidence = evidence_add(
        uploaded_by=consumer, upload=cf.upload("a.png", png_bytes()), draft=draft
    )
    response = client.post(f"/cases/new/{draft.pk}/evidence/{evidence.pk}/remove/")
    assert response["Location"] == f"/cases/new/{draft.pk}/evidence/"
    assert not Evidence.objects.filter(pk=evidence.pk).exists()


def test_a_complaint_past_the_limitation_is_warned_of_and_filed_for_the_office(client):
    consumer, draft = _start(client)
    merchant = cf.enrolled_merchant()
    long_ago = (cf.today() - dt.timedelta(days=4 * 366)).isoformat()
    _fill(client, draft, merchant=merchant, facts={"purchase_date": long_ago})
    page = client.get(f"/cases/new/{draft.pk}/review/")
    warning = re.search(
        r'<div class="card notice" role="note" id="limitation-warning">(.*?)</div>', page.text, re.S
    )
    assert warning, "the review step warns of the limitation"
    text = warning.group(1)
    assert "自您知道权益受损之日起已超过3年" in text
    assert "您仍然可以提交投诉" in text
    # The rule is cited once, by its short citation.
    assert text.count("《市场监督管理投诉举报处理办法》第十六条第四项") == 1
    response = client.post(f"/cases/new/{draft.pk}/review/")
    assert response.status_code == 302
    case = Case.objects.get(consumer=consumer)
    assert response["Location"] == f"/cases/{case.reference}/"
    assert case.state == "negotiation"
    # The consumer's page does not show the office's weighing of the limit.
    page = client.get(f"/cases/{case.reference}/")
    assert 'id="limitation"' not in page.text


def test_no_limitation_warning_within_three_years(client):
    _consumer, draft = _start(client)
    _fill(client, draft, merchant=cf.enrolled_merchant())
    page = client.get(f"/cases/new/{draft.pk}/review/")
    assert page.status_code == 200
    assert "limitation-warning" not in page.text


def test_missing_facts_show_on_review_with_a_link_to_their_step(client):
    consumer, draft = _start(client)
    client.post(f"/cases/new/{draft.pk}/facts/", FACTS)
    response = client.post(f"/cases/new/{draft.pk}/review/")
    assert response.status_code == 400
    block = re.search(r'<div class="errors card" role="alert".*?</div>', response.text, re.S)
    assert block
    errors = block.group(0)
    for label, step in (
        ("经营者", "merchant"),
        ("您对经营者的诉求", "request"),
        ("您的地址", "request"),
    ):
        assert f'data-field-error="{label}"' in errors
        assert f'href="/cases/new/{draft.pk}/{step}/"' in errors
    assert not Case.objects.exists()
    assert _get_draft(consumer).data["facts"] == "耳机右耳无声。"


def test_the_review_step_cites_the_rule_once_and_says_what_to_do_per_field(client):
    consumer, draft = _start(client)
    client.post(f"/cases/new/{draft.pk}/facts/", FACTS)
    data = _get_draft(consumer).data
    ComplaintDraft.objects.filter(pk=draft.pk).update(
        data={**data, "complainant_name": "", "complainant_phone": ""}
    )
    response = client.post(f"/cases/new/{draft.pk}/review/")
    assert response.status_code == 400
    errors = re.search(r'<div class="errors card" role="alert".*?</div>', response.text, re.S)
    assert errors
    box = errors.group(0)
    assert box.count("第十六条") == 1
    assert "《市场监督管理投诉举报处理办法》第十六条第五项" in box
    assert "此项为必填项" not in box
    items = {
        label: " ".join(re.sub(r"<[^>]+>", " ", text).split())
        for label, text in re.findall(r'<li data-field-error="([^"]+)">(.*?)</li>', box, re.S)
    }
    # In the order the wizard asks for them, each saying what to do.
    assert list(items) == ["经营者", "您对经营者的诉求", "您的姓名", "您的联系电话", "您的地址"]
    assert items == {
        "经营者": "请选择被投诉的经营者，或填写其名称。 修改",
        "您对经营者的诉求": "请写明您对经营者的诉求。 修改",
        "您的姓名": "请填写您的姓名。 修改",
        "您的联系电话": "请填写您的联系电话。 修改",
        "您的地址": "请填写您的地址。 修改",
    }


def test_a_field_error_that_does_not_name_its_field_is_shown_after_its_name(client):
    consumer, draft = _start(client)
    merchant = cf.enrolled_merchant()
    _fill(client, draft, merchant=merchant)
    tomorrow = (cf.today() + dt.timedelta(days=1)).isoformat()
    data = _get_draft(consumer).data
    ComplaintDraft.objects.filter(pk=draft.pk).update(data={**data, "knew_of_harm_on": tomorrow})
    client.cookies["django_language"] = "en"
    response = client.post(f"/cases/new/{draft.pk}/review/")
    assert response.status_code == 400
    assert re.search(
        r'<li data-field-error="When you knew of the harm">When you knew of the harm: '
        r"This date is in the future\.\s*<a",
        response.text,
    )
    assert response.text.count("art. 16(5)") == 1


@pytest.mark.parametrize(
    ("step", "required", "optional"),
    [
        (
            "request",
            ["complainant_name", "complainant_phone", "complainant_address", "request"],
            ["agrees_to_publication"],
        ),
        ("facts", ["category", "facts"], ["purchase_date", "amount", "platform"]),
    ],
)
def test_a_step_marks_the_fields_it_requires(client, step, required, optional):
    _consumer, draft = _start(client)
    html = client.get(f"/cases/new/{draft.pk}/{step}/").text
    for name in required:
        label = re.search(rf'<label for="id_{name}">(.*?)</label>', html).group(1)
        assert label.endswith("（必填）"), label
        assert re.search(rf'<(input|textarea|select)[^>]*name="{name}"[^>]*required', html), name
    for name in optional:
        label = re.search(rf'<label for="id_{name}">(.*?)</label>', html).group(1)
        assert "必填" not in label


def test_the_merchant_step_marks_what_naming_a_merchant_requires(client):
    _consumer, draft = _start(client)
    client.cookies["django_language"] = "en"
    html = client.get(f"/cases/new/{draft.pk}/merchant/").text
    assert (
        '<label for="id_merchant_name">Merchant&#x27;s name (if not found above) (required)' in html
    )
    assert re.search(r'<input[^>]*name="merchant_name"[^>]*aria-required="true"', html)
    assert re.search(r'<input[^>]*name="merchant_division_code"[^>]*aria-required="true"', html)
    assert '<label for="id_merchant_address">Merchant&#x27;s address</label>' in html


def test_a_required_field_left_empty_on_its_step_says_what_to_do(client):
    _consumer, draft = _start(client)
    response = client.post(
        f"/cases/new/{draft.pk}/request/", {**REQUEST, "complainant_address": ""}
    )
    assert response.status_code == 400
    assert _error_next_to(response.text, "id_complainant_address") == "请填写您的地址。"


def test_only_consumers_use_the_wizard(client):
    af.login(client, af.merchant_staff())
    response = client.get("/cases/new/")
    assert response.status_code == 403
    assert "只有消费者可以提交投诉。" in response.text
    assert not ComplaintDraft.objects.exists()


def test_another_consumers_draft_is_not_found(client):
    owner = af.consumer()
    draft = ComplaintDraft.objects.create(consumer=owner, data={"facts": "我的"})
    evidence = evidence_add(uploaded_by=owner, upload=cf.upload("a.png", png_bytes()), draft=draft)
    af.login(client, af.consumer())
    assert client.get(f"/cases/new/{draft.pk}/facts/").status_code == 404
    assert client.post(f"/cases/new/{draft.pk}/facts/", FACTS).status_code == 404
    assert client.post(f"/cases/new/{draft.pk}/facts/save/", {"facts": "x"}).status_code == 404
    assert (
        client.post(f"/cases/new/{draft.pk}/merchant/choose/", {"merchant": 1}).status_code == 404
    )
    assert client.post(f"/cases/new/{draft.pk}/evidence/{evidence.pk}/remove/").status_code == 404
    assert client.post(f"/cases/new/{draft.pk}/review/").status_code == 404
    assert ComplaintDraft.objects.get(pk=draft.pk).data == {"facts": "我的"}
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert not Case.objects.exists()


def test_new_continues_the_draft_and_starts_another_on_request(client):
    consumer, draft = _start(client)
    assert client.get("/cases/new/")["Location"] == f"/cases/new/{draft.pk}/merchant/"
    # An untouched draft is reused even when a new one is asked for.
    assert client.get("/cases/new/?new=1")["Location"] == f"/cases/new/{draft.pk}/merchant/"
    client.post(f"/cases/new/{draft.pk}/facts/", FACTS)
    response = client.get("/cases/new/?new=1")
    second = ComplaintDraft.objects.exclude(pk=draft.pk).get(consumer=consumer)
    assert response["Location"] == f"/cases/new/{second.pk}/merchant/"


# --- Lists -------------------------------------------------------------------------------


def test_the_consumer_sees_their_cases_only(client):
    consumer = af.consumer()
    mine = cf.submit(consumer=consumer)
    theirs = cf.submit()
    af.login(client, consumer)
    page = client.get("/cases/")
    assert page.status_code == 200
    assert mine.reference in page.text
    assert theirs.reference not in page.text
    assert 'data-action="file"' in page.text


def test_the_merchant_inbox_puts_the_answer_due_first_first(client):
    c = cf.cast()
    with cf.frozen(cf.at(2026, 11, 2)):
        later = cf.submit(consumer=c.consumer, merchant=c.merchant)
    with cf.frozen(cf.at(2026, 10, 12)):
        sooner = cf.submit(consumer=c.consumer, merchant=c.merchant)
    with cf.frozen(cf.at(2026, 11, 20)):
        settled = cf.submit(consumer=c.consumer, merchant=c.merchant)
        negotiation.offer_accept(
            offer=cf.offer(settled, c.actor("merchant_staff")), actor=c.actor("consumer")
        )
    elsewhere = cf.submit(merchant=c.other_merchant)
    af.login(client, c.merchant_staff)
    page = client.get("/cases/")
    refs = re.findall(r'data-case="([^"]+)"', page.text)
    assert refs == [sooner.reference, later.reference, settled.reference]
    assert elsewhere.reference not in page.text
    home = client.get("/accounts/merchant/")
    assert re.findall(r'data-case="([^"]+)"', home.text) == refs


def test_the_list_costs_the_same_queries_for_more_cases(client):
    consumer = af.consumer()
    af.login(client, consumer)
    cf.submit(consumer=consumer)
    with CaptureQueriesContext(connection) as one:
        client.get("/cases/")
    for _ in range(4):
        cf.submit(consumer=consumer)
    with CaptureQueriesContext(connection) as five:
        page = client.get("/cases/")
    assert len(re.findall(r'data-case="', page.text)) == 5
    assert len(five) == len(one)


def test_the_review_queue_is_the_regulators(client):
    c = cf.cast()
    waiting = cf.case_in(State.REVIEW, c)
    negotiating = cf.submit(consumer=c.consumer, merchant=c.merchant)
    af.login(client, c.regulator)
    page = client.get("/cases/review/")
    assert page.status_code == 200
    assert re.findall(r'data-case="([^"]+)"', page.text) == [waiting.reference]
    assert negotiating.reference not in page.text
    due = Deadline.objects.get(case=waiting, clock="acceptance_decision", status="running")
    assert f'<time datetime="{due.due_on.isoformat()}"' in page.text
    home = client.get("/accounts/regulator/")
    assert re.findall(r'data-case="([^"]+)"', home.text) == [waiting.reference]
    af.login(client, c.other_regulator)
    assert waiting.reference not in client.get("/cases/review/").text
    af.login(client, c.consumer)
    assert client.get("/cases/review/").status_code == 403


def test_the_consumer_home_lists_cases_and_an_unfinished_draft(client):
    consumer = af.consumer()
    case = cf.submit(consumer=consumer)
    af.login(client, consumer)
    home = client.get("/accounts/consumer/")
    assert re.findall(r'data-case="([^"]+)"', home.text) == [case.reference]
    assert 'href="/cases/new/"' in home.text
    assert 'data-action="continue"' not in home.text
    draft = ComplaintDraft.objects.create(consumer=consumer, data={"facts": "写了一半"})
    home = client.get("/accounts/consumer/")
    assert f'href="/cases/new/{draft.pk}/merchant/" data-action="continue"' in home.text


# --- The case page -----------------------------------------------------------------------


def test_the_case_page_shows_deadlines_with_their_basis_and_the_timeline(client):
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    Deadline.objects.filter(case=case).update(provisional=True)
    af.login(client, c.merchant_staff)
    page = client.get(f"/cases/{case.reference}/")
    assert page.status_code == 200
    assert "全国12315平台在线消费纠纷解决（ODR）工作惯例" in page.text
    assert 'data-provisional="true"' in page.text
    assert "暂定：该年度节假日安排尚未公布" in page.text
    assert 'data-event="case.submitted"' in page.text
    assert 'data-event="transition.start_negotiation"' in page.text
    # The merchant may offer and write; a merchant cannot withdraw the complaint.
    assert 'id="offer-form"' in page.text
    assert 'id="message-form"' in page.text
    assert 'data-transition="withdraw"' not in page.text
    af.login(client, c.consumer)
    page = client.get(f"/cases/{case.reference}/")
    assert 'data-transition="withdraw"' in page.text
    assert 'data-transition="escalate"' in page.text


def test_evidence_is_downloaded_as_an_attachment_by_those_on_the_case(client):
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    evidence = evidence_add(
        uploaded_by=c.consumer, upload=cf.upload("a.png", png_bytes()), case=case
    )
    for user in (c.consumer, c.merchant_staff, c.regulator):
        af.login(client, user)
        response = client.get(f"/cases/{case.reference}/evidence/{evidence.pk}/")
        assert response.status_code == 200
        assert response["Content-Disposition"] == (
            f'attachment; filename="{case.reference}-{evidence.pk}.png"'
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == png_bytes()
    other = cf.submit(consumer=c.consumer, merchant=c.merchant)
    assert client.get(f"/cases/{other.reference}/evidence/{evidence.pk}/").status_code == 404


def test_negotiation_through_the_pages(client):
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    valid_until = (cf.today() + dt.timedelta(days=5)).isoformat()
    af.login(client, c.merchant_staff)
    response = client.post(
        f"/cases/{case.reference}/offers/",
        {
            "kind": "refund",
            "amount": "100",
            "description": "退一半",
            "valid_until": valid_until,
            "performance_days": "7",
        },
    )
    assert response["Location"] == f"/cases/{case.reference}/#offers"
    first = Offer.objects.get(case=case)
    assert (first.side, first.kind, first.amount, first.status) == (
        "merchant",
        "refund",
        Decimal("100.00"),
        "open",
    )

    af.login(client, c.consumer)
    page = client.get(f"/cases/{case.reference}/")
    assert f'data-accept="{first.pk}"' in page.text
    assert f'data-counter="{first.pk}"' in page.text
    client.post(
        f"/cases/{case.reference}/offers/",
        {
            "kind": "refund",
            "amount": "199",
            "description": "全额",
            "counter_to": first.pk,
            "valid_until": valid_until,
            "performance_days": "7",
        },
    )
    counter = Offer.objects.get(case=case, side="consumer")
    first.refresh_from_db()
    assert (first.status, counter.counter_to_id, counter.status) == ("countered", first.pk, "open")

    af.login(client, c.merchant_staff)
    response = client.post(f"/cases/{case.reference}/offers/{counter.pk}/accept/", follow=True)
    case.refresh_from_db()
    assert case.state == State.SETTLED
    assert case.settlement_terms["amount"] == "199.00"
    assert 'data-state="settled"' in response.text
    assert "您已接受该方案，双方已达成和解。" in response.text
    # Settled: no more offers, no more negotiation messages.
    assert 'id="offer-form"' not in response.text
    assert 'id="message-form"' not in response.text


def test_declining_an_offer(client):
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    offer = cf.offer(case, c.actor("merchant_staff"))
    af.login(client, c.consumer)
    response = client.post(
        f"/cases/{case.reference}/offers/{offer.pk}/reject/", {"reason": "太少"}, follow=True
    )
    offer.refresh_from_db()
    assert offer.status == "rejected"
    assert "您已拒绝该方案。" in response.text
    assert cf.event_kinds(case)[-1] == "offer.rejected"


def test_an_offer_the_service_refuses_comes_back_with_the_error_next_to_the_field(client):
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    af.login(client, c.merchant_staff)
    response = client.post(
        f"/cases/{case.reference}/offers/",
        {
            "kind": "refund",
            "amount": "",
            "description": "退款",
            "valid_until": (cf.today() + dt.timedelta(days=5)).isoformat(),
            "performance_days": "7",
        },
    )
    assert response.status_code == 400
    assert _error_next_to(response.text, "offer_amount") == "退款或赔偿须填写金额。"
    assert 'value="退款"' not in response.text  # the description is a textarea
    assert "退款</textarea>" in response.text
    assert not Offer.objects.filter(case=case).exists()


def test_accepting_an_offer_no_longer_open_is_a_message(client):
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    offer = cf.offer(case, c.actor("merchant_staff"))
    negotiation.offer_reject(offer=offer, actor=c.actor("consumer"))
    before = cf.snapshot(case)
    af.login(client, c.consumer)
    response = client.post(f"/cases/{case.reference}/offers/{offer.pk}/accept/")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "该方案已不可再答复（已拒绝）。" in page.text
    assert cf.snapshot(case) == before


def test_messages_are_posted_once_with_and_without_htmx(client):
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    af.login(client, c.consumer)
    plain = client.post(
        f"/cases/{case.reference}/messages/", {"body": "请尽快处理", "client_id": "abc"}
    )
    assert plain["Location"] == f"/cases/{case.reference}/#messages"
    again = client.post(
        f"/cases/{case.reference}/messages/", {"body": "请尽快处理", "client_id": "abc"}
    )
    assert again.status_code == 302
    assert list(Message.objects.filter(case=case).values_list("seq", "body")) == [(1, "请尽快处理")]
    empty = client.post(
        f"/cases/{case.reference}/messages/", {"body": "  "}, HTTP_HX_REQUEST="true"
    )
    assert empty.status_code == 200  # htmx swaps the messages with the error shown
    assert _error_next_to(empty.text, "message_body") == "此项为必填项。"
    assert Message.objects.filter(case=case).count() == 1


def test_evidence_upload_on_the_case_page(client):
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    af.login(client, c.merchant_staff)
    response = client.post(
        f"/cases/{case.reference}/evidence/", {"file": cf.upload("发票.pdf", cf.pdf_bytes())}
    )
    assert response["Location"] == f"/cases/{case.reference}/#evidence"
    evidence = Evidence.objects.get(case=case)
    assert (evidence.kind, evidence.uploaded_by) == ("pdf", c.merchant_staff)
    refused = client.post(
        f"/cases/{case.reference}/evidence/", {"file": cf.upload("x.exe", cf.elf_bytes())}
    )
    assert refused.status_code == 400
    assert "“x.exe”不是 JPEG、PNG、PDF 或 MP4 文件" in _error_next_to(refused.text, "evidence_file")
    assert Evidence.objects.filter(case=case).count() == 1


def test_a_regulator_accepts_a_complaint_with_the_mediator_chosen(client):
    c = cf.cast()
    case = cf.case_in(State.REVIEW, c)
    af.login(client, c.regulator)
    page = client.get(f"/cases/{case.reference}/")
    assert f'<option value="{c.mediator.pk}">' in page.text
    assert 'data-transition="reject"' in page.text
    missing = client.post(f"/cases/{case.reference}/transition/accept/", {"mediator": ""})
    assert missing.status_code == 400
    assert _error_next_to(missing.text, "t-accept-mediator") == "此项为必填项。"
    assert 'data-transition="accept" open' in missing.text
    response = client.post(
        f"/cases/{case.reference}/transition/accept/", {"mediator": c.mediator.pk}
    )
    assert response["Location"] == f"/cases/{case.reference}/#actions"
    case.refresh_from_db()
    assert (case.state, case.mediator) == (State.MEDIATION, c.mediator)


def test_a_regulator_refuses_a_complaint_citing_a_ground(client):
    c = cf.cast()
    case = cf.case_in(State.REVIEW, c)
    af.login(client, c.regulator)
    client.post(
        f"/cases/{case.reference}/transition/reject/",
        {"ground": "outside_remit", "reason": "不属于本局职责"},
    )
    case.refresh_from_db()
    assert (case.state, case.ground, case.reason) == (
        State.REJECTED,
        "outside_remit",
        "不属于本局职责",
    )
    page = client.get(f"/cases/{case.reference}/")
    assert "投诉事项不属于市场监督管理部门职责" in page.text


def test_the_consumer_withdraws(client):
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    af.login(client, c.consumer)
    response = client.post(
        f"/cases/{case.reference}/transition/withdraw/", {"reason": "已自行解决"}, follow=True
    )
    case.refresh_from_db()
    assert (case.state, case.reason) == (State.WITHDRAWN, "已自行解决")
    assert "已完成：撤回投诉" in response.text


@pytest.mark.parametrize(
    ("who", "path", "data", "message"),
    [
        ("merchant_staff", "transition/withdraw/", {}, "您无权对本案件执行“撤回投诉”。"),
        ("consumer", "transition/accept/", {}, "案件当前处于“协商中”状态，不能执行“受理投诉”。"),
        ("consumer", "transition/settle/", {}, "协商阶段须通过接受和解方案达成和解。"),
        ("consumer", "transition/nonsense/", {}, "未知操作“nonsense”。"),
        ("regulator", "messages/", {"body": "你好"}, "您在本案件中的身份无权进行此操作。"),
    ],
)
def test_refusals_of_people_on_the_case_are_messages(client, who, path, data, message):
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    before = cf.snapshot(case)
    af.login(client, getattr(c, who))
    response = client.post(f"/cases/{case.reference}/{path}", data)
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert message in page.text
    assert cf.snapshot(case) == before
    assert not Message.objects.filter(case=case).exists()


ENDPOINTS = [
    ("get", "/cases/{ref}/", {}),
    ("get", "/cases/{ref}/evidence/{evidence}/", {}),
    (
        "post",
        "/cases/{ref}/offers/",
        {
            "kind": "refund",
            "amount": "1",
            "description": "x",
            "valid_until": "2099-01-01",
            "performance_days": "7",
        },
    ),
    ("post", "/cases/{ref}/offers/{offer}/accept/", {}),
    ("post", "/cases/{ref}/offers/{offer}/reject/", {"reason": "x"}),
    ("post", "/cases/{ref}/messages/", {"body": "hi"}),
    ("post", "/cases/{ref}/evidence/", "file"),
    ("post", "/cases/{ref}/transition/withdraw/", {"reason": "x"}),
    ("post", "/cases/{ref}/transition/escalate/", {}),
]


@pytest.mark.parametrize(("method", "path", "data"), ENDPOINTS)
@pytest.mark.parametrize("who", ["other_consumer", "other_merchant_staff", "other_regulator"])
def test_strangers_get_403_and_nothing_changes(client, method, path, data, who):
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    offer = cf.offer(case, c.actor("merchant_staff"))
    evidence = evidence_add(
        uploaded_by=c.consumer, upload=cf.upload("a.png", png_bytes()), case=case
    )
    before = cf.snapshot(case)
    counts = (Message.objects.count(), Evidence.objects.count(), Offer.objects.count())
    af.login(client, getattr(c, who))
    url = path.format(ref=case.reference, offer=offer.pk, evidence=evidence.pk)
    if data == "file":
        data = {"file": cf.upload("b.png", png_bytes())}
    response = getattr(client, method)(url, data)
    assert response.status_code == 403
    assert f"您不是案件 {case.reference} 的当事人。" in response.text
    assert cf.snapshot(case) == before
    assert (Message.objects.count(), Evidence.objects.count(), Offer.objects.count()) == counts


@pytest.mark.parametrize(("method", "path", "data"), ENDPOINTS)
def test_unknown_cases_are_404(client, method, path, data):
    af.login(client, af.consumer())
    url = path.format(ref="LY-2026-999999", offer=1, evidence=1)
    if data == "file":
        data = {"file": cf.upload("b.png", png_bytes())}
    response = getattr(client, method)(url, data)
    assert response.status_code == 404
    assert "不存在编号为 LY-2026-999999 的案件。" in response.text


def test_anonymous_visitors_are_sent_to_log_in(client):
    case = cf.submit()
    for url in ("/cases/", "/cases/new/", f"/cases/{case.reference}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    response = client.post(f"/cases/{case.reference}/transition/withdraw/")
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == State.NEGOTIATION


# --- Every page in Chinese first, and in English ----------------------------------------


def _pages(c) -> list[tuple[str, object, str, str, str]]:
    """(name, user, url, a Chinese text, the same in English) for every case page."""
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    review = cf.case_in(State.REVIEW, c)
    draft = ComplaintDraft.objects.create(consumer=c.consumer, data={})
    wizard = f"/cases/new/{draft.pk}"
    return [
        ("list", c.consumer, "/cases/", "我的案件", "My cases"),
        ("inbox", c.merchant_staff, "/cases/", "投诉收件箱", "Complaints inbox"),
        ("queue", c.regulator, "/cases/review/", "受理审查队列", "Review queue"),
        ("merchant", c.consumer, f"{wizard}/merchant/", "按名称、统一社会信用代码或网店网址搜索",
         "Search by name, credit code or store URL"),
        ("facts", c.consumer, f"{wizard}/facts/", "事情经过", "What happened"),
        ("request", c.consumer, f"{wizard}/request/", "您对经营者的诉求",
         "What you ask the merchant to do"),
        ("evidence", c.consumer, f"{wizard}/evidence/", "照片、购物凭证、聊天截图或视频",
         "Photos, receipts, chat screenshots or videos"),
        ("review", c.consumer, f"{wizard}/review/", "提交投诉", "Submit the complaint"),
        ("search", c.consumer, "/cases/merchants/search/?q=x", "搜索", "Search"),
        ("case", c.consumer, f"/cases/{case.reference}/", "办理记录", "Timeline"),
        ("case-merchant", c.merchant_staff, f"/cases/{case.reference}/", "发送方案",
         "Send the offer"),
        ("case-regulator", c.regulator, f"/cases/{review.reference}/", "受理投诉",
         "Accept the complaint"),
        ("home-consumer", c.consumer, "/accounts/consumer/", "我要投诉", "File a complaint"),
        ("home-merchant", c.merchant_staff, "/accounts/merchant/", "打开投诉收件箱",
         "Open the complaints inbox"),
        ("home-regulator", c.regulator, "/accounts/regulator/", "打开受理审查队列",
         "Open the review queue"),
        ("forbidden", c.other_consumer, f"/cases/{case.reference}/",
         f"您不是案件 {case.reference} 的当事人。",
         f"You are not a party to case {case.reference}."),
    ]  # fmt: skip


def _no_inline_code(html: str) -> None:
    """The CSP allows scripts and styles from our files only."""
    assert " style=" not in html
    assert "<style" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert " src=" in tag, tag
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def test_every_page_is_in_chinese_by_default_and_in_english_on_request(client):
    c = cf.cast()
    for name, user, url, chinese, english in _pages(c):
        af.login(client, user)
        client.cookies.pop("django_language", None)
        page = client.get(url)
        assert page.status_code in (200, 403), name
        assert '<html lang="zh-Hans">' in page.text, name
        assert chinese in page.text, name
        assert 'href="/static/css/cases.css"' in page.text, name
        _no_inline_code(page.text)
        client.cookies["django_language"] = "en"
        page = client.get(url)
        assert '<html lang="en">' in page.text, name
        assert english in page.text, name
        assert chinese not in page.text, name
        _no_inline_code(page.text)


def test_a_transition_through_the_service_shows_up_on_the_page(client):
    c = cf.cast()
    case = cf.case_in(State.MEDIATION, c)
    case_transition(
        case=case,
        name="terminate",
        actor=c.actor("mediator"),
        data={"ground": "agreement_impossible", "reason": "双方分歧太大"},
    )
    af.login(client, c.consumer)
    page = client.get(f"/cases/{case.reference}/")
    assert 'data-state="mediation_failed"' in page.text
    assert 'data-transition="close"' in page.text
    assert "双方分歧太大" in page.text


def test_the_case_page_counts_down_in_working_days_with_the_due_hour_and_notes_for_staff(client):
    c = cf.cast()
    when = cf.at(2026, 9, 28)
    with cf.frozen(when):
        case = cf.submit(consumer=c.consumer, merchant=af.MerchantFactory(), now=when)
        af.login(client, c.consumer)
        page = client.get(f"/cases/{case.reference}/")
        # 7 working days after Monday 28 September, past National Day: 13 October.
        assert "还剩 7 个工作日" in page.text
        assert "15 个自然日" in page.text
        assert "2026-10-13 23:59" in page.text and "（北京时间）" in page.text
        assert f'hx-get="/cases/{case.reference}/deadlines/"' in page.text
        # The parties read the rule, not the drafting note about it.
        assert "待与正式文本核对" not in page.text
        assert "工作人员须知" not in page.text
        fragment = client.get(f"/cases/{case.reference}/deadlines/")
        assert fragment.status_code == 200
        assert 'id="deadlines"' in fragment.text and "<html" not in fragment.text
        af.login(client, c.regulator)
        staff = client.get(f"/cases/{case.reference}/")
        assert "工作人员须知" in staff.text and "待与正式文本核对" in staff.text
    with cf.frozen(cf.at(2026, 10, 12)):
        af.login(client, c.consumer)
        assert "还剩 1 个工作日" in client.get(f"/cases/{case.reference}/deadlines/").text
    with cf.frozen(cf.at(2026, 10, 14)):
        af.login(client, c.consumer)
        assert "期限已于2026-10-13届满" in client.get(f"/cases/{case.reference}/deadlines/").text
