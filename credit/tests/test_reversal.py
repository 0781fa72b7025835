"""A record whose deadline later moves is corrected by an appended reversal, never an edit.

Two ways in. Through the calendar: the merchant answers on 22 February 2027, late while
2027 counts on the statute (due the 19th), in time once a (fictional) notice is imported
that adds two days off (due the 22nd). And through the event itself, appended as
cases/services/clocks.py appends it (under the case's row lock, in its transaction), on
cases answered, answered late or escalated in October 2026: late to met, met to late, an
escalation before the new date, a second move that gives back what the first took away,
and the moves that must write nothing.
"""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.db import transaction

from cases.models import Case, CaseEvent
from cases.services import negotiation
from cases.services.clocks import deadlines_sweep
from cases.services.events import event_append
from cases.services.merchants import case_link_merchant
from cases.tests import factories as cf
from credit.index import decay
from credit.models import CreditDaily, CreditOutbox, CreditRecord, MerchantCreditIndex
from credit.selectors import merchant_figures, merchant_summary, record_export, records_feed
from credit.services.recompute import credit_index_recompute
from credit.services.records import credit_records_for_event
from credit.services.rollup import credit_rollup_differences
from odr import events as registry
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


@pytest.fixture(autouse=True)
def _rollup_in_step():
    """After every test here, the per-day rollup says exactly what the records say."""
    yield
    assert credit_rollup_differences() == []


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


# --- The event itself, appended as cases appends it --------------------------------------
#
# A case filed on 28 September 2026: the answer clock is due at the end of 16 October
# (National Day in between). The moves below say what clocks.py would say of that clock.

FILED = cf.at(2026, 9, 28)
IN_TIME = cf.at(2026, 10, 16, 9)
LATE = cf.at(2026, 10, 17, 0, 2)
SWEPT = cf.at(2026, 10, 17, 0, 5)
MOVED = cf.at(2026, 10, 26, 9)
AGAIN = cf.at(2026, 10, 28, 9)
NOW = cf.at(2026, 11, 2, 12)  # 16 days after the 17th, 17 after the 16th


def _case(*, answer_at: dt.datetime | None = None, sweep_at: dt.datetime | None = None):
    c = cf.cast()
    with cf.frozen(FILED):  # the consumer agreed to publication: the public page shows it
        case = cf.submit(consumer=c.consumer, merchant=c.merchant, agrees_to_publication=True)
    if answer_at is not None:
        with cf.frozen(answer_at):
            negotiation.message_post(case=case, actor=c.actor("merchant_staff"), body="抱歉")
    if sweep_at is not None:
        with cf.frozen(sweep_at):
            assert deadlines_sweep(now=sweep_at).escalated == [case.reference]
    return c, case


def _move(
    case: Case,
    *,
    status: str,
    before: str,
    from_: str = "2026-10-16",
    due_on: str = "2026-10-19",
    expired_early: bool = False,
    clock: str = "negotiation_answer",
    at: dt.datetime = MOVED,
) -> CaseEvent:
    """Append deadline.moved as cases/services/clocks.py does: the case row locked."""
    with cf.frozen(at), transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        return event_append(
            case=locked,
            kind="deadline.moved",
            actor_role="system",
            payload={
                "clock": clock,
                "from": from_,
                "due_on": due_on,
                "provisional": False,
                "status": status,
                "status_before": before,
                "expired_early": expired_early,
            },
        )


def _rows(case) -> dict[int, dict]:
    return {row["id"]: row for row in CreditRecord.objects.filter(case=case).values()}


def _summary(c):
    return merchant_summary(merchant_id=c.merchant.pk, now=NOW)


def _answers(figures) -> tuple[int, int, int]:
    return (figures.answered, figures.answered_late, figures.answer_missed)


def _record_item(page: str, pk: int) -> str:
    start = page.index(f'<li id="record-{pk}"')
    return page[start : page.index("</li>", start)]


def test_a_late_answer_in_time_on_the_new_date_is_reversed_and_counted_in_time():
    c, case = _case(answer_at=LATE)
    late = CreditRecord.objects.get(case=case, kind="answered_late")
    before = _rows(case)
    figures, index = _summary(c)
    assert _answers(figures) == (0, 1, 0)
    assert index.score == round(100 - 2 * decay(16), 1) < 100

    moved = _move(case, status="met", before="late")

    assert _kinds(case) == [("answered", True), ("answered_late", False), ("reversal", True)]
    reversal = CreditRecord.objects.get(case=case, kind="reversal")
    assert (reversal.repairs_id, reversal.corrects_id) == (late.pk, None)
    assert reversal.source_event_id == moved.pk
    assert reversal.occurred_at == moved.created_at
    assert reversal.details == {
        "clock": "negotiation_answer",
        "from": "2026-10-16",
        "to": "2026-10-19",
        "reversed_kind": "answered_late",
    }
    answered = CreditRecord.objects.get(case=case, kind="answered")
    assert (answered.corrects_id, answered.repairs_id) == (late.pk, None)
    assert answered.source_event_id == moved.pk
    assert (answered.occurred_at, answered.occurred_day, answered.response_seconds) == (
        late.occurred_at,
        late.occurred_day,
        late.response_seconds,
    )
    assert answered.details == {
        "clock": "negotiation_answer",
        "from": "2026-10-16",
        "to": "2026-10-19",
        "within_deadline": True,
    }
    # Nothing was edited: the late record has its mark and nothing else changed; every
    # other record of the case is as it was.
    after = _rows(case)
    assert after[late.pk].pop("repaired_at") == MOVED
    assert before[late.pk].pop("repaired_at") is None
    assert {pk: after[pk] for pk in before} == before
    # The late answer no longer counts anywhere; the answer in time does, once.
    figures, index = _summary(c)
    assert _answers(figures) == (1, 0, 0)
    assert figures.repaired == 0  # a reversed record is not a repaired one
    assert figures.median_first_answer_hours == round(late.response_seconds / 3600, 1)
    assert (index.score, index.grade) == (100.0, "A")
    assert index.components[1].weighted["answered_late"] == 0.0
    assert merchant_figures(merchant_ids=[c.merchant.pk], now=NOW)[c.merchant.pk] == figures
    credit_index_recompute(merchant_id=c.merchant.pk, now=NOW)
    snapshot = MerchantCreditIndex.objects.get(merchant=c.merchant)
    assert (float(snapshot.score), snapshot.grade) == (100.0, "A")
    daily = {
        row.kind: (row.n, row.repaired)
        for row in CreditDaily.objects.filter(merchant=c.merchant, day=late.occurred_day)
    }
    assert (daily["answered_late"], daily["answered"]) == ((1, 1), (1, 0))


def test_the_public_page_the_api_and_the_feed_show_the_correction(
    client, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from credit import tasks

    c, case = _case(answer_at=LATE)
    late = CreditRecord.objects.select_related("merchant").get(case=case, kind="answered_late")
    entry = record_export(late)
    settings.CREDIT_EXPORT_PUSH_URL = "http://127.0.0.1:9/credit-records"
    queued = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: queued.append((task, args)))
    with django_capture_on_commit_callbacks(execute=True):
        _move(case, status="met", before="late")
    reversal = CreditRecord.objects.get(case=case, kind="reversal")
    answered = CreditRecord.objects.get(case=case, kind="answered")

    with cf.frozen(NOW):
        page = client.get(f"/credit/merchants/{c.merchant.uscc}/").text
        body = client.get(f"/api/v1/credit/merchants/{c.merchant.uscc}/").json()
    assert re.search(r'data-figure="answers">\s*1 / 0 / 0\s*<', page)
    assert "data-reversed" in _record_item(page, late.pk)
    assert "record-reversed" in _record_item(page, late.pk)
    assert "data-repaired" not in page  # nothing was repaired
    assert body["figures"]["answers"] == {"in_time": 1, "late": 0, "missed": 0}
    assert body["figures"]["records_repaired"] == 0
    assert (body["index"]["score"], body["index"]["grade"]) == (100.0, "A")
    records = {r["id"]: r for r in body["records"]}
    assert records[late.pk]["reversed"] is True
    assert records[late.pk]["counts_in_index"] is False
    assert (records[reversal.pk]["repairs"], records[reversal.pk]["reversed"]) == (late.pk, False)
    assert (records[answered.pk]["corrects"], records[answered.pk]["reversed"]) == (late.pk, False)

    # The feed: the entry read before the move is still true; the two new ones follow it.
    feed, _cursor = records_feed(limit=500)
    entries = {r.pk: record_export(r) for r in feed if r.case_id == case.pk}
    assert entries[late.pk] == entry
    assert (entries[reversal.pk]["kind"], entries[reversal.pk]["repairs"]) == ("reversal", late.pk)
    assert (entries[answered.pk]["kind"], entries[answered.pk]["corrects"]) == (
        "answered",
        late.pk,
    )
    # The push: both new records, queued after the commit with the index refresh.
    outbox = dict(CreditOutbox.objects.filter(record__case=case).values_list("record_id", "id"))
    assert set(outbox) == {reversal.pk, answered.pk}
    assert sorted(queued, key=repr) == sorted(
        [
            (tasks.push_record, (outbox[reversal.pk],)),
            (tasks.push_record, (outbox[answered.pk],)),
            (tasks.recompute_merchant, (c.merchant.pk,)),
        ],
        key=repr,
    )


def test_an_answer_in_time_that_is_late_on_the_new_date_is_reversed_and_counted_late():
    c, case = _case(answer_at=IN_TIME)
    answered = CreditRecord.objects.get(case=case, kind="answered")
    assert _summary(c)[1].score == 100.0

    _move(case, status="late", before="met", due_on="2026-10-15")

    assert _kinds(case) == [("answered", False), ("answered_late", True), ("reversal", True)]
    late = CreditRecord.objects.get(case=case, kind="answered_late")
    assert late.corrects_id == answered.pk
    assert late.details["within_deadline"] is False
    assert CreditRecord.objects.get(case=case, kind="reversal").repairs_id == answered.pk
    figures, index = _summary(c)
    assert _answers(figures) == (0, 1, 0)
    assert index.score == round(100 - 2 * decay(17), 1)


def test_an_escalation_before_the_new_due_date_is_reversed_and_nothing_takes_its_place():
    c, case = _case(sweep_at=SWEPT)
    missed = CreditRecord.objects.get(case=case, kind="answer_missed")
    figures, index = _summary(c)
    assert _answers(figures) == (0, 0, 1)
    assert index.score == round(100 - 4 * decay(16), 1)

    _move(case, status="expired", before="expired", expired_early=True)

    assert _kinds(case) == [("answer_missed", False), ("reversal", True)]
    reversal = CreditRecord.objects.get(case=case, kind="reversal")
    assert reversal.repairs_id == missed.pk
    assert reversal.details["reversed_kind"] == "answer_missed"
    figures, index = _summary(c)
    assert _answers(figures) == (0, 0, 0)
    assert index.score == 100.0


def test_a_second_move_that_gives_the_miss_back_reverses_the_reversal():
    c, case = _case(sweep_at=SWEPT)
    missed = CreditRecord.objects.get(case=case, kind="answer_missed")
    _move(case, status="expired", before="expired", expired_early=True)
    first = CreditRecord.objects.get(case=case, kind="reversal")

    # The notice is corrected: the date goes back to the 16th, and the escalation was due.
    moved = _move(
        case,
        status="expired",
        before="expired",
        from_="2026-10-19",
        due_on="2026-10-16",
        expired_early=False,
        at=AGAIN,
    )

    second = CreditRecord.objects.get(case=case, kind="reversal", source_event=moved)
    assert second.repairs_id == first.pk
    assert second.details["reversed_kind"] == "reversal"
    first.refresh_from_db()
    assert first.repaired_at == AGAIN
    again = CreditRecord.objects.get(case=case, kind="answer_missed", repaired_at__isnull=True)
    assert again.corrects_id == missed.pk
    assert (again.occurred_at, again.occurred_day) == (missed.occurred_at, missed.occurred_day)
    figures, index = _summary(c)
    assert _answers(figures) == (0, 0, 1)
    assert index.score == round(100 - 4 * decay(16), 1)


def test_a_deadline_that_moves_twice_is_corrected_twice():
    c, case = _case(answer_at=LATE)
    late = CreditRecord.objects.get(case=case, kind="answered_late")
    _move(case, status="met", before="late")
    answered = CreditRecord.objects.get(case=case, kind="answered")

    moved = _move(
        case, status="late", before="met", from_="2026-10-19", due_on="2026-10-16", at=AGAIN
    )

    assert _kinds(case) == [
        ("answered", False),
        ("answered_late", False),
        ("answered_late", True),
        ("reversal", True),
        ("reversal", True),
    ]
    assert CreditRecord.objects.get(source_event=moved, kind="reversal").repairs_id == answered.pk
    counting = CreditRecord.objects.get(case=case, kind="answered_late", repaired_at__isnull=True)
    assert counting.corrects_id == answered.pk
    assert (counting.occurred_at, counting.response_seconds) == (
        late.occurred_at,
        late.response_seconds,
    )
    figures, index = _summary(c)
    assert _answers(figures) == (0, 1, 0)
    assert figures.median_first_answer_hours == round(late.response_seconds / 3600, 1)
    assert index.score == round(100 - 2 * decay(16), 1)


def test_running_the_handler_again_or_a_duplicate_or_an_overtaken_move_writes_nothing_more():
    _c, case = _case(answer_at=LATE)
    first = _move(case, status="met", before="late")
    rows = _rows(case)
    with transaction.atomic():
        Case.objects.select_for_update().get(pk=case.pk)
        credit_records_for_event(CaseEvent.objects.select_related("case").get(pk=first.pk))
        registry.dispatch(CaseEvent.objects.select_related("case").get(pk=first.pk))
    _move(case, status="met", before="late", at=AGAIN)  # the same move, logged twice
    assert _rows(case) == rows

    # A later move decides; the earlier one, run again, changes nothing.
    _move(case, status="late", before="met", from_="2026-10-19", due_on="2026-10-16", at=AGAIN)
    rows = _rows(case)
    with transaction.atomic():
        Case.objects.select_for_update().get(pk=case.pk)
        credit_records_for_event(CaseEvent.objects.select_related("case").get(pk=first.pk))
    assert _rows(case) == rows


@pytest.mark.parametrize(
    ("answer_at", "status", "before"),
    [
        (IN_TIME, "met", "met"),  # in time on either date
        (LATE, "late", "late"),  # late on either date
        (None, "running", "running"),  # no answer yet
        (None, "met", "late"),  # a judgement with no record behind it
    ],
)
def test_a_move_whose_judgement_stands_writes_nothing(answer_at, status, before):
    _c, case = _case(answer_at=answer_at)
    rows = _rows(case)
    _move(case, status=status, before=before)
    assert _rows(case) == rows


@pytest.mark.parametrize("clock", ["acceptance_decision", "performance", "mediation_limit"])
def test_other_clocks_moving_write_nothing(clock):
    _c, case = _case(answer_at=LATE)
    rows = _rows(case)
    _move(case, status="met", before="late", clock=clock)
    _move(case, status="expired", before="expired", expired_early=True, clock=clock)
    assert _rows(case) == rows


def test_a_case_linked_to_its_merchant_after_the_move_gets_the_corrected_record():
    c = cf.cast()
    with cf.frozen(FILED):
        case = cf.submit(
            consumer=c.consumer, merchant_name="某网店", merchant_division_code="371302"
        )
    with cf.frozen(LATE), transaction.atomic():
        event_append(
            case=Case.objects.select_for_update().get(pk=case.pk),
            kind="negotiation.merchant_answered",
            actor_role="merchant",
            payload={"clocks": {"negotiation_answer": "late"}},
        )
    moved = _move(case, status="met", before="late")
    assert not CreditRecord.objects.filter(case=case).exists()

    case_link_merchant(case=case, merchant=c.merchant, actor=c.actor("regulator"))

    assert _kinds(case) == [("answered", True), ("answered_late", False), ("reversal", True)]
    late = CreditRecord.objects.get(case=case, kind="answered_late")
    assert CreditRecord.objects.get(case=case, kind="reversal").repairs_id == late.pk
    assert CreditRecord.objects.get(case=case, kind="answered").source_event_id == moved.pk
    assert _answers(_summary(c)[0]) == (1, 0, 0)


def test_postgres_allows_the_reversal_its_mark_and_nothing_more(on_postgres):
    from django.db import connection
    from django.db.utils import DatabaseError

    _c, case = _case(answer_at=LATE)
    _move(case, status="met", before="late")  # the mark went through the guard
    late = CreditRecord.objects.get(case=case, kind="answered_late")
    reversal = CreditRecord.objects.get(case=case, kind="reversal")
    for sql, pk in [
        ("UPDATE credit_creditrecord SET kind = 'answered' WHERE id = %s", late.pk),
        ("UPDATE credit_creditrecord SET repaired_at = NULL WHERE id = %s", late.pk),
        ("UPDATE credit_creditrecord SET repaired_at = now() WHERE id = %s", late.pk),
        ("UPDATE credit_creditrecord SET details = '{}' WHERE id = %s", reversal.pk),
        ("DELETE FROM credit_creditrecord WHERE id = %s", reversal.pk),
    ]:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [pk])
