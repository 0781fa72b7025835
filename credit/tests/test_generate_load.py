"""generate_load at a small scale: consistent data, the same records the live handler
would write, valid event chains; and the recomputation over it."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Merchant, MerchantStore, User
from cases.models import Case, CaseEvent, CaseSequence
from cases.services.events import case_log_verify
from credit.models import CreditDaily, CreditRecord, MerchantCreditIndex
from credit.selectors import merchant_index, records_feed
from credit.services.records import _drafts
from credit.services.rollup import credit_rollup_differences

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    out = io.StringIO()
    call_command(
        "generate_load",
        "--merchants",
        "40",
        "--cases",
        "600",
        "--batch",
        "250",
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def test_it_fills_every_table(loaded):
    assert "40 merchants" in loaded and "600 cases" in loaded
    assert Merchant.objects.count() == 40
    assert MerchantStore.objects.exists()
    assert User.objects.count() == 120
    assert Case.objects.count() == 600
    assert CaseEvent.objects.count() > 1800
    assert CreditRecord.objects.count() > 600
    assert MerchantCreditIndex.objects.count() == 40
    kinds = set(CreditRecord.objects.values_list("kind", flat=True))
    assert {"complaint", "resolved", "unresolved", "breach", "answered", "accepted"} <= kinds
    # A few merchants get most of the complaints.
    counts = sorted(
        (Case.objects.filter(merchant=m).count() for m in Merchant.objects.all()), reverse=True
    )
    assert counts[0] > 5 * counts[len(counts) // 2]


def test_the_records_are_those_the_live_handler_writes(loaded):
    stored = set(CreditRecord.objects.values_list("case_id", "source_event_id", "kind"))
    expected = set()
    for event in CaseEvent.objects.select_related("case").order_by("case_id", "seq"):
        for draft in _drafts(event, event.case):
            expected.add((event.case_id, event.pk, draft.kind))
    # The handler's rule keeps the first record of a kind per case (the constraint).
    first = {}
    for case_id, event_id, kind in sorted(expected):
        first.setdefault((case_id, kind), (case_id, event_id, kind))
    assert stored == set(first.values())


def test_each_record_is_published_as_its_consumer_answered(loaded):
    answers = set(
        CreditRecord.objects.values_list("published", "case__agrees_to_publication").distinct()
    )
    assert answers == {(True, True), (False, False)}


def test_the_event_chains_are_valid_and_references_continue(loaded):
    for case in Case.objects.order_by("?")[:30]:
        assert case_log_verify(case=case).ok
    for seq in CaseSequence.objects.all():
        numbers = [
            int(r.rsplit("-", 1)[1])
            for r in Case.objects.filter(
                reference__startswith=f"{seq.prefix}-{seq.year}-"
            ).values_list("reference", flat=True)
        ]
        assert max(numbers) == seq.last


def test_the_rollup_matches_the_records(loaded):
    assert CreditDaily.objects.exists()
    assert credit_rollup_differences() == []


def test_the_snapshots_match_the_live_index(loaded):
    for snapshot in MerchantCreditIndex.objects.select_related("merchant")[:10]:
        assert float(snapshot.score) == merchant_index(merchant=snapshot.merchant).score


def test_the_feed_reads_it_all(loaded):
    seen, cursor = 0, ""
    while True:
        page, cursor = records_feed(cursor=cursor, limit=500)
        if not page:
            break
        seen += len(page)
    assert seen == CreditRecord.objects.count()


def test_it_runs_twice_on_the_same_database():
    for _ in range(2):
        call_command(
            "generate_load",
            "--merchants",
            "5",
            "--cases",
            "30",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert Case.objects.count() == 60
    assert len(set(Case.objects.values_list("reference", flat=True))) == 60


def test_bad_numbers_are_refused():
    with pytest.raises(CommandError):
        call_command("generate_load", "--merchants", "0", "--cases", "1", stdout=io.StringIO())


def test_the_rollup_can_be_rebuilt_from_the_records(loaded):
    from credit.services.rollup import credit_rollup_rebuild

    before = sorted(CreditDaily.objects.values_list("merchant_id", "day", "kind", "n", "repaired"))
    CreditDaily.objects.filter(pk__in=CreditDaily.objects.values("pk")[:5]).delete()
    assert credit_rollup_differences() != []
    credit_rollup_rebuild()
    after = sorted(CreditDaily.objects.values_list("merchant_id", "day", "kind", "n", "repaired"))
    assert after == before
