"""A transfer between offices (转办) in real Chromium: a regulator of the Lanshan office,
on the case page, sends a complaint to the Fuzhou office with the reason; back in the
queue, they no longer have it; a Fuzhou regulator finds it in their queue marked as an
incoming transfer from Lanshan, with the acceptance deadline counted from the receipt."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import RegulatorOffice
from accounts.tests import factories as af
from cases.models import Case, CaseTransfer, Deadline, State
from cases.tests import factories as f
from tests.browser.pages import give_staff_password, log_in_as_staff, screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
shot = screenshots("transfer")
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}


def test_a_regulator_transfers_and_the_receiving_office_sees_it_incoming(live_daphne, new_page):
    RegulatorOffice.objects.create(division_code="371302", name="临沂市兰山区市场监督管理局")
    RegulatorOffice.objects.create(division_code="350100", name="福州市市场监督管理局")
    cast = f.cast()
    case = f.case_in(State.REVIEW, cast)
    ref = case.reference
    lanshan = af.regulator("371302")

    sender = new_page(**DESKTOP)
    log_in_as_staff(sender, give_staff_password(lanshan.username), "regulator")
    sender.goto(f"/cases/{ref}/")
    section = sender.locator("#transfer")
    expect(section).to_be_visible()
    section.locator("[data-transfer-open]").click()
    form = sender.locator("#transfer-form")
    form.locator("select[name=to_office]").select_option("350100")
    form.locator("select[name=reason]").select_option("place_of_business")
    form.locator("textarea[name=reason_text]").fill("被投诉人实际在福州经营。")
    shot(sender, "1-transferring")
    form.locator("button[data-action=transfer]").click()
    sender.locator("button[data-confirm-yes]").click()
    expect(sender).to_have_url(re.compile(r"/cases/review/$"))
    expect(sender.locator(f'[data-case="{ref}"]')).to_have_count(0)
    assert Case.objects.get(pk=case.pk).office_code == "350100"
    assert CaseTransfer.objects.filter(case=case, to_office="350100").count() == 1

    due = Deadline.objects.get(
        case=case, clock="acceptance_decision", status=Deadline.Status.RUNNING
    ).due_on
    receiver = new_page(**DESKTOP)
    log_in_as_staff(receiver, give_staff_password(cast.other_regulator.username), "regulator")
    receiver.goto("/cases/review/")
    item = receiver.locator(f'[data-case="{ref}"]')
    expect(item).to_be_visible()
    expect(item.locator('[data-flag="transfer-in"]')).to_contain_text("临沂市兰山区市场监督管理局")
    expect(item.locator(".case-item-due time")).to_have_attribute("datetime", due.isoformat())
    shot(receiver, "2-incoming")
    receiver.goto(f"/cases/{ref}/")
    expect(receiver.locator("[data-transfer-event]")).to_contain_text("福州市市场监督管理局")
