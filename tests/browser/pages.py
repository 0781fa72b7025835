"""What every browser journey checks on a page: it fits a phone, and a screenshot of it."""

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from playwright.sync_api import Page

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


def screenshots(journey: str) -> Callable[[Page, str], None]:
    """``shot = screenshots("cases")``; ``shot(page, "1-filed")`` writes
    var/screenshots/cases-1-filed.png (the whole page)."""
    folder = Path(settings.BASE_DIR) / "var" / "screenshots"

    def shot(page: Page, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{journey}-{name}.png", full_page=True)

    return shot
