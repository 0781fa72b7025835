"""The service's words where people meet them (issue 18), in real Chromium on a 375×812
phone: the complaint wizard's review step says in plain words what is missing and cites
the rule once, in Chinese and in English (and on a desk screen); the mediation room shows
message times in Beijing time whatever the browser's own time zone, and says how to send
with the keyboard; the sign-in code page keeps the code box when a new code is asked for
too soon, and counts down to when one may be asked for.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.tests import factories as af
from cases.models import ComplaintDraft, Message, State
from cases.tests import factories as f
from tests.browser.pages import assert_fits_the_phone, log_in_by_sms, screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_375 = {"viewport": {"width": 375, "height": 812}}
DESK = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}
BEIJING = ZoneInfo("Asia/Shanghai")
CITATION = {
    "zh-hans": "《市场监督管理投诉举报处理办法》第十六条第五项",
    "en": "SAMR Order No. 121), art. 16(5)",
}
# What the review step says about each field left empty, and the step it links to.
MISSING = {
    "zh-hans": [
        ("经营者", "请选择被投诉的经营者，或填写其名称。", "merchant"),
        ("您对经营者的诉求", "请写明您对经营者的诉求。", "request"),
        ("您的地址", "请填写您的地址。", "request"),
    ],
    "en": [
        ("Merchant", "Please choose the merchant, or name it.", "merchant"),
        (
            "What you ask the merchant to do",
            "Please say what you ask the merchant to do.",
            "request",
        ),
        ("Your address", "Please give your address.", "request"),
    ],
}
ADDRESS_LABEL = {"zh-hans": "您的地址（必填）", "en": "Your address (required)"}
HINT = {
    "zh-hans": "按 Ctrl+Enter（Mac 上按 ⌘+Enter）发送。",
    "en": "Press Ctrl+Enter (⌘+Enter on a Mac) to send.",
}

_screenshot = screenshots("words")


def _only_refused(browser_errors: list[str], *refusals: tuple[str, int]) -> None:
    """Nothing went wrong but the refusals the journey asked for: Chromium logs a page
    answered with a 4xx status as a console error; (path, status) each. (The reason
    phrase is daphne's: it has none for 429.)"""
    shown = [re.sub(r"https?://[^/]+| \([^)]*\)$", "", e) for e in browser_errors]
    assert shown == [
        f"console error ({path}): Failed to load resource: the server responded with a "
        f"status of {status}"
        for path, status in refusals
    ], browser_errors


@pytest.mark.parametrize(
    ("language", "screen", "width"),
    [("zh-hans", PHONE_375, 375), ("en", PHONE_375, 375), ("zh-hans", DESK, 1280)],
    ids=["zh-phone", "en-phone", "zh-desk"],
)
def test_the_review_step_cites_the_rule_once_and_says_what_to_do(
    live_daphne, new_page, browser_errors, language, screen, width
):
    consumer = af.consumer(display_name="张三", language=language)
    page = new_page(**screen)
    log_in_by_sms(page, live_daphne, consumer.phone, "consumer")
    page.goto("/cases/new/")
    expect(page).to_have_url(re.compile(r"/cases/new/\d+/merchant/$"))
    draft = ComplaintDraft.objects.get(consumer=consumer)
    page.goto(f"/cases/new/{draft.pk}/facts/")
    page.locator("select[name=category]").select_option("goods.electronics")
    bought = (dt.date.today() - dt.timedelta(days=10)).isoformat()
    page.locator("input[name=purchase_date]").fill(bought)
    page.locator("textarea[name=facts]").fill("耳机右耳无声。")
    page.locator("[data-action=next]").click()
    expect(page).to_have_url(re.compile(rf"/cases/new/{draft.pk}/request/$"))

    page.goto(f"/cases/new/{draft.pk}/review/")
    page.locator("[data-action=submit]").click()
    box = page.locator("#submit-errors")
    expect(box).to_be_visible()
    text = box.inner_text()
    assert text.count(CITATION[language]) == 1, text
    assert "此项为必填项" not in text and "Required by" not in text
    items = box.locator("li[data-field-error]")
    expect(items).to_have_count(len(MISSING[language]))
    for label, says, step in MISSING[language]:
        item = box.locator(f'li[data-field-error="{label}"]')
        expect(item).to_have_text(re.compile(rf"^\s*{re.escape(says)}\s*(修改|Change)\s*$"))
        expect(item.locator("a")).to_have_attribute("href", f"/cases/new/{draft.pk}/{step}/")
    assert_fits_the_phone(page, width)
    _screenshot(page, f"1-review-{language}-{width}")

    # The link leads to the step, where the address is marked as required.
    box.locator('li[data-field-error] a[href$="/request/"]').first.click()
    expect(page).to_have_url(re.compile(rf"/cases/new/{draft.pk}/request/$"))
    expect(page.locator('label[for="id_complainant_address"]')).to_have_text(
        ADDRESS_LABEL[language]
    )
    expect(page.locator("#id_complainant_address")).to_have_attribute("required", "")
    assert_fits_the_phone(page, width)
    _only_refused(browser_errors, (f"/cases/new/{draft.pk}/review/", 400))


def _shown(panel, text: str):
    return panel.locator('[data-log="joint"] li.msg:not(.pending)', has_text=text)


def test_the_room_shows_beijing_time_and_how_to_send(live_daphne, new_page, browser_errors):
    cast = f.cast()
    case = f.case_in(State.MEDIATION, cast)
    User.objects.filter(pk=cast.merchant_staff.pk).update(language="en")
    # The consumer's phone is set to New York time: the room still shows Beijing time,
    # as the case's timeline does.
    consumer = new_page(**PHONE_375, timezone_id="America/New_York")
    merchant = new_page(**PHONE_375)
    log_in_by_sms(consumer, live_daphne, cast.consumer.phone, "consumer")
    log_in_by_sms(merchant, live_daphne, cast.merchant_staff.phone, "merchant")
    consumer.goto(f"/mediation/cases/{case.reference}/")
    merchant.goto(f"/mediation/cases/{case.reference}/")
    con = consumer.locator("[data-med-panel]")
    mer = merchant.locator("[data-med-panel]")
    expect(con).to_have_attribute("data-connection", "open")
    expect(mer).to_have_attribute("data-connection", "open")

    # The hint under the box, in each reader's language, tied to the box.
    form = con.locator('form[data-send="joint"]')
    hint = con.locator('[data-room="joint"] [data-send-hint]')
    expect(hint).to_have_text(HINT["zh-hans"])
    expect(hint).to_be_visible()
    hint_id = hint.get_attribute("id")
    expect(form.locator("textarea")).to_have_attribute("aria-describedby", hint_id)
    expect(mer.locator('[data-room="joint"] [data-send-hint]')).to_have_text(HINT["en"])

    # Ctrl+Enter sends, and so does Cmd+Enter.
    form.locator("textarea").fill("用 Ctrl+Enter 发送")
    form.locator("textarea").press("Control+Enter")
    expect(_shown(mer, "用 Ctrl+Enter 发送")).to_have_count(1)
    form.locator("textarea").fill("用 Cmd+Enter 发送")
    form.locator("textarea").press("Meta+Enter")
    expect(_shown(mer, "用 Cmd+Enter 发送")).to_have_count(1)
    expect(form.locator("textarea")).to_have_value("")

    sent = Message.objects.get(case=case, body="用 Ctrl+Enter 发送")
    beijing = sent.created_at.astimezone(BEIJING).strftime("%H:%M")
    for panel in (con, mer):
        when = _shown(panel, "用 Ctrl+Enter 发送").locator("time.when")
        expect(when).to_have_text(re.compile(rf"^\s*{beijing}$"))
        expect(when).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    # The system message that opened the room, on an earlier Beijing day or today.
    opened = Message.objects.filter(case=case, room="joint").order_by("seq").first()
    opened_at = opened.created_at.astimezone(BEIJING)
    first = con.locator('[data-log="joint"] li.msg').first.locator("time.when")
    expect(first).to_contain_text(opened_at.strftime("%H:%M"))
    assert_fits_the_phone(consumer, 375)
    _screenshot(consumer, "2-room")
    assert browser_errors == []


def _ask_for_a_code(page: Page, phone: str) -> None:
    page.locator("main input[name=phone]").fill(phone.removeprefix("+86"))
    page.locator("main form button[type=submit]").first.click()


def test_the_code_box_stays_when_a_new_code_is_asked_for_too_soon(
    live_daphne, new_page, browser_errors
):
    consumer = af.consumer()
    page = new_page(**PHONE_375)
    # The page's clock is ours to move; the server's is not: it still refuses a second
    # code within its 60 seconds.
    page.clock.install()
    page.goto("/accounts/login/")
    page.clock.pause_at(dt.datetime.now() + dt.timedelta(seconds=1))
    _ask_for_a_code(page, consumer.phone)
    code = live_daphne.latest_code(to=consumer.phone)
    resend = page.locator("main button[data-resend]")
    expect(page.locator("main input[name=code]")).to_be_visible()
    expect(resend).to_be_disabled()
    expect(resend).to_have_text("60 秒后可重新获取验证码")
    page.clock.run_for("00:10")
    expect(resend).to_have_text("50 秒后可重新获取验证码")
    assert_fits_the_phone(page, 375)
    _screenshot(page, "3-code-sent")

    # Once the page's countdown is over the button works; asked too soon for the server,
    # the page keeps the code box and says the first code is still valid.
    page.clock.run_for("00:51")
    expect(resend).to_be_enabled()
    expect(resend).to_have_text("重新发送验证码")
    resend.click()
    expect(page.locator("ul.messages")).to_contain_text("之前发送的验证码仍然有效，请在下方输入。")
    expect(page.locator("main input[name=code]")).to_be_visible()
    expect(resend).to_be_disabled()
    expect(resend).to_have_text(re.compile(r"^\d{1,2} 秒后可重新获取验证码$"))
    assert len(live_daphne.sms_messages(to=consumer.phone)) == 1
    assert_fits_the_phone(page, 375)
    _screenshot(page, "4-too-soon")

    # The first code still signs in.
    page.locator("main input[name=code]").fill(code)
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/consumer/$"))
    _only_refused(browser_errors, ("/accounts/login/", 429))
