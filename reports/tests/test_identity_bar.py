"""The bar of issue 20: with a named reporter's distinctive name, phone and ID number, no
page, API answer, document, notice or export that the merchant's staff can reach contains
any of them, whatever became of the report (received, linked to the merchant's complaint,
opened with a violation found and on the credit file)."""

from __future__ import annotations

import subprocess

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests import factories as people
from cases.models import State
from cases.tests import factories as cf
from documents.models import Document
from notifications.models import Notification
from odr import sms
from reports.services import handling
from reports.tests import factories as rf
from reports.tests.factories import SECRET_ID, SECRET_NAME, SECRET_PHONE

pytestmark = pytest.mark.django_db
SECRETS = (SECRET_NAME, SECRET_PHONE, SECRET_PHONE.removeprefix("+86"), SECRET_ID, SECRET_ID[:-1])


def _text(response) -> str:
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    if data.startswith(b"%PDF"):
        done = subprocess.run(
            ["pdftotext", "-", "-"], input=data, capture_output=True, check=False, timeout=60
        )
        return done.stdout.decode("utf-8", "replace") + data.decode("latin-1")
    return data.decode("utf-8", "replace")


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_nothing_the_merchant_can_reach_names_the_reporter(
    django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    sms.outbox.clear()
    c = cf.cast()
    with django_capture_on_commit_callbacks(execute=True):
        cases = [
            cf.case_in(state, c) for state in (State.NEGOTIATION, State.MEDIATION, State.CLOSED)
        ]
        received = rf.named(c.merchant, reporter=c.consumer)
        linked = rf.named(c.merchant, violation_kind="counterfeit")
        from django.db import transaction

        from reports.services.filing import _link_case  # the one-submission link

        with transaction.atomic():
            _link_case(linked, cases[0], None)
        opened = rf.named(c.merchant, reporter=c.consumer, violation_kind="false_advertising")
        handling.report_decide(
            report=opened, actor=c.actor("regulator"), decision="open", reasons="立案"
        )
        handling.report_record_finding(
            report=opened, actor=c.actor("regulator"), finding="violation", summary="属实"
        )
        refused = rf.named(c.merchant)
        handling.report_decide(
            report=refused, actor=c.actor("regulator"), decision="not_open", reasons="否"
        )
    reports = [received, linked, opened, refused]

    staff = Client()
    people.login(staff, c.merchant_staff)
    uscc = c.merchant.uscc
    paths = [
        reverse("accounts:landing"),
        reverse("accounts:merchant_home"),
        reverse("cases:list"),
        reverse("notifications:inbox"),
        reverse("api-notifications"),
        reverse("credit:merchant", args=[uscc]),
        reverse("api-credit-merchant", args=[uscc]),
        reverse("api-credit-records"),
        reverse("disclosure"),
        reverse("api-cases"),
        reverse("reports:queue"),
        reverse("reports:mine"),
        reverse("api-reports"),
    ]
    for case in cases:
        ref = case.reference
        paths += [
            reverse("cases:detail", args=[ref]),
            reverse("cases:deadlines", args=[ref]),
            reverse("api-case", args=[ref]),
            reverse("api-case-events", args=[ref]),
            reverse("api-case-documents", args=[ref]),
        ]
        for document in Document.objects.filter(case=case):
            paths.append(reverse("api-case-document-file", args=[ref, document.number]))
    for report in reports:
        paths += [
            reverse("reports:detail", args=[report.reference]),
            reverse("api-report", args=[report.reference]),
        ]
    seen = 0
    for path in paths:
        response = staff.get(path)
        assert response.status_code < 500, path
        text = _text(response)
        assert not _leaks(text), f"GET {path} ({response.status_code}) shows {_leaks(text)}"
        seen += response.status_code == 200
    assert seen >= 15  # the pages were real
    # The merchant's case page never says the complaint was also reported.
    page = _text(staff.get(reverse("cases:detail", args=[cases[0].reference])))
    assert linked.reference not in page
    # Every notice and SMS to the merchant's staff, and every credit export row.
    for notice in Notification.objects.filter(recipient=c.merchant_staff):
        assert not _leaks(notice.subject + notice.body + str(notice.params))
    for message in sms.outbox:
        if message.to != SECRET_PHONE:
            assert not _leaks(message.body), message.to
    from credit.models import CreditRecord

    for record in CreditRecord.objects.filter(merchant=c.merchant):
        assert not _leaks(
            f"{record.case_reference}{record.consumer}{record.details}{record.category}"
        )
    assert CreditRecord.objects.filter(merchant=c.merchant, kind="violation_found").count() == 1
    # The reporter was told (so the secret phone got its SMS), the merchant was not.
    assert [m.to for m in sms.outbox if opened.reference in m.body] == [SECRET_PHONE]
