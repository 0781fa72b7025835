"""Credit repair: apply after the waiting period; a regulator of the merchant's jurisdiction
decides with a reason; a repaired record stays, marked, and stops counting."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests import factories as af
from cases.tests import factories as cf
from credit import tasks
from credit.models import CreditRecord, RepairApplication
from credit.selectors import merchant_figures, merchant_index
from credit.services.repair import repair_apply, repair_decide, repair_eligibility
from credit.services.rollup import credit_rollup_differences
from credit.tests import factories as f
from odr.errors import Conflict, DomainError, NotAllowed

pytestmark = pytest.mark.django_db

STATEMENT = "已于2026年3月全额退款并补偿运费，消费者已确认收到。"


@pytest.fixture
def c() -> cf.Cast:
    return cf.cast()


@pytest.fixture
def breach(c, settings):
    settings.CREDIT_REPAIR_WAITING_DAYS = 90
    return f.make_record(c.merchant, "breach", days_ago=100)


def _apply_url(record) -> str:
    return f"/credit/merchants/{record.merchant.uscc}/records/{record.pk}/repair/"


def test_the_full_path_through_the_pages(client, c, breach):
    assert merchant_index(merchant=c.merchant).score < 100
    af.login(client, c.merchant_staff)
    page = client.get(f"/credit/merchants/{c.merchant.uscc}/")
    assert f'action="{_apply_url(breach)}"' in page.text
    response = client.post(_apply_url(breach), {"statement": STATEMENT})
    assert response.status_code == 302
    application = RepairApplication.objects.get()
    assert (application.status, application.applied_by) == ("pending", c.merchant_staff)

    af.login(client, c.regulator)
    queue = client.get("/credit/repairs/")
    assert STATEMENT in queue.text
    response = client.post(
        f"/credit/repairs/{application.pk}/decide/",
        {"decision": "approve", "reason": "经核实已履行"},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.decided_by, application.decision_reason) == (
        "approved",
        c.regulator,
        "经核实已履行",
    )
    breach.refresh_from_db()
    assert breach.repaired_at is not None  # stays in the history, marked
    repair = CreditRecord.objects.get(kind="repair")
    assert repair.repairs_id == breach.pk and repair.merchant_id == c.merchant.pk
    assert repair.details == {"repaired_kind": "breach", "application": application.pk}
    index = merchant_index(merchant=c.merchant)
    assert index.score == 100.0  # and it stops counting
    figures = merchant_figures(merchant_ids=[c.merchant.pk])[c.merchant.pk]
    assert (figures.breaches, figures.breaches_repaired, figures.breaches_unrepaired) == (1, 1, 0)
    text = client.get(f"/credit/merchants/{c.merchant.uscc}/").text
    assert "data-repaired" in text
    assert credit_rollup_differences() == []


def test_not_before_the_waiting_period(c, settings):
    settings.CREDIT_REPAIR_WAITING_DAYS = 90
    recent = f.make_record(c.merchant, "breach", days_ago=30)
    eligibility = repair_eligibility(record=recent)
    assert not eligibility.eligible
    assert eligibility.from_date == timezone.localdate(recent.occurred_at + dt.timedelta(days=90))
    with pytest.raises(Conflict) as refused:
        repair_apply(record=recent, actor=c.actor("merchant_staff"), statement=STATEMENT)
    assert refused.value.code == "not_eligible"


def test_a_new_negative_record_restarts_the_wait(c, breach):
    assert repair_eligibility(record=breach).eligible
    f.make_record(c.merchant, "answer_missed", days_ago=10)
    assert not repair_eligibility(record=breach).eligible


def test_a_positive_record_does_not_restart_the_wait(c, breach):
    f.make_record(c.merchant, "resolved", days_ago=1)
    f.make_record(c.merchant, "performed_on_time", days_ago=1)
    assert repair_eligibility(record=breach).eligible


def test_only_breaches_late_performance_and_awards_can_be_repaired(c):
    record = f.make_record(c.merchant, "refusal_or_absence", days_ago=400)
    assert not repair_eligibility(record=record).eligible
    with pytest.raises(Conflict):
        repair_apply(record=record, actor=c.actor("merchant_staff"), statement=STATEMENT)


def test_the_page_says_when_the_merchant_may_apply(client, c, settings):
    settings.CREDIT_REPAIR_WAITING_DAYS = 90
    recent = f.make_record(c.merchant, "breach", days_ago=30)
    af.login(client, c.merchant_staff)
    text = client.get(f"/credit/merchants/{c.merchant.uscc}/").text
    assert "data-repair-wait" in text
    assert f'action="{_apply_url(recent)}"' not in text
    response = client.post(_apply_url(recent), {"statement": STATEMENT})
    assert response.status_code == 409
    assert not RepairApplication.objects.exists()


def test_staff_of_another_merchant_may_not_apply(client, c, breach):
    af.login(client, c.other_merchant_staff)
    assert client.post(_apply_url(breach), {"statement": STATEMENT}).status_code == 403
    with pytest.raises(NotAllowed):
        repair_apply(record=breach, actor=c.actor("other_merchant_staff"), statement=STATEMENT)
    assert not RepairApplication.objects.exists()


@pytest.mark.parametrize("who", ["consumer", "regulator", "mediator"])
def test_only_the_merchant_applies(client, c, breach, who):
    af.login(client, c.actor(who))
    assert client.post(_apply_url(breach), {"statement": STATEMENT}).status_code == 403
    assert not RepairApplication.objects.exists()


def test_an_application_needs_a_statement_shown_next_to_the_field(client, c, breach):
    af.login(client, c.merchant_staff)
    response = client.post(_apply_url(breach), {"statement": "退了"})
    assert response.status_code == 400
    assert f'id="repair-{breach.pk}-statement-error"' in response.text
    assert not RepairApplication.objects.exists()


def test_one_open_application_per_record(c, breach):
    repair_apply(record=breach, actor=c.actor("merchant_staff"), statement=STATEMENT)
    with pytest.raises(Conflict):
        repair_apply(record=breach, actor=c.actor("merchant_staff"), statement=STATEMENT)


@pytest.fixture
def application(c, breach):
    return repair_apply(record=breach, actor=c.actor("merchant_staff"), statement=STATEMENT)


def test_a_regulator_of_another_jurisdiction_may_not_decide(client, c, application):
    af.login(client, c.other_regulator)
    assert f"application-{application.pk}" not in client.get("/credit/repairs/").text
    response = client.post(
        f"/credit/repairs/{application.pk}/decide/", {"decision": "approve", "reason": "同意"}
    )
    assert response.status_code == 403
    with pytest.raises(NotAllowed):
        repair_decide(
            application=application, actor=c.actor("other_regulator"), approve=True, reason="同意"
        )
    application.refresh_from_db()
    assert application.status == "pending"
    assert CreditRecord.objects.get(pk=application.record_id).repaired_at is None


@pytest.mark.parametrize("who", ["merchant_staff", "consumer", "mediator", "admin"])
def test_a_non_regulator_may_not_decide(client, c, application, who):
    af.login(client, c.actor(who))
    assert client.get("/credit/repairs/").status_code == 403
    response = client.post(
        f"/credit/repairs/{application.pk}/decide/", {"decision": "approve", "reason": "同意"}
    )
    assert response.status_code == 403
    with pytest.raises(NotAllowed):
        repair_decide(application=application, actor=c.actor(who), approve=True, reason="同意")
    application.refresh_from_db()
    assert application.status == "pending"
    assert not CreditRecord.objects.filter(kind="repair").exists()


def test_a_provincial_regulator_covers_the_merchant(c, application):
    province = af.regulator("370000")
    decided = repair_decide(
        application=application, actor=province, approve=False, reason="证据不足"
    )
    assert decided.status == "refused"


def test_refusal_with_a_reason_leaves_the_record_counting(client, c, application):
    af.login(client, c.regulator)
    response = client.post(
        f"/credit/repairs/{application.pk}/decide/",
        {"decision": "refuse", "reason": "消费者称未收到退款"},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.decision_reason) == ("refused", "消费者称未收到退款")
    assert CreditRecord.objects.get(pk=application.record_id).repaired_at is None
    assert not CreditRecord.objects.filter(kind="repair").exists()
    assert merchant_index(merchant=c.merchant).score < 100
    # The merchant may apply again.
    again = repair_apply(
        record=application.record, actor=c.actor("merchant_staff"), statement=STATEMENT
    )
    assert again.status == "pending"


def test_a_decision_needs_a_reason_next_to_the_field(client, c, application):
    af.login(client, c.regulator)
    response = client.post(f"/credit/repairs/{application.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 400
    assert f'id="decide-{application.pk}-reason-error"' in response.text
    with pytest.raises(DomainError):
        repair_decide(application=application, actor=c.actor("regulator"), approve=True, reason=" ")
    application.refresh_from_db()
    assert application.status == "pending"


def test_a_decision_is_taken_once(c, application):
    repair_decide(application=application, actor=c.actor("regulator"), approve=True, reason="同意")
    with pytest.raises(Conflict):
        repair_decide(
            application=application, actor=c.actor("regulator"), approve=False, reason="改主意"
        )
    assert CreditRecord.objects.filter(kind="repair").count() == 1


def test_an_unknown_application_is_404(client, c):
    af.login(client, c.regulator)
    assert client.post("/credit/repairs/999/decide/", {"decision": "approve"}).status_code == 404


def test_the_repair_mark_is_the_only_change_postgres_allows(on_postgres, c, breach):
    from django.db import connection, transaction
    from django.db.utils import DatabaseError

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE credit_creditrecord SET kind = 'resolved' WHERE id = %s", [breach.pk]
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM credit_creditrecord WHERE id = %s", [breach.pk])
    now = timezone.now()
    CreditRecord.objects.filter(pk=breach.pk).update(repaired_at=now)
    with pytest.raises(DatabaseError), transaction.atomic():
        CreditRecord.objects.filter(pk=breach.pk).update(repaired_at=None)


def test_the_merchant_sees_the_decision_and_its_reason_and_nobody_else_does(client, c, application):
    repair_decide(
        application=application, actor=c.actor("regulator"), approve=False, reason="未见退款凭证"
    )
    page = f"/credit/merchants/{c.merchant.uscc}/"
    af.login(client, c.merchant_staff)
    text = client.get(page).text
    assert 'data-repair-application="refused"' in text
    assert "未见退款凭证" in text
    for who in (c.other_merchant_staff, c.consumer, None):
        client.logout()
        if who is not None:
            af.login(client, who)
        text = client.get(page).text
        assert "未见退款凭证" not in text and "data-repair-application" not in text


def test_a_broker_that_is_down_does_not_fail_the_approval(
    client, c, application, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.recompute_merchant, "delay", broker_down)
    af.login(client, c.regulator)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            f"/credit/repairs/{application.pk}/decide/",
            {"decision": "approve", "reason": "已核实"},
        )
    assert response.status_code == 302
    assert len(callbacks) == 1  # it ran, and did not raise
    assert CreditRecord.objects.get(pk=application.record_id).repaired_at is not None
    assert CreditRecord.objects.filter(kind="repair", repairs=application.record_id).count() == 1
