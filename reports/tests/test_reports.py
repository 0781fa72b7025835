"""Reports of suspected violations: filing (named and anonymous, pages and API), the
office's clock, its decision, telling the named reporter, who may see a report, a
finding reaching the credit file, the complaint-and-report submission, supervision."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests import factories as people
from cases.models import CaseEvent, ComplaintDraft
from cases.tests import factories as cf
from credit.models import CreditRecord, RecordKind
from odr import sms
from odr.calendar import CHINA_TZ
from odr.errors import Conflict, DomainError, NotAllowed
from reports.models import (
    Report,
    ReportDeadline,
    ReporterIdentity,
    ReportEvent,
    ReportNotice,
    State,
)
from reports.services import handling
from reports.services.clocks import report_deadlines_sweep
from reports.services.events import report_log_verify
from reports.tests import factories as rf
from reports.tests.factories import SECRET_ID, SECRET_NAME, SECRET_PHONE

pytestmark = pytest.mark.django_db
S = ReportDeadline.Status


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=CHINA_TZ)


@pytest.fixture
def c():
    return cf.cast()


@pytest.fixture(autouse=True)
def _outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


# --- Filing ------------------------------------------------------------------------------


def _form(**values) -> dict:
    body = {
        "who": "named",
        "name": SECRET_NAME,
        "phone": "13912345678",
        "id_number": SECRET_ID,
        "wants_notice": "on",
        "merchant_name": "临沂某网店",
        "merchant_division_code": "371302",
        "violation_kind": "false_advertising",
        "facts": "页面宣称进口，实为国产。",
    }
    body.update(values)
    return body


def test_the_form_says_an_anonymous_reporter_cannot_be_told():
    response = Client().get(reverse("reports:new"))
    assert response.status_code == 200
    assert "nobody can tell you what the office decides" in response.content.decode() or (
        "无法" in response.content.decode() or "不能" in response.content.decode()
    )


def test_a_signed_out_visitor_files_anonymously_on_the_page():
    client = Client()
    response = client.post(
        reverse("reports:new"), _form(who="anonymous", name="x", phone="13900000000")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get()
    assert report.reference.startswith("JB-")
    assert (report.anonymous, report.reporter, report.wants_notice) == (True, None, False)
    assert not ReporterIdentity.objects.exists()
    assert report.state == State.RECEIVED
    assert list(report.deadlines.values_list("clock", "status")) == [("report_decision", S.RUNNING)]
    page = client.get(response["Location"]).content.decode()
    assert report.reference in page and 'id="anonymous-outcome"' in page


def test_a_signed_in_consumer_files_under_their_name(c):
    client = Client()
    people.login(client, c.consumer)
    response = client.post(reverse("reports:new"), _form(merchant_uscc=c.merchant.uscc))
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.reporter == c.consumer and not report.anonymous and report.wants_notice
    assert report.merchant == c.merchant and report.division_code == c.merchant.division_code
    identity = report.identity
    assert (identity.name, identity.phone, identity.id_number) == (
        SECRET_NAME,
        SECRET_PHONE,
        SECRET_ID,
    )
    # The log holds no identity.
    assert SECRET_NAME not in json.dumps(
        [e.payload for e in report.events.all()], ensure_ascii=False
    )
    assert report_log_verify(report=report) == (True, None)
    assert client.get(reverse("reports:detail", args=[report.reference])).status_code == 200


def test_the_page_refuses_bad_input_next_to_the_field():
    response = Client().post(reverse("reports:new"), _form(phone="12", id_number="123", facts=""))
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_filing_by_the_api_named_and_anonymous(c):
    client = Client()
    body = {
        "anonymous": True,
        "merchant": c.merchant.uscc,
        "violation_kind": "unlicensed",
        "facts": "无照",
    }
    response = client.post(reverse("api-reports"), body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["anonymous"] is True
    token = people.login(Client(), c.consumer)  # noqa: F841 (a session is not needed)
    body = {
        "name": SECRET_NAME,
        "phone": SECRET_PHONE,
        "wants_notice": True,
        "merchant": c.merchant.uscc,
        "violation_kind": "counterfeit",
        "facts": "假货",
    }
    response = client.post(reverse("api-reports"), body, content_type="application/json")
    assert response.status_code == 201
    data = response.json()
    assert SECRET_NAME not in json.dumps(data, ensure_ascii=False)
    assert Report.objects.get(reference=data["reference"]).identity.phone == SECRET_PHONE
    bad = client.post(
        reverse("api-reports"), {"violation_kind": "x"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "error" in bad.json()
    missing = client.post(
        reverse("api-reports"),
        {"violation_kind": "counterfeit", "facts": "x", "merchant_division_code": "371302"},
        content_type="application/json",
    )
    assert missing.status_code == 400 and set(missing.json()["error"]["fields"]) >= {
        "merchant_name",
        "name",
        "phone",
    }


# --- The clock -----------------------------------------------------------------------------


def test_fifteen_working_days_across_the_national_day_and_the_extension(c):
    report = rf.named(c.merchant, now=at("2026-09-28"))
    deadline = report.deadlines.get(clock="report_decision")
    # 2026-10-01..07 off, 2026-10-10 a make-up working Saturday.
    assert deadline.due_on == dt.date(2026, 10, 23) and not deadline.provisional
    with pytest.raises(DomainError):
        handling.report_extend(report=report, actor=c.regulator, reason=" ", now=at("2026-10-20"))
    handling.report_extend(
        report=report, actor=c.regulator, reason="需要检验检测", now=at("2026-10-20")
    )
    rows = dict(report.deadlines.values_list("clock", "status"))
    assert rows == {"report_decision": S.CANCELLED, "report_decision_extended": S.RUNNING}
    extended = report.deadlines.get(clock="report_decision_extended")
    assert extended.due_on == dt.date(2026, 11, 13)
    with pytest.raises(Conflict):
        handling.report_extend(
            report=report, actor=c.regulator, reason="再延", now=at("2026-10-21")
        )
    handling.report_decide(
        report=report, actor=c.regulator, decision="open", reasons="立案", now=at("2026-11-10")
    )
    assert report.deadlines.get(clock="report_decision_extended").status == S.MET


def test_no_extension_once_the_time_has_run_out(c):
    report = rf.anonymous(c.merchant, now=at("2026-09-28"))
    with pytest.raises(Conflict):
        handling.report_extend(
            report=report, actor=c.regulator, reason="晚了", now=at("2026-10-26")
        )


def test_a_decision_after_the_limit_is_late_and_the_sweep_flags_it_once(c):
    report = rf.anonymous(c.merchant, now=at("2026-09-28"))
    swept = report_deadlines_sweep(now=at("2026-10-26"))
    assert swept.flagged == [report.reference]
    assert report_deadlines_sweep(now=at("2026-10-27")).flagged == []
    handling.report_decide(
        report=report,
        actor=c.regulator,
        decision="not_open",
        reasons="证据不足",
        now=at("2026-10-27"),
    )
    assert report.deadlines.get(clock="report_decision").status == S.LATE


def test_a_deadline_in_a_year_without_a_notice_is_provisional_and_not_acted_on(c):
    report = rf.anonymous(c.merchant, now=at("2026-12-24"))
    deadline = report.deadlines.get(clock="report_decision")
    assert deadline.provisional and deadline.latest_at >= deadline.due_at
    just_after = dt.datetime.combine(
        deadline.due_on + dt.timedelta(days=1), dt.time(9), tzinfo=CHINA_TZ
    )
    if just_after < deadline.latest_at:
        assert report_deadlines_sweep(now=just_after).waiting == [report.reference]


# --- The decision and the reporter --------------------------------------------------------


def test_the_named_reporter_who_asked_is_told_by_sms(c, django_capture_on_commit_callbacks):
    report = rf.named(c.merchant)
    handling.report_verify(report=report, actor=c.regulator)
    with django_capture_on_commit_callbacks(execute=True):
        handling.report_decide(
            report=report, actor=c.regulator, decision="open", reasons="有初步证据"
        )
    report.refresh_from_db()
    assert report.state == State.OPENED and report.decision_reasons == "有初步证据"
    assert report.deadlines.get(clock="report_decision").status == S.MET
    [message] = sms.outbox
    assert message.to == SECRET_PHONE
    assert report.reference in message.body and "立案" in message.body
    assert message.body.count("《市场监督管理投诉举报处理办法》") == 1  # the rule, cited once
    notice = ReportNotice.objects.get(report=report)
    assert notice.status == ReportNotice.Status.SENT
    assert report.deadlines.get(clock="reporter_notice").status == S.MET
    assert report.events.filter(kind="report.reporter_notified").count() == 1


def test_a_named_reporter_who_did_not_ask_and_an_anonymous_one_are_not_told(
    c, django_capture_on_commit_callbacks
):
    quiet = rf.named(c.merchant, wants_notice=False)
    anon = rf.anonymous(c.merchant)
    with django_capture_on_commit_callbacks(execute=True):
        handling.report_decide(report=quiet, actor=c.regulator, decision="not_open", reasons="轻微")
        handling.report_decide(report=anon, actor=c.regulator, decision="open", reasons="立案")
    assert sms.outbox == [] and not ReportNotice.objects.exists()
    assert not ReportDeadline.objects.filter(clock="reporter_notice").exists()
    assert Report.objects.get(pk=anon.pk).state == State.OPENED
    assert Report.objects.get(pk=quiet.pk).state == State.NOT_OPENED


def test_a_decision_is_taken_once_and_only_by_the_office(c):
    report = rf.anonymous(c.merchant)
    for outsider in (c.other_regulator, c.merchant_staff, c.consumer):
        with pytest.raises(NotAllowed):
            handling.report_decide(report=report, actor=outsider, decision="open", reasons="x")
    handling.report_decide(report=report, actor=c.regulator, decision="open", reasons="立案")
    with pytest.raises(Conflict):
        handling.report_decide(report=report, actor=c.regulator, decision="not_open", reasons="x")


def test_the_office_decides_on_its_page(c):
    report = rf.named(c.merchant)
    client = Client()
    people.login(client, c.regulator)
    page = client.get(reverse("reports:detail", args=[report.reference])).content.decode()
    assert SECRET_NAME in page  # the handling office reads who reported
    assert client.post(reverse("reports:verify", args=[report.reference])).status_code == 302
    refused = client.post(reverse("reports:decide", args=[report.reference]), {"decision": "open"})
    assert refused.status_code == 400
    done = client.post(
        reverse("reports:decide", args=[report.reference]),
        {"decision": "not_open", "reasons": "轻微"},
    )
    assert done.status_code == 302
    assert Report.objects.get(pk=report.pk).state == State.NOT_OPENED


def test_the_office_decides_by_the_api(c):
    report = rf.anonymous(c.merchant)
    client = Client()
    people.login(client, c.regulator)
    url = reverse("api-report-decision", args=[report.reference])
    response = client.post(
        url, {"decision": "open", "reasons": "立案"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["state"] == State.OPENED
    again = client.post(
        url, {"decision": "open", "reasons": "立案"}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"


# --- Who may see it ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_regulator", "merchant_staff", "other_consumer", "mediator"])
def test_outsiders_cannot_see_a_report(c, who):
    report = rf.named(c.merchant, reporter=c.consumer)
    client = Client()
    people.login(client, getattr(c, who))
    for path in (
        reverse("reports:detail", args=[report.reference]),
        reverse("api-report", args=[report.reference]),
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert SECRET_NAME not in response.content.decode()
    assert report.reference not in client.get(reverse("api-reports")).content.decode()


def test_signed_out_cannot_see_a_report(c):
    report = rf.named(c.merchant)
    response = Client().get(reverse("reports:detail", args=[report.reference]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Client().get(reverse("api-report", args=[report.reference])).status_code in (401, 403)


def test_the_reporter_sees_the_outcome_but_not_the_office_notes(c):
    report = rf.named(c.merchant, reporter=c.consumer)
    handling.report_decide(report=report, actor=c.regulator, decision="open", reasons="立案调查")
    client = Client()
    people.login(client, c.consumer)
    page = client.get(reverse("reports:detail", args=[report.reference])).content.decode()
    assert "立案调查" in page and 'id="office"' not in page
    data = client.get(reverse("api-report", args=[report.reference])).json()
    assert data["state"] == "opened" and "reporter_identity" not in data
    assert [r["reference"] for r in client.get(reverse("api-reports")).json()] == [report.reference]


# --- Credit ----------------------------------------------------------------------------------


def test_only_a_finding_of_a_violation_reaches_the_credit_file(c):
    report = rf.named(c.merchant)
    assert not CreditRecord.objects.filter(kind=RecordKind.VIOLATION_FOUND).exists()
    with pytest.raises(Conflict):  # not before a case is opened
        handling.report_record_finding(
            report=report, actor=c.regulator, finding="violation", summary="x"
        )
    handling.report_decide(report=report, actor=c.regulator, decision="open", reasons="立案")
    assert not CreditRecord.objects.filter(kind=RecordKind.VIOLATION_FOUND).exists()
    handling.report_record_finding(
        report=report, actor=c.regulator, finding="violation", summary="价格欺诈属实"
    )
    record = CreditRecord.objects.get(kind=RecordKind.VIOLATION_FOUND)
    assert (record.merchant, record.case, record.case_reference, record.consumer) == (
        c.merchant,
        None,
        report.reference,
        "",
    )
    dumped = json.dumps(
        [record.details, record.category, record.case_reference], ensure_ascii=False
    )
    assert SECRET_NAME not in dumped and SECRET_PHONE not in dumped
    other = rf.anonymous(c.merchant)
    handling.report_decide(report=other, actor=c.regulator, decision="open", reasons="立案")
    handling.report_record_finding(
        report=other, actor=c.regulator, finding="no_violation", summary="不属实"
    )
    not_opened = rf.anonymous(c.merchant)
    handling.report_decide(report=not_opened, actor=c.regulator, decision="not_open", reasons="否")
    assert CreditRecord.objects.filter(kind=RecordKind.VIOLATION_FOUND).count() == 1


# --- A complaint and a report in one submission -------------------------------------------


def test_the_wizard_files_a_complaint_and_a_linked_report(c):
    draft = ComplaintDraft.objects.create(
        consumer=c.consumer,
        data={
            "merchant": c.merchant.pk,
            "category": "goods.food",
            "purchase_date": (dt.date.today() - dt.timedelta(days=3)).isoformat(),
            "knew_of_harm_on": (dt.date.today() - dt.timedelta(days=3)).isoformat(),
            "facts": "网购的苹果收到时已经腐烂。",
            "request": "退款199元。",
            "complainant_name": "张三",
            "complainant_phone": "+8613800000001",
            "complainant_address": "山东省临沂市兰山区金雀山路1号",
        },
    )
    client = Client()
    people.login(client, c.consumer)
    url = reverse("cases:wizard", args=[draft.pk, "review"])
    assert "also_report" in client.get(url).content.decode()
    refused = client.post(url, {"also_report": "on", "violation_kind": "nope"})
    assert refused.status_code == 400 and not Report.objects.exists()
    response = client.post(
        url, {"also_report": "on", "violation_kind": "counterfeit", "report_notify": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    report = Report.objects.get()
    case = report.case
    assert case is not None and case.consumer == c.consumer
    assert report.reporter == c.consumer and report.wants_notice
    linked = case.events.get(kind="case.report_linked")
    assert linked.payload == {"report": report.reference}
    assert linked.visibility == CaseEvent.Visibility.STAFF
    assert report.events.filter(kind="report.case_linked", payload__case=case.reference).exists()
    # The merchant's case page does not say it was also reported.
    staff = Client()
    people.login(staff, c.merchant_staff)
    page = staff.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert report.reference not in page


def test_the_wizard_without_the_report_files_only_the_complaint(c):
    draft = ComplaintDraft.objects.create(
        consumer=c.consumer,
        data={
            "merchant": c.merchant.pk,
            "category": "goods.food",
            "knew_of_harm_on": dt.date.today().isoformat(),
            "facts": "坏了。",
            "request": "退款。",
            "complainant_name": "张三",
            "complainant_phone": "+8613800000001",
            "complainant_address": "临沂",
        },
    )
    client = Client()
    people.login(client, c.consumer)
    response = client.post(reverse("cases:wizard", args=[draft.pk, "review"]), {})
    assert response.status_code == 302 and not Report.objects.exists()


# --- Supervision ---------------------------------------------------------------------------


def test_reports_count_on_the_dashboard_per_merchant_and_kind(c):
    from supervision.selectors.dashboard import Filters
    from supervision.selectors.scope import Scope
    from supervision.selectors.violation_reports import report_tables

    rf.named(c.merchant)
    rf.anonymous(c.merchant)
    rf.anonymous(c.other_merchant, violation_kind="price_fraud")
    tables = report_tables(scope=Scope(jurisdictions=("371300",)), filters=Filters.default())
    by_merchant = {row[0]: row[1] for row in tables["reports_by_merchant"].rows}
    assert by_merchant[c.merchant.name] == 2
    by_kind = {row[1]: row[2] for row in tables["reports_by_kind"].rows}
    assert by_kind == {"price_fraud": 2, "counterfeit": 1}
    elsewhere = report_tables(scope=Scope(jurisdictions=("350100",)), filters=Filters.default())
    assert elsewhere["reports_by_merchant"].rows == []
    client = Client()
    people.login(client, c.regulator)
    page = client.get(reverse("supervision:dashboard")).content.decode()
    assert "reports_by_merchant" in page
    csv = client.get(reverse("supervision:dashboard_csv", args=["reports_by_kind"]))
    assert csv.status_code == 200


def test_a_surge_of_reports_against_a_merchant_raises_an_alert(c):
    from django.utils import timezone

    from supervision.models import Alert, AlertRule, RuleKind
    from supervision.services.detection import alerts_detect
    from supervision.services.rules import rules_seed_defaults

    rules_seed_defaults()
    AlertRule.objects.exclude(kind=RuleKind.REPORT_SURGE).update(enabled=False)
    now = timezone.now()
    refs = [rf.anonymous(c.merchant, now=now).reference for _ in range(4)]
    [alert] = alerts_detect(now=now)
    assert (
        alert.kind == RuleKind.REPORT_SURGE and alert.subject == f"reports:merchant:{c.merchant.pk}"
    )
    assert sorted(alert.evidence["reports"]) == sorted(refs)
    assert alerts_detect(now=now) == []
    assert Alert.objects.count() == 1


def test_events_are_chained(c):
    report = rf.named(c.merchant)
    handling.report_decide(report=report, actor=c.regulator, decision="open", reasons="立案")
    assert report_log_verify(report=report) == (True, None)
    first = ReportEvent.objects.filter(report=report).order_by("seq").first()
    ReportEvent.objects.filter(pk=first.pk).update(payload={"tampered": True})
    assert report_log_verify(report=report) == (False, 1)
