"""What the browser journeys share: a page fits a phone, the header's menu, a screenshot of
it, signing in."""

import re
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from playwright.sync_api import Page, expect

PHONE_WIDTH = 360


def assert_fits_the_phone(page: Page, width: int = PHONE_WIDTH) -> None:
    """Nothing makes the page scroll sideways on a phone; if something does, the message
    names the innermost elements that stick out."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll <= width:
        return
    offenders = page.evaluate(
        """([limit]) => [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > limit)
            .filter((e) => ![...e.children].some((c) => c.getBoundingClientRect().right > limit))
            .map((e) => `${e.tagName.toLowerCase()}: ${(e.textContent || "").slice(0, 40)}`)""",
        [width],
    )
    raise AssertionError(f"{page.url} is {scroll}px wide on a {width}px screen: {offenders}")


def open_site_menu(page: Page) -> None:
    """Open the header's menu (templates/base.html) where it is folded: on a phone, with
    JavaScript. On a wide screen, or without JavaScript, it is always open."""
    page.wait_for_load_state("domcontentloaded")  # static/js/menu.js has run
    button = page.locator("#menu-button")
    if button.is_visible() and button.get_attribute("aria-expanded") != "true":
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#site-menu")).to_be_visible()


def screenshots(journey: str) -> Callable[[Page, str], None]:
    """``shot = screenshots("cases")``; ``shot(page, "1-filed")`` writes
    var/screenshots/cases-1-filed.png (the whole page)."""
    folder = Path(settings.BASE_DIR) / "var" / "screenshots"

    def shot(page: Page, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{journey}-{name}.png", full_page=True)

    return shot


def log_in_by_sms(page: Page, live_daphne, phone: str, landing: str | None = None) -> None:
    """Sign in on /accounts/login/ with the code the server's SMS backend wrote; with
    ``landing`` ("consumer", "merchant"), wait for that role's page."""
    page.goto("/accounts/login/")
    page.locator("main input[name=phone]").fill(phone.removeprefix("+86"))
    page.locator("main form button[type=submit]").first.click()
    page.locator("main input[name=code]").fill(live_daphne.latest_code(to=phone))
    page.locator("main form button[type=submit]").first.click()
    if landing:
        expect(page).to_have_url(re.compile(rf"/accounts/{landing}/$"))


STAFF_PASSWORD = "pw-for-tests-123"


def give_staff_password(username: str) -> str:
    """Set a known password on a staff account, hashed with a hasher the server (run with
    the production hashers, not the tests' fast one) can check; returns the username."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from accounts.models import User

    hasher = PBKDF2PasswordHasher()
    User.objects.filter(username=username).update(
        password=hasher.encode(STAFF_PASSWORD, hasher.salt())
    )
    return username


def log_in_as_staff(page: Page, username: str, landing: str) -> None:
    """Sign in on /accounts/staff-login/ with the password of ``give_staff_password`` and
    wait for the role's page (``landing``: "regulator", "mediator", ...)."""
    page.goto("/accounts/staff-login/")
    page.locator("main input[name=username]").fill(username)
    page.locator("main input[name=password]").fill(STAFF_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/accounts/{landing}/$"))
