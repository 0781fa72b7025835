"""The monthly report: built by the task, signed with the organisation's key, scoped."""

import datetime as dt
import hashlib
import shutil
import subprocess

import pytest
from django.urls import reverse

from documents.services.pki import dev_pki_create
from documents.services.verify import signature_check
from supervision.models import MonthlyReport
from supervision.selectors.scope import Scope
from supervision.services.reports import report_request, reports_schedule_month

ISSUER = "临沂市市场监督管理局"
NOVEMBER = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return dev_pki_create(
        directory=tmp_path_factory.mktemp("pki"), organisation=ISSUER, key_size=2048
    )


@pytest.fixture
def signing(settings, pki, tmp_path):
    settings.DOCUMENTS_SIGNING_PKCS12 = str(pki.pkcs12)
    settings.DOCUMENTS_SIGNING_PASSPHRASE = pki.passphrase
    settings.DOCUMENTS_TRUST_ROOTS = [str(pki.root_cert)]
    settings.DOCUMENTS_TSA_URL = ""
    settings.DOCUMENTS_ISSUER_NAME = ISSUER
    settings.MEDIA_ROOT = tmp_path / "media"


def test_report_is_built_signed_and_stored(client, fx, signing, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(
            jurisdiction="371300", month=NOVEMBER, scope=Scope(("371300",)), actor=fx.regulator
        )
    report.refresh_from_db()
    assert (report.status, report.progress, report.version) == ("ready", 100, 1), report.error
    with report.file.open("rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == report.sha256
    assert len(data) == report.size
    check = signature_check(data)
    assert (check.present, check.intact, check.valid, check.trusted, check.whole_file) == (
        True,
        True,
        True,
        True,
        True,
    )
    assert shutil.which("pdftotext"), "pdftotext is needed: apt-get install poppler-utils"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    assert "371300" in text
    assert "临沂优品" in text  # the top merchant of the month
    assert "兰陵电器" in text
    assert "临沂市市场监督管理局" in text
    client.force_login(fx.regulator)
    response = client.get(reverse("supervision:report_pdf", args=[report.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    report.file.storage.delete(report.file.name)
    assert client.get(reverse("supervision:report_pdf", args=[report.pk])).status_code == 404


def test_without_a_key_the_report_fails_visibly(
    fx, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.DOCUMENTS_SIGNING_PKCS12 = ""
    settings.DOCUMENTS_SIGNING_KEY = ""
    settings.DOCUMENTS_SIGNING_CERT = ""
    settings.MEDIA_ROOT = tmp_path / "media"
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(jurisdiction="371300", month=NOVEMBER, scope=None)
    report.refresh_from_db()
    assert report.status == "failed"
    assert "SigningNotConfigured" in report.error
    assert not report.file


def test_schedule_makes_one_report_per_jurisdiction_once(fx):
    made = reports_schedule_month(month=NOVEMBER)
    assert sorted(r.jurisdiction for r in made) == ["350100", "371300", "371311"]
    assert reports_schedule_month(month=NOVEMBER) == []
    assert MonthlyReport.objects.count() == 3


def test_pages_show_progress_and_are_scoped(client, fx, monkeypatch):
    monkeypatch.setattr("supervision.services.reports._enqueue", lambda report_id: None)
    client.force_login(fx.regulator)
    response = client.post(
        reverse("supervision:reports"), {"month": "2026-11", "jurisdiction": "371300"}
    )
    report = MonthlyReport.objects.get()
    assert response.url == reverse("supervision:report", args=[report.pk])
    page = client.get(response.url).content.decode()
    assert "<progress" in page
    assert 'hx-trigger="every 1s"' in page
    partial = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert partial.startswith('<section class="card" id="report-status" data-status="queued"')
    assert client.get(reverse("supervision:report_pdf", args=[report.pk])).status_code == 404
    assert (
        client.post(
            reverse("supervision:reports"), {"month": "2026-13", "jurisdiction": "371300"}
        ).status_code
        == 400
    )
    # Another jurisdiction's report and request: refused.
    assert (
        client.post(
            reverse("supervision:reports"), {"month": "2026-11", "jurisdiction": "350100"}
        ).status_code
        == 403
    )
    client.force_login(fx.other_regulator)
    assert client.get(reverse("supervision:report", args=[report.pk])).status_code == 403
    assert client.get(reverse("supervision:report_pdf", args=[report.pk])).status_code == 403
    assert (
        "371300"
        not in client.get(reverse("supervision:reports")).content.decode().split("<table")[1]
    )


def test_verify_knows_a_monthly_report_and_catches_a_changed_byte(
    fx, signing, django_capture_on_commit_callbacks
):
    """/verify/ (documents) finds the report in supervision's register: valid, with its
    title; one changed byte inside the signed range is 'altered'."""
    from documents.services.verify import Verdict, verify_pdf

    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(
            jurisdiction="371300", month=NOVEMBER, scope=Scope(("371300",)), actor=fx.regulator
        )
    report.refresh_from_db()
    assert report.status == "ready", report.error
    with report.file.open("rb") as handle:
        data = handle.read()
    result = verify_pdf(data=data)
    assert result.verdict == Verdict.VALID, result.message
    assert result.details["kind"] == "monthly_report"
    assert result.details["number"] == "MR-371300-202611-v1"
    assert "371300" in result.details["title"]
    changed = bytearray(data)
    changed[len(data) // 3] ^= 0x01
    assert verify_pdf(data=bytes(changed)).verdict in (Verdict.ALTERED, Verdict.DAMAGED)
