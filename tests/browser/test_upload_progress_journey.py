"""An upload shows how much has gone, in real Chromium on a slow line.

The browser's upload is throttled (the DevTools protocol's network conditions, as on a
slow mobile line) so that a photo of a few megabytes takes seconds: the form shows a
progress bar that moves, the page then shows the file; a refused file gets the server's
page with its reason, in Chinese, and nothing already uploaded is lost.
"""

import os
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import Merchant
from cases.tests import factories as cf
from tests.browser.pages import log_in_by_sms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MERCHANT = "临沂优品电子商贸有限公司"
UPLOAD_BYTES_PER_SECOND = 1_000_000


def _slow_line(page: Page) -> None:
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 50,
            "downloadThroughput": 10_000_000,
            "uploadThroughput": UPLOAD_BYTES_PER_SECOND,
        },
    )


def _photo(tmp_path, name: str = "收据照片.png"):
    """A real PNG of about 3 MB (noise does not compress)."""
    path = tmp_path / name
    Image.frombytes("RGB", (1000, 1000), os.urandom(3_000_000)).save(path, compress_level=1)
    assert path.stat().st_size > 2_500_000
    return path


def test_the_case_page_shows_the_uploads_progress(
    demo_data, live_daphne, new_page, browser_errors, tmp_path
):
    case = cf.submit(consumer=demo_data.consumer, merchant=Merchant.objects.get(name=MERCHANT))
    consumer = new_page(viewport={"width": 375, "height": 812})
    log_in_by_sms(consumer, live_daphne, "+8613800000001", "consumer")
    consumer.goto(f"/cases/{case.reference}/")
    _slow_line(consumer)

    form = consumer.locator("#evidence-form")
    form.locator("input[name=file]").set_input_files(str(_photo(tmp_path)))
    form.locator("input[name=description]").fill("付款收据")
    form.locator('button[data-action="upload"]').click()
    progress = form.locator("[data-upload-progress]")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text("正在上传")
    # It moves: some of the file has gone, not all of it yet.
    consumer.wait_for_function(
        """() => { const bar = document.querySelector("[data-upload-progress] progress");
                   return bar && bar.value > 0 && bar.value < 100; }"""
    )
    expect(consumer.locator("#evidence-feed")).to_contain_text("收据照片.png", timeout=30_000)
    expect(consumer).to_have_url(re.compile(rf"/cases/{case.reference}/#evidence$"))
    assert case.evidence.get().original_name == "收据照片.png"

    # A file of a kind that is not accepted: the reason, in Chinese; the photo stays.
    text = tmp_path / "说明.txt"
    text.write_text("不是图片", encoding="utf-8")
    form = consumer.locator("#evidence-form")
    form.locator("input[name=file]").set_input_files(str(text))
    form.locator('button[data-action="upload"]').click()
    expect(consumer.locator("#evidence-form .error")).to_contain_text("JPEG")
    expect(consumer.locator("#evidence-feed")).to_contain_text("收据照片.png")
    assert case.evidence.count() == 1
    refused = [e for e in browser_errors if "400" in e]
    assert len(refused) <= 1 and len(browser_errors) == len(refused), "\n".join(browser_errors)
