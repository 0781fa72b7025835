"""The export: the cursor feed, JSON Lines, and the push through the outbox to a real local
HTTP server on 127.0.0.1."""

import datetime as dt
import hashlib
import hmac
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from accounts.tests import factories as af
from cases.tests import factories as cf
from credit import tasks
from credit.models import CreditOutbox, CreditRecord
from credit.selectors import cursor_encode, records_feed
from credit.services.export import idempotency_key, outbox_due, outbox_push
from credit.services.repair import repair_apply, repair_decide
from credit.tests import factories as f

pytestmark = pytest.mark.django_db

SECRETS = ("张三", "13800000001", "金雀山路", "JD20260101123456", "退款199元")


def _no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


# --- The feed ---------------------------------------------------------------------------


@pytest.fixture
def records():
    merchant = af.MerchantFactory()
    return [f.make_record(merchant, "complaint", days_ago=10 - n) for n in range(7)]


def _get(client, **params):
    return client.get("/api/v1/credit/records/", params)


@pytest.mark.parametrize("who", ["consumer", "merchant_staff", "mediator", "arbitration_staff"])
def test_the_feed_is_not_for_parties(client, who):
    c = cf.cast()
    af.login(client, c.actor(who))
    response = _get(client)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_allowed_feed"


def test_the_feed_needs_a_login(client):
    assert _get(client).status_code in (401, 403)


@pytest.mark.parametrize("who", ["regulator", "admin"])
def test_regulators_and_administrators_read_the_feed(client, records, who):
    af.login(client, getattr(cf.cast(), who))
    assert _get(client).status_code == 200


def test_a_system_account_with_the_permission_reads_the_feed(client, records):
    system = af.UserFactory(username="credit-system")
    system.user_permissions.add(Permission.objects.get(codename="export_creditrecord"))
    af.login(client, system)
    assert len(_get(client).json()["results"]) == 7


def test_the_feed_pages_with_a_cursor_in_a_stable_order(client, records):
    af.login(client, af.regulator())
    seen, cursor = [], ""
    for expected in (3, 3, 1):
        body = _get(client, cursor=cursor, limit=3).json()
        assert len(body["results"]) == expected
        seen += [r["id"] for r in body["results"]]
        cursor = body["next_cursor"]
    assert seen == [r.pk for r in records]
    empty = _get(client, cursor=cursor, limit=3).json()
    assert empty["results"] == [] and empty["next_cursor"] == cursor
    assert empty["has_more"] is False
    late = f.make_record(records[0].merchant, "resolved", days_ago=30)  # older, but new
    assert [r["id"] for r in _get(client, cursor=cursor).json()["results"]] == [late.pk]
    again = _get(client, cursor="", limit=100).json()
    assert [r["id"] for r in again["results"]] == [*seen, late.pk]


@pytest.mark.parametrize("cursor", ["nonsense", "djE6eDp5", cursor_encode(1, 2) + "!!", "%%%"])
def test_a_bad_cursor_is_400(client, cursor):
    af.login(client, af.regulator())
    response = _get(client, cursor=cursor)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_cursor"


@pytest.mark.parametrize("limit", ["0", "501", "-1", "x", ""])
def test_a_bad_limit_is_400(client, limit):
    af.login(client, af.regulator())
    assert _get(client, limit=limit).status_code == 400


def test_the_feed_is_de_identified(client):
    c = cf.cast()
    case = f.settled(c)
    f.step(case, c, "report_breach", "consumer")
    af.login(client, c.regulator)
    body = _get(client).json()
    assert {r["kind"] for r in body["results"]} == {"answered", "complaint", "resolved", "breach"}
    record = body["results"][0]
    assert record["consumer"] == "张**"
    assert record["merchant"]["uscc"] == c.merchant.uscc
    assert record["case"] == case.reference
    assert set(record) == {
        "id",
        "kind",
        "merchant",
        "case",
        "category",
        "consumer",
        "division_code",
        "occurred_at",
        "recorded_at",
        "details",
        "response_seconds",
        "repairs",
        "corrects",
        "public",
    }
    _no_secrets(json.dumps(body, ensure_ascii=False))


def test_a_repair_is_a_new_entry_in_the_feed_and_earlier_entries_do_not_change(client, settings):
    settings.CREDIT_REPAIR_WAITING_DAYS = 10
    c = cf.cast()
    breach = f.make_record(c.merchant, "breach", days_ago=20)
    before = records_feed(limit=10)[0]
    application = repair_apply(
        record=breach, actor=c.actor("merchant_staff"), statement="已全额退款并致歉，消费者确认。"
    )
    repair_decide(application=application, actor=c.actor("regulator"), approve=True, reason="核实")
    page, _ = records_feed(limit=10)
    assert [r.pk for r in page][: len(before)] == [r.pk for r in before]
    assert page[-1].kind == "repair" and page[-1].repairs_id == breach.pk


# --- JSON Lines -------------------------------------------------------------------------


def test_export_credit_records_writes_json_lines(tmp_path):
    c = cf.cast()
    case = f.settled(c)
    old = f.make_record(c.merchant, "breach", at=cf.at(2025, 1, 5))
    target = tmp_path / "records.jsonl"
    call_command(
        "export_credit_records",
        "--since",
        "2025-06-01",
        "--output",
        str(target),
        stderr=io.StringIO(),
    )
    lines = target.read_text(encoding="utf-8").splitlines()
    exported = [json.loads(line) for line in lines]
    assert {r["case"] for r in exported} == {case.reference}
    assert old.pk not in {r["id"] for r in exported}
    assert len(exported) == CreditRecord.objects.filter(case=case).count()
    _no_secrets(target.read_text(encoding="utf-8"))
    out = io.StringIO()
    call_command(
        "export_credit_records",
        "--since",
        "2025-01-01",
        "--until",
        "2025-01-06",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert [json.loads(line)["id"] for line in out.getvalue().splitlines()] == [old.pk]


def test_export_credit_records_refuses_a_bad_date():
    with pytest.raises(CommandError):
        call_command("export_credit_records", "--since", "yesterday", stderr=io.StringIO())


# --- The push ---------------------------------------------------------------------------


def _breach(c, django_capture_on_commit_callbacks) -> CreditRecord:
    case = f.settled(c)
    CreditOutbox.objects.all().delete()  # what settling pushed is not this test's concern
    with django_capture_on_commit_callbacks(execute=True):
        f.step(case, c, "report_breach", "consumer")
    return CreditRecord.objects.get(case=case, kind="breach")


def test_a_new_record_is_pushed_once_after_commit_signed(push, django_capture_on_commit_callbacks):
    c = cf.cast()
    case = f.settled(c)
    push.requests.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        f.step(case, c, "report_breach", "consumer")
    breach = CreditRecord.objects.get(case=case, kind="breach")
    outbox = CreditOutbox.objects.get(record=breach)  # written with the record...
    assert outbox.sent_at is None and push.requests == []  # ...sent only after commit
    for callback in callbacks:
        callback()
    assert len(push.requests) == 1
    sent = push.requests[0]
    assert sent["headers"]["idempotency-key"] == idempotency_key(breach.pk)
    timestamp = sent["headers"]["x-odr-timestamp"]
    expected = hmac.new(b"test-secret", timestamp.encode() + b"." + sent["body"], hashlib.sha256)
    assert sent["headers"]["x-odr-signature"] == "sha256=" + expected.hexdigest()
    body = json.loads(sent["body"])
    assert (body["id"], body["kind"], body["consumer"]) == (breach.pk, "breach", "张**")
    _no_secrets(sent["body"].decode())
    outbox.refresh_from_db()
    assert outbox.sent_at is not None and outbox.attempts == 1 and outbox.last_status == 200
    # The task run again (a redelivered message) sends nothing more.
    assert tasks.push_record.delay(outbox.pk).get() == "skipped"
    assert len(push.requests) == 1


def test_a_failed_push_is_retried_with_the_same_key(push, django_capture_on_commit_callbacks):
    push.statuses = [503]
    breach = _breach(cf.cast(), django_capture_on_commit_callbacks)
    outbox = CreditOutbox.objects.get(record=breach)
    assert (outbox.sent_at, outbox.attempts, outbox.last_status) == (None, 1, 503)
    assert outbox.next_attempt_at > timezone.now() + dt.timedelta(seconds=25)
    assert outbox_push(outbox_id=outbox.pk).code == "skipped"  # not due yet
    assert outbox_due() == []
    later = timezone.now() + dt.timedelta(seconds=31)
    with cf.frozen(later):
        assert outbox_due() == [outbox.pk]
        assert tasks.requeue_outbox.delay().get() == 1
    outbox.refresh_from_db()
    assert outbox.sent_at is not None and outbox.attempts == 2
    keys = [r["headers"]["idempotency-key"] for r in push.requests]
    assert keys == [idempotency_key(breach.pk)] * 2
    assert push.requests[0]["body"] == push.requests[1]["body"]


def test_an_unreachable_endpoint_is_retried(settings, django_capture_on_commit_callbacks):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.CREDIT_EXPORT_PUSH_URL = f"http://127.0.0.1:{port}/nothing-listens-here"
    settings.CREDIT_EXPORT_PUSH_TIMEOUT = 2.0
    breach = _breach(cf.cast(), django_capture_on_commit_callbacks)
    outbox = CreditOutbox.objects.get(record=breach)
    assert outbox.sent_at is None and outbox.gave_up_at is None
    assert outbox.last_status is None and outbox.last_error


def test_a_refused_push_is_not_retried(push, django_capture_on_commit_callbacks):
    push.statuses = [400]
    breach = _breach(cf.cast(), django_capture_on_commit_callbacks)
    outbox = CreditOutbox.objects.get(record=breach)
    assert outbox.gave_up_at is not None and outbox.sent_at is None
    assert outbox_push(outbox_id=outbox.pk).code == "skipped"
    assert len(push.requests) == 1


def test_the_receiver_already_having_it_counts_as_sent(push, django_capture_on_commit_callbacks):
    push.statuses = [409]
    breach = _breach(cf.cast(), django_capture_on_commit_callbacks)
    assert CreditOutbox.objects.get(record=breach).sent_at is not None


def test_giving_up_after_the_last_attempt(push, django_capture_on_commit_callbacks):
    push.statuses = [500, 500, 500]
    breach = _breach(cf.cast(), django_capture_on_commit_callbacks)
    outbox = CreditOutbox.objects.get(record=breach)
    for n in (2, 3):
        CreditOutbox.objects.filter(pk=outbox.pk).update(next_attempt_at=timezone.now())
        outbox_push(outbox_id=outbox.pk)
        outbox.refresh_from_db()
        assert outbox.attempts == n
    assert outbox.gave_up_at is not None and len(push.requests) == 3


def test_a_rolled_back_transition_leaves_no_outbox_row(push):
    c = cf.cast()
    case = f.settled(c)
    rows = CreditOutbox.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        f.step(case, c, "report_breach", "consumer")
        assert CreditOutbox.objects.count() == rows + 1
        raise RuntimeError
    assert CreditOutbox.objects.count() == rows


def test_no_push_configured_means_no_outbox(settings, django_capture_on_commit_callbacks):
    settings.CREDIT_EXPORT_PUSH_URL = ""
    c = cf.cast()
    with django_capture_on_commit_callbacks(execute=True):
        f.settled(c)
    assert CreditRecord.objects.exists() and not CreditOutbox.objects.exists()


def test_a_repair_is_pushed_too(push, settings, django_capture_on_commit_callbacks):
    settings.CREDIT_REPAIR_WAITING_DAYS = 10
    c = cf.cast()
    breach = f.make_record(c.merchant, "breach", days_ago=20)
    application = repair_apply(
        record=breach, actor=c.actor("merchant_staff"), statement="已全额退款并致歉，消费者确认。"
    )
    with django_capture_on_commit_callbacks(execute=True):
        repair_decide(
            application=application, actor=c.actor("regulator"), approve=True, reason="核实"
        )
    [sent] = push.requests
    body = json.loads(sent["body"])
    assert body["kind"] == "repair" and body["repairs"] == breach.pk


def test_a_broker_that_is_down_fails_neither_the_transition_nor_the_push(
    push, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    """Queueing after commit never raises; the sweep sends what could not be queued."""
    c = cf.cast()
    case = f.settled(c)
    CreditOutbox.objects.all().delete()  # what settling pushed is not this test's concern
    push.requests.clear()

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.push_record, "delay", broker_down)
    monkeypatch.setattr(tasks.recompute_merchant, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        f.step(case, c, "report_breach", "consumer")  # raises if an after-commit handler did
    assert len(callbacks) >= 2  # credit's and those queued behind it all ran
    breach = CreditRecord.objects.get(case=case, kind="breach")
    outbox = CreditOutbox.objects.get(record=breach)
    assert (outbox.sent_at, outbox.attempts, push.requests) == (None, 0, [])
    assert f"credit.push_record({outbox.pk}) failed or was not queued" in caplog.text
    monkeypatch.undo()
    assert outbox_due() == [outbox.pk]
    assert tasks.requeue_outbox.delay().get() == 1
    outbox.refresh_from_db()
    assert outbox.sent_at is not None and outbox.attempts == 1
    assert [json.loads(r["body"])["id"] for r in push.requests] == [breach.pk]
