"""A complaint more than three years after the harm is filed, reaches the regulator, and is
refused only by the regulator's decision, with form 6 citing art. 16(4) (issue 19)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Merchant
from accounts.tests import factories as people
from cases.models import Case, CaseEvent, State
from cases.services.intake import ComplaintData, case_submit
from documents.kinds import Kind
from documents.models import Document
from documents.tests import factories
from documents.tests.poppler import pdfsig, pdftotext

pytestmark = pytest.mark.django_db


def _old_complaint(c: factories.Cast) -> Case:
    Merchant.objects.filter(pk=c.merchant.pk).update(odr_joined_on=None)
    c.merchant.refresh_from_db()
    long_ago = timezone.localdate() - dt.timedelta(days=4 * 366)
    return case_submit(
        consumer=c.consumer,
        data=ComplaintData(
            complainant_name="张三",
            complainant_phone=c.consumer.phone,
            complainant_address="山东省临沂市兰山区金雀山路 1 号",
            facts="四年前购买的热水器漏水，商家一直拖延。",
            request="赔偿 800 元。",
            category="goods.electronics",
            merchant=c.merchant,
            purchase_date=long_ago,
            knew_of_harm_on=long_ago,
            amount=Decimal("800.00"),
        ),
    )


def _pdf(document: Document, tmp_path):
    document.refresh_from_db()
    path = tmp_path / f"{document.number}.pdf"
    with document.file.open("rb") as handle:
        path.write_bytes(handle.read())
    return path


def test_an_old_complaint_is_refused_only_by_the_regulator_with_form_6(
    cast, client, django_capture_on_commit_callbacks, nss_db, tmp_path
):
    with django_capture_on_commit_callbacks(execute=True):
        case = _old_complaint(cast)
    # Filed, and before the office: nothing refused it at intake.
    assert case.state == State.REVIEW
    assert not Document.objects.filter(case=case).exists()

    people.login(client, cast.regulator)
    page = client.get(f"/cases/{case.reference}/")
    box = re.search(
        r'<section class="card limitation notice" id="limitation".*?</section>', page.text, re.S
    )
    assert box, "the regulator sees the limitation weighed"
    assert 'data-limitation="passed"' in box.group(0)
    assert "不予受理" in box.group(0)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/cases/{case.reference}/transition/reject/",
            {"ground": "limitation", "reason": "投诉人四年前即已知悉，期间未向商家主张权利。"},
        )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.ground) == (State.REJECTED, "limitation")
    event = CaseEvent.objects.get(case=case, kind="transition.reject")
    assert (event.actor_id, event.actor_role, event.ground) == (
        cast.regulator.pk,
        "regulator",
        "limitation",
    )

    refusal = Document.objects.get(case=case, kind=Kind.REFUSAL_NOTICE)
    path = _pdf(refusal, tmp_path)
    text = pdftotext(path).replace("\n", "").replace(" ", "")
    assert "投诉不予受理决定书" in text  # form 6 of Order 121
    assert "第十六条第四项" in text
    report = pdfsig(path, nss_db)
    assert "Signature Validation: Signature is Valid." in report, report
