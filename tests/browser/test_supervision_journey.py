"""The regulator's workspace in real Chromium on a phone: the regulator opens the
dashboard, filters by district, sees the chart, downloads a figure as CSV, and
acknowledges a risk alert of their jurisdiction.
"""

import datetime as dt
import re

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role, User
from accounts.tests import factories as af
from supervision.models import Alert, AlertNotice, AlertRule
from supervision.services.rules import rules_seed_defaults
from supervision.tests.factories import make_case
from tests.browser.pages import assert_fits_the_phone as _assert_fits_the_phone
from tests.browser.pages import screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-123"

_screenshot = screenshots("supervision")


def _regulator(username: str, jurisdiction: str) -> User:
    hasher = PBKDF2PasswordHasher()  # the server checks with the production hashers
    user = User.objects.create(username=username, password=hasher.encode(PASSWORD, hasher.salt()))
    Role.objects.create(user=user, kind=Role.Kind.REGULATOR, jurisdiction=jurisdiction)
    return user


def test_regulator_dashboard_filter_csv_and_alert(new_page, browser_errors, tmp_path):
    regulator = _regulator("linyi-regulator", "371300")
    merchant = af.MerchantFactory(name="临沂优品", division_code="371302")
    now = timezone.now()
    for i in range(3):
        make_case(
            path=[("submitted", now - dt.timedelta(days=2, hours=i))],
            division="371302",
            merchant=merchant,
            platform="淘宝",
        )
    for i in range(2):
        make_case(
            path=[
                ("submitted", now - dt.timedelta(days=3, hours=i)),
                ("review", now - dt.timedelta(days=3)),
            ],
            division="371311",
            category="goods.electronics",
        )
    make_case(path=[("submitted", now - dt.timedelta(days=1))], division="350102")  # Fuzhou
    rules_seed_defaults()  # an earlier transactional test may have flushed the migration's rows
    rule = AlertRule.objects.get(kind="merchant_spike", jurisdiction="")
    alert = Alert.objects.create(
        rule=rule,
        kind=rule.kind,
        severity="high",
        division_code="371302",
        subject=f"merchant:{merchant.pk}",
        window=timezone.localdate().isoformat(),
        subject_label=merchant.name,
        evidence={"count": 6, "threshold": 5, "history": [1] * 8, "mean": 1, "sd": 0, "cases": []},
        created_at=now,
    )
    AlertNotice.objects.create(alert=alert, recipient=regulator, channel="inapp", created_at=now)

    page = new_page()
    page.goto("/accounts/staff-login/")
    page.locator("main input[name=username]").fill("linyi-regulator")
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/regulator/$"))

    # The dashboard: the jurisdiction's five complaints of the last 30 days, charted.
    page.goto("/supervision/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator('[data-figure="total"]')).to_have_text("5")
    district_chart = page.locator("#figure-by_district svg.chart")
    expect(district_chart).to_be_visible()
    expect(district_chart.locator("g.bar")).to_have_count(2)
    assert "350102" not in page.locator("main").inner_text()
    _assert_fits_the_phone(page)
    _screenshot(page, "1-dashboard")

    # Filter by district, chosen by its name.
    page.locator("main select[name=district]").select_option(label="罗庄区")
    page.locator("main form.sv-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"district=371311"))
    expect(page.locator('[data-figure="total"]')).to_have_text("2")
    expect(page.locator("#figure-by_state svg.chart")).to_be_visible()
    expect(page.locator("#figure-by_district svg.chart g.bar")).to_have_count(1)
    _assert_fits_the_phone(page)
    _screenshot(page, "2-filtered")

    # Download the figure by district, filtered.
    with page.expect_download() as download:
        page.locator("#figure-by_district a.sv-csv").click()
    path = tmp_path / "by_district.csv"
    download.value.save_as(path)
    rows = path.read_text(encoding="utf-8-sig").splitlines()
    assert re.match("(行政区划代码|division code),", rows[0])
    assert rows[1:] == ["371311,罗庄区,2,0,0,,0,0,"]

    # A district outside the jurisdiction (not offered, but typed into the address) is
    # refused next to the field.
    page.goto("/supervision/?district=350102")
    expect(page.locator("main .field.has-error .error")).to_contain_text(
        re.compile("不在您的辖区内|outside your jurisdiction")
    )
    expect(page.locator('[data-figure="total"]')).to_have_text("5")

    # The alert, unread, then acknowledged.
    page.locator("nav.sv-nav a[href='/supervision/alerts/']").click()
    item = page.locator(f'li[data-alert="{alert.pk}"]')
    expect(item).to_have_class(re.compile("unread"))
    item.locator("a").click()
    expect(page.locator("h1")).to_contain_text("临沂优品")
    page.locator('button[data-step="acknowledge"]').click()
    expect(page.locator("ul.messages")).to_contain_text(re.compile("已确认预警|Alert acknowledged"))
    expect(page.locator("[data-alert-status]")).to_have_attribute(
        "data-alert-status", "acknowledged"
    )
    _assert_fits_the_phone(page)
    _screenshot(page, "3-alert-acknowledged")
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    assert alert.actions.get().actor == regulator
    assert not browser_errors, "\n".join(browser_errors)
