"""Case events become notices: the right people, their language, their channels, written
with the event in its transaction, once."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.tests import factories as af
from cases.models import SYSTEM, CaseEvent
from cases.services.events import event_append
from cases.services.negotiation import offer_make, offer_reject
from cases.services.transitions import case_transition
from notifications.models import Notification, NotificationPreference
from notifications.services.recording import case_link, notifications_record_for_event
from notifications.tests.conftest import submit

pytestmark = pytest.mark.django_db

CHINA = ZoneInfo("Asia/Shanghai")
SMS, EMAIL, INAPP = "sms", "email", "inapp"


def rows(**filters) -> set[tuple[str, str, str]]:
    """(recipient's name, channel, kind) of the matching notices."""
    return {
        (n.recipient.display_name or n.recipient.username, n.channel, n.kind)
        for n in Notification.objects.filter(**filters).select_related("recipient")
    }


def _offer(world, case, actor=None, **extra):
    values = {
        "kind": "refund",
        "amount": 1299,
        "description": "全额退款，七日内到账。",
        "valid_until": timezone.localdate() + dt.timedelta(days=7),
    }
    values.update(extra)
    return offer_make(case=case, actor=actor or world.staff, **values)


def _review_case(world):
    """A complaint about a merchant not on the platform: straight to the regulator."""
    merchant = af.MerchantFactory(division_code="371302", odr_joined_on=None)
    return submit(world, merchant=merchant)


def test_a_complaint_to_an_odr_merchant_tells_the_consumer_and_every_staff_member(world):
    case = submit(world)
    kind = "deadline.started:negotiation_answer"
    assert rows(case=case) == {
        ("张三", INAPP, kind),
        ("张三", SMS, kind),
        ("张三", EMAIL, kind),
        ("优品客服", INAPP, kind),
        ("优品客服", SMS, kind),
        ("优品客服", EMAIL, kind),
        ("优品经理", INAPP, kind),
        ("优品经理", SMS, kind),  # no email address on file: no email
    }
    consumer_sms = Notification.objects.get(case=case, recipient=world.consumer, channel=SMS)
    assert consumer_sms.address == world.consumer.phone
    assert consumer_sms.status == Notification.Status.PENDING
    assert consumer_sms.body.startswith(f"【ODR 12315】您的投诉 {case.reference} 已收到")
    assert "商家应在" in consumer_sms.body and "年" in consumer_sms.body
    staff_sms = Notification.objects.get(case=case, recipient=world.staff, channel=SMS)
    assert staff_sms.body.startswith(f"【ODR 12315】贵单位收到新投诉 {case.reference}")
    # Nothing for the filing itself (the consumer's own act), and no regulator: no review.
    assert not Notification.objects.filter(case=case, event__kind="case.submitted").exists()
    assert not Notification.objects.filter(recipient=world.regulator).exists()
    # In-app notices are delivered by being written.
    inapp = Notification.objects.get(case=case, recipient=world.consumer, channel=INAPP)
    assert inapp.status == Notification.Status.DELIVERED and inapp.read_at is None


def test_a_complaint_for_review_tells_the_regulators_whose_jurisdiction_covers_it(world):
    case = _review_case(world)
    kind = "deadline.started:acceptance_decision"
    told = {n.recipient_id for n in Notification.objects.filter(case=case, kind=kind)}
    assert told == {world.consumer.pk, world.regulator.pk, world.province_regulator.pk}
    assert world.distant_regulator.pk not in told
    regulator = Notification.objects.get(recipient=world.regulator, channel=INAPP)
    assert regulator.subject == f"待决定是否受理：{case.reference}"
    # Regulators are staff without a mobile number: inbox and email only.
    assert {c for _, c, _ in rows(recipient=world.regulator)} == {INAPP, EMAIL}
    assert {c for _, c, _ in rows(recipient=world.province_regulator)} == {INAPP}


def test_an_offer_tells_the_other_side_only(world):
    case = submit(world)
    Notification.objects.all().delete()
    _offer(world, case)
    assert rows() == {
        ("张三", INAPP, "offer.made"),
        ("张三", SMS, "offer.made"),
        ("张三", EMAIL, "offer.made"),
    }
    sms = Notification.objects.get(channel=SMS)
    assert "提出和解方案：退款 1,299.00 元" in sms.body
    # The consumer's counter-offer tells the merchant's staff, not the consumer.
    Notification.objects.all().delete()
    _offer(world, case, actor=world.consumer, amount=1500, description="请全额退款并补偿运费。")
    assert {n.recipient_id for n in Notification.objects.all()} == {
        world.staff.pk,
        world.colleague.pk,
    }


def test_the_actor_is_never_told_of_their_own_act(world):
    case = submit(world)
    offer = _offer(world, case)
    Notification.objects.all().delete()
    offer_reject(offer=offer, actor=world.consumer, reason="金额不足")
    assert {n.recipient_id for n in Notification.objects.all()} == {
        world.staff.pk,
        world.colleague.pk,
    }
    body = Notification.objects.get(recipient=world.staff, channel=INAPP).body
    assert "理由：金额不足。" in body


def test_each_recipient_reads_their_own_language(world):
    world.consumer.language = "en"
    world.consumer.save(update_fields=["language"])
    case = submit(world)
    consumer = Notification.objects.get(recipient=world.consumer, channel=SMS)
    staff = Notification.objects.get(recipient=world.staff, channel=SMS)
    assert consumer.language == "en"
    assert consumer.body.startswith(f"[ODR 12315] Your complaint {case.reference} was received")
    assert staff.language == "zh-hans"
    assert staff.body.startswith("【ODR 12315】贵单位收到新投诉")
    email = Notification.objects.get(recipient=world.consumer, channel=EMAIL)
    assert "Choose how you are notified at https://odr.example.cn/notifications/preferences/" in (
        email.body
    )


def test_channel_preferences_decide_sms_and_email_but_the_inbox_always_gets_it(world):
    NotificationPreference.objects.create(user=world.consumer, sms=False, email=True)
    NotificationPreference.objects.create(user=world.staff, sms=True, email=False)
    submit(world)
    assert {c for _, c, _ in rows(recipient=world.consumer)} == {INAPP, EMAIL}
    assert {c for _, c, _ in rows(recipient=world.staff)} == {INAPP, SMS}


def test_acceptance_tells_the_parties_and_the_assigned_mediator_not_the_regulator(world):
    case = _review_case(world)
    Notification.objects.all().delete()
    case_transition(
        case=case, name="accept", actor=world.regulator, data={"mediator": str(world.mediator.pk)}
    )
    assert {(n.recipient_id, n.kind) for n in Notification.objects.filter(channel=INAPP)} == {
        (world.consumer.pk, "transition.accept"),
        # Who mediates, and until when the parties may ask for recusal (SAMR form 7).
        (world.consumer.pk, "deadline.started:recusal_window"),
        (world.mediator.pk, "deadline.started:mediation_limit"),
    }
    mediator = Notification.objects.get(recipient=world.mediator, channel=INAPP)
    assert mediator.subject == f"您被指派调解案件 {case.reference}"


def test_a_refusal_cites_its_legal_ground(world):
    case = _review_case(world)
    Notification.objects.all().delete()
    case_transition(
        case=case,
        name="reject",
        actor=world.regulator,
        data={"ground": "limitation", "reason": "超过三年。"},
    )
    # The SMS says why in plain words and what the consumer can still do, with the link;
    # the full text cites the rule.
    sms = Notification.objects.get(recipient=world.consumer, channel=SMS)
    assert sms.body == (
        f"【ODR 12315】您的投诉 {case.reference} 不予受理，原因：自知道权益受损之日起已超过三年。"
        "您仍可以申请仲裁或者向人民法院起诉。"
        f"详情：https://odr.example.cn/cases/{case.reference}/"
    )
    assert "第十六条" not in sms.body
    body = Notification.objects.get(recipient=world.consumer, channel=INAPP).body
    assert "超过三年" in body and "《市场监督管理投诉举报处理办法》第十六条第四项" in body


def test_the_end_of_mediation_says_why_in_plain_words_by_sms(world):
    case = _review_case(world)
    staff = af.merchant_staff(case.merchant, display_name="某店客服")
    case_transition(
        case=case, name="accept", actor=world.regulator, data={"mediator": str(world.mediator.pk)}
    )
    Notification.objects.all().delete()
    world.consumer.language = "en"
    world.consumer.save(update_fields=["language"])
    case_transition(
        case=case,
        name="terminate",
        actor=world.mediator,
        data={"ground": "absent_or_refused", "reason": "商家两次未到场。"},
    )
    consumer = Notification.objects.get(recipient=world.consumer, channel=SMS)
    assert consumer.body == (
        f"[ODR 12315] Mediation on case {case.reference} ended without agreement: a party did "
        "not take part or refused mediation. You may still apply for arbitration or go to "
        f"court. Details: https://odr.example.cn/cases/{case.reference}/"
    )
    staff = Notification.objects.get(recipient=staff, channel=SMS)
    assert staff.body == (
        f"【ODR 12315】案件 {case.reference} 的调解已终止，原因：一方无正当理由不参加调解，"
        "或者拒绝调解。如仍有争议，可以申请仲裁或者向人民法院起诉。"
        f"详情：https://odr.example.cn/cases/{case.reference}/"
    )
    assert "第二十三条" not in staff.body and "art. 23" not in consumer.body


def test_every_sms_of_a_case_names_it_and_links_to_its_page(world):
    case = _review_case(world)
    af.merchant_staff(case.merchant)
    case_transition(
        case=case, name="accept", actor=world.regulator, data={"mediator": str(world.mediator.pk)}
    )
    sms = list(Notification.objects.filter(case=case, channel=SMS))
    assert {(n.recipient_id, n.kind) for n in sms} >= {
        (world.consumer.pk, "deadline.started:acceptance_decision"),
        (world.consumer.pk, "transition.accept"),
    }
    assert len({n.recipient_id for n in sms}) >= 2
    for notice in sms:
        assert case.reference in notice.body.split("：http")[0], notice.body
        assert notice.body.endswith(f"https://odr.example.cn/cases/{case.reference}/"), notice.body


@pytest.mark.parametrize(
    ("notify", "documents", "base"),
    [
        ("https://odr.example.cn/", "https://docs.example.cn", "https://odr.example.cn"),
        ("", "https://docs.example.cn", "https://docs.example.cn"),
        ("", "", "http://127.0.0.1:8000"),
    ],
)
def test_the_sms_link_is_always_absolute(world, settings, notify, documents, base):
    settings.NOTIFY_PUBLIC_BASE_URL = notify
    settings.DOCUMENTS_PUBLIC_BASE_URL = documents
    case = submit(world)
    sms = Notification.objects.get(case=case, recipient=world.consumer, channel=SMS)
    assert sms.body.endswith(f"详情：{base}/cases/{case.reference}/")
    assert case_link(case, "arbitration") == f"{base}/arbitration/referrals/{case.reference}/"


def test_staff_only_events_reach_officers_only(world):
    case = _review_case(world)
    Notification.objects.all().delete()
    with transaction.atomic():
        event_append(
            case=case,
            kind="deadline.overdue",
            actor=SYSTEM,
            actor_role="system",
            payload={"clock": "performance", "due_on": "2026-12-01"},
            visibility=CaseEvent.Visibility.STAFF,
        )
    assert {n.recipient_id for n in Notification.objects.all()} == {
        world.regulator.pk,
        world.province_regulator.pk,
    }


def test_an_event_handled_twice_writes_its_notices_once(world):
    case = submit(world)
    event = case.events.get(kind="deadline.started")
    before = Notification.objects.count()
    with transaction.atomic():
        notifications_record_for_event(event)
        notifications_record_for_event(event)
    assert Notification.objects.count() == before


def test_notices_roll_back_with_their_event(world):
    case = submit(world)
    before = Notification.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        _offer(world, case)
        assert Notification.objects.count() > before  # written in the event's transaction
        raise RuntimeError("the request failed after the offer")
    assert Notification.objects.count() == before


def test_nothing_is_sent_before_the_commit(world, sms_outbox, django_capture_on_commit_callbacks):
    case = submit(world)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _offer(world, case)
    sms = Notification.objects.get(channel=SMS)
    assert sms.status == Notification.Status.PENDING and sms_outbox == []
    for callback in callbacks:
        callback()
    sms.refresh_from_db()
    assert sms.status == Notification.Status.SENT
    assert [m.to for m in sms_outbox] == [world.consumer.phone]
    assert sms_outbox[0].body == sms.body


def test_recording_one_event_costs_a_few_queries(world, django_assert_max_num_queries):
    case = submit(world)
    event = case.events.get(kind="deadline.started")
    Notification.objects.all().delete()
    event = CaseEvent.objects.select_related("case").get(pk=event.pk)
    # One query per audience (consumer, merchant staff) and one insert, plus the test's
    # own savepoint and its release.
    with django_assert_max_num_queries(5), transaction.atomic():
        notifications_record_for_event(event)
    assert Notification.objects.count() == 8


def test_quiet_hours_hold_sms_until_eight_in_the_morning(
    world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import tasks

    settings.NOTIFY_QUIET_HOURS_START = "22:00"
    settings.NOTIFY_QUIET_HOURS_END = "08:00"
    late = dt.datetime(2026, 11, 27, 23, 30, tzinfo=CHINA)
    morning = dt.datetime(2026, 11, 28, 8, 0, tzinfo=CHINA)
    monkeypatch.setattr(timezone, "now", lambda: late)
    queued = []
    monkeypatch.setattr(
        tasks.send_notification,
        "apply_async",
        lambda args, eta=None, **kw: queued.append(("eta", args[0], eta)),
    )
    monkeypatch.setattr(
        tasks.send_notification, "delay", lambda pk: queued.append(("now", pk, None))
    )
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(world)
    sms = Notification.objects.filter(case=case, channel=SMS)
    emails = Notification.objects.filter(case=case, channel=EMAIL)
    assert {n.not_before for n in sms} == {morning}
    assert {n.not_before for n in emails} == {None}
    # SMS are queued to run at 08:00; email goes at once.
    assert sorted(queued) == sorted(
        [("eta", n.pk, morning) for n in sms] + [("now", n.pk, None) for n in emails]
    )
