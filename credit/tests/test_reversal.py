"""A record whose deadline later moves is corrected by an appended reversal, never an edit.

The merchant answers on 22 February 2027: late while 2027 counts on the statute (due the
19th), in time once a (fictional) notice is imported that adds two days off (due the
22nd). The "answered late" record is marked and weighs nothing; a reversal points at it;
an "answered" record takes its place.
"""

import json
from pathlib import Path

import pytest
from django.db import transaction

from cases.models import CaseEvent
from cases.tests import factories as cf
from credit.models import CreditDaily, CreditRecord
from credit.selectors import merchant_figures
from credit.services.records import credit_records_for_event
from odr.calendar import calendar_import, seed_from_package, store_statutory_years

pytestmark = pytest.mark.django_db
LATER = cf.at(2027, 3, 1)  # the 12 months the figures count include February 2027

NOTICE = (
    Path(__file__).resolve().parents[2] / "odr" / "tests" / "data" / "fictional-notice-2027.json"
)


@pytest.fixture(autouse=True)
def _calendar():
    seed_from_package([2026])
    store_statutory_years([2027])


def _answered_on_the_22nd():
    c = cf.cast()
    when = cf.at(2027, 2, 1)
    with cf.frozen(when):
        case = cf.submit(consumer=c.consumer, merchant=c.merchant, now=when)
    with cf.frozen(cf.at(2027, 2, 22, 9)):
        cf.offer(case, c.actor("merchant_staff"))
    return c, case


def _kinds(case) -> list[tuple[str, bool]]:
    rows = CreditRecord.objects.filter(case=case).values_list("kind", "repaired_at")
    return sorted((kind, repaired is None) for kind, repaired in rows)


def test_an_answer_judged_late_is_reversed_and_counted_in_time_when_the_date_moves():
    c, case = _answered_on_the_22nd()
    late = CreditRecord.objects.get(case=case, kind="answered_late")
    before = CreditRecord.objects.filter(pk=late.pk).values().get()
    assert (
        merchant_figures(merchant_ids=[c.merchant.pk], median=False, now=LATER)[
            c.merchant.pk
        ].answered_late
        == 1
    )

    calendar_import(json.loads(NOTICE.read_text(encoding="utf-8")))

    assert _kinds(case) == [("answered", True), ("answered_late", False), ("reversal", True)]
    reversal = CreditRecord.objects.get(case=case, kind="reversal")
    assert reversal.repairs_id == late.pk
    assert reversal.details == {
        "clock": "negotiation_answer",
        "from": "2027-02-19",
        "to": "2027-02-22",
        "reversed_kind": "answered_late",
    }
    moved = CaseEvent.objects.get(case=case, kind="deadline.moved")
    assert reversal.source_event_id == moved.pk
    answered = CreditRecord.objects.get(case=case, kind="answered")
    assert (answered.occurred_at, answered.response_seconds) == (
        late.occurred_at,
        late.response_seconds,
    )
    # Nothing of the late record was edited but its mark.
    after = CreditRecord.objects.filter(pk=late.pk).values().get()
    assert after.pop("repaired_at") is not None and before.pop("repaired_at") is None
    assert after == before
    # It no longer counts; the correction does.
    figures = merchant_figures(merchant_ids=[c.merchant.pk], median=False, now=LATER)[c.merchant.pk]
    assert (figures.answered, figures.answered_late, figures.repaired) == (1, 0, 0)
    daily = CreditDaily.objects.get(merchant_id=c.merchant.pk, kind="answered_late")
    assert (daily.n, daily.repaired) == (1, 1)


def test_the_reversal_is_written_once():
    _c, case = _answered_on_the_22nd()
    calendar_import(json.loads(NOTICE.read_text(encoding="utf-8")))
    moved = CaseEvent.objects.get(case=case, kind="deadline.moved")
    count = CreditRecord.objects.filter(case=case).count()
    with transaction.atomic():
        credit_records_for_event(moved)
    assert CreditRecord.objects.filter(case=case).count() == count


def test_a_moved_deadline_whose_judgement_stands_writes_nothing():
    c = cf.cast()
    when = cf.at(2027, 2, 1)
    with cf.frozen(when):
        case = cf.submit(consumer=c.consumer, merchant=c.merchant, now=when)
    with cf.frozen(cf.at(2027, 2, 3, 9)):  # in time on either date
        cf.offer(case, c.actor("merchant_staff"))
    kinds = _kinds(case)
    calendar_import(json.loads(NOTICE.read_text(encoding="utf-8")))
    assert CaseEvent.objects.filter(case=case, kind="deadline.moved").exists()
    assert _kinds(case) == kinds


def test_other_clocks_moving_write_nothing():
    c = cf.cast()
    when = cf.at(2027, 2, 1)
    with cf.frozen(when):
        case = cf.submit(consumer=c.consumer, merchant=c.merchant, now=when)
    from cases.models import Case
    from cases.services.events import event_append

    kinds = _kinds(case)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        event_append(
            case=locked,
            kind="deadline.moved",
            actor_role="system",
            payload={
                "clock": "acceptance_decision",
                "from": "2027-02-19",
                "due_on": "2027-02-22",
                "status": "met",
                "status_before": "late",
                "expired_early": False,
            },
        )
    assert _kinds(case) == kinds
