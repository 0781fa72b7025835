"""The staff's pages in real Chromium, on a phone (375×812) and a desk (1280×900), in
Chinese and English: the regulator's dashboard names districts (兰山区, not 371302) and
filters by a district chosen by name; the mediator's home lists their live case and leads
to its room; the console stays readable at 375 px (no cell squeezed to a few characters,
as when it wrapped one character per line).
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from accounts.tests import factories as af
from cases.models import State
from cases.tests import factories as f
from supervision.tests.factories import make_case
from tests.browser.pages import (
    assert_fits_the_phone,
    give_staff_password,
    log_in_as_staff,
    screenshots,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}
# No cell of the console narrower than this many characters of its own font.
MIN_CHARACTERS = 4

_screenshot = screenshots("staff-pages")

# For every cell of the console: the width its content gets (in a phone's card, the
# value's column beside the label) and how wide MIN_CHARACTERS characters of its font are.
MEASURE_CELLS = """(n) => [...document.querySelectorAll(".console-cases tbody td")].map((td) => {
  const style = getComputedStyle(td);
  const probe = document.createElement("span");
  probe.textContent = "中".repeat(n);
  probe.style.font = style.font;
  probe.style.position = "absolute";
  probe.style.visibility = "hidden";
  probe.style.whiteSpace = "nowrap";
  document.body.appendChild(probe);
  const needed = probe.getBoundingClientRect().width;
  probe.remove();
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  let width = td.getBoundingClientRect().width - padding;
  if (style.display === "grid" && !td.matches(".console-open, .empty")) {
    const tracks = style.gridTemplateColumns.split(" ").map(parseFloat);
    width = tracks[tracks.length - 1];
  }
  return {label: td.dataset.label || td.className, text: td.textContent.trim(), width, needed};
})"""


def _with_password(user: User) -> User:
    give_staff_password(user.username)
    return user


_log_in = log_in_as_staff


def _open_page(new_page, live_daphne, screen: dict, language: str) -> Page:
    page = new_page(**screen, locale="zh-CN" if language == "zh-hans" else "en-US")
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_daphne.url}]
    )
    return page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("screen", [PHONE, DESK], ids=["375x812", "1280x900"])
def test_staff_pages(live_daphne, new_page, browser_errors, screen, language):
    width = screen["viewport"]["width"]
    name = f"{width}-{language}"
    # The regulator of Linyi: three complaints in Lanshan, two in Luozhuang, one in Fuzhou.
    regulator = User.objects.create(username="linyi-regulator")
    Role.objects.create(user=regulator, kind=Role.Kind.REGULATOR, jurisdiction="371300")
    _with_password(regulator)
    merchant = af.MerchantFactory(name="临沂优品", division_code="371302")
    now = timezone.now()
    for i in range(3):
        make_case(path=[("submitted", now - dt.timedelta(days=2, hours=i))], merchant=merchant)
    for i in range(2):
        make_case(path=[("submitted", now - dt.timedelta(days=3, hours=i))], division="371311")
    make_case(path=[("submitted", now - dt.timedelta(days=1))], division="350102")
    # A mediator with a live case, and another mediator's case that is not theirs.
    cast = f.cast()
    case = f.case_in(State.MEDIATION, cast)
    _with_password(cast.mediator)

    page = _open_page(new_page, live_daphne, screen, language)
    _log_in(page, "linyi-regulator", "regulator")
    expect(page.locator("main")).to_contain_text("山东省临沂市")  # the home's jurisdiction
    page.goto("/supervision/")
    expect(page.locator("html")).to_have_attribute(
        "lang", {"zh-hans": "zh-Hans"}.get(language, language)
    )
    # Five complaints and the mediator's case (Lanshan too).
    expect(page.locator('[data-figure="total"]')).to_have_text("6")
    expect(page.locator("[data-jurisdiction]")).to_contain_text("临沂市")
    figure = page.locator("#figure-by_district")
    figure.locator("summary").click()
    cells = figure.locator("tbody tr td:first-child")
    expect(cells).to_have_text(["兰山区", "罗庄区"])
    assert "371302" not in figure.inner_text() and "371300" not in page.locator("main").inner_text()
    if width < 400:
        assert_fits_the_phone(page, width)
    _screenshot(page, f"{name}-1-dashboard")

    # The filter: a district chosen by its name, grouped under its city.
    district = page.locator("main select[name=district]")
    expect(district.locator("optgroup")).to_have_attribute("label", "临沂市")
    district.select_option(label="罗庄区")
    page.locator("main form.sv-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"district=371311"))
    expect(page.locator('[data-figure="total"]')).to_have_text("2")
    expect(page.locator("[data-district]")).to_contain_text("山东省临沂市罗庄区")
    expect(district.locator("option:checked")).to_have_text("罗庄区")
    if width < 400:
        assert_fits_the_phone(page, width)
    _screenshot(page, f"{name}-2-filtered")

    # The mediator's home lists the live case with its parties, and leads to its room.
    mediator = _open_page(new_page, live_daphne, screen, language)
    _log_in(mediator, cast.mediator.username, "mediator")
    item = mediator.locator(f'#mediator-cases li[data-case="{case.reference}"]')
    expect(item).to_be_visible()
    expect(mediator.locator("#mediator-cases li.case-item")).to_have_count(1)
    expect(item).to_contain_text(case.merchant_name)
    expect(item.locator(".left")).to_have_text(re.compile(r"\d"))
    if width < 400:
        assert_fits_the_phone(mediator, width)
    _screenshot(mediator, f"{name}-3-mediator-home")
    item.locator(f'a[data-room="{case.reference}"]').click()
    expect(mediator).to_have_url(re.compile(rf"/mediation/cases/{case.reference}/$"))
    expect(mediator.locator("[data-med-panel]")).to_have_attribute("data-connection", "open")

    # The console: readable cells, as the server renders them and as the socket redraws.
    mediator.goto("/mediation/")
    row = mediator.locator(f'[data-case-row="{case.reference}"]')
    expect(row).to_be_visible()
    expect(mediator.locator("[data-console-conn]")).not_to_be_empty()
    expect(row.locator("td[data-label]")).to_have_count(6)
    state = "调解中" if language == "zh-hans" else "mediation"
    expect(row.locator(".state")).to_have_text(state)
    narrow = [
        cell
        for cell in mediator.evaluate(MEASURE_CELLS, MIN_CHARACTERS)
        if cell["width"] + 0.5 < cell["needed"]
    ]
    assert not narrow, f"console cells narrower than {MIN_CHARACTERS} characters: {narrow}"
    code = row.locator(".console-ref-code")
    height = code.evaluate("(e) => e.getBoundingClientRect().height")
    line = code.evaluate("(e) => parseFloat(getComputedStyle(e).lineHeight) || 24")
    assert height < 1.5 * line, "the case reference wraps"
    if width < 400:
        assert_fits_the_phone(mediator, width)
    _screenshot(mediator, f"{name}-4-console")
    assert not browser_errors, "\n".join(browser_errors)
