"""A group agreement's fan-out run twice at the same moment, on real PostgreSQL: each
member's case reaches its agreement once, with one credit record, and every case's log
chain holds (the share row and the case row are locked in turn)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.tests import factories as af
from cases.models import Case, CaseEvent, State
from cases.services.events import case_log_verify
from cases.tests import factories as cf
from cases.tests.test_concurrency import together
from credit.models import CreditRecord
from groups.models import AgreementShare
from groups.services import agreement as agreements
from groups.tests import factories as gf

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS = 4


def test_the_fan_out_twice_at_once_applies_each_share_once(on_postgres, signed, monkeypatch):
    # The tasks are not sent on commit here: the test runs them itself, two at a time.
    monkeypatch.setattr(agreements, "_enqueue", lambda agreement_id: None)
    c = cf.cast()
    consumers = [af.consumer() for _ in range(MEMBERS)]
    cases = [gf.member_case(c, consumer=u, amount="300.00") for u in consumers]
    group = gf.in_mediation(c, gf.group_of(c, cases))
    proposed = agreements.group_terms_propose(
        group=group,
        actor=c.actor("mediator"),
        description="经营者于十日内全额退还预付卡余额。",
        performance_due_on=gf.soon(15),
        amounts={n: Decimal("280.00") for n in range(1, MEMBERS + 1)},
    )
    for user in consumers:
        agreements.group_terms_accept(group=group, actor=user)
    agreements.group_agreement_record(group=group, actor=c.actor("mediator"))
    shares = list(proposed.shares.values_list("pk", flat=True))
    assert len(shares) == MEMBERS
    assert not CaseEvent.objects.filter(kind="transition.reach_agreement").exists()

    work = [
        *(lambda s=s: agreements.group_share_apply(share_id=s) for s in shares),
        *(lambda s=s: agreements.group_share_apply(share_id=s) for s in shares),
        lambda: agreements.group_agreement_apply(agreement_id=proposed.pk),
    ]
    results = together(*work)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors

    ids = [x.pk for x in cases]
    assert Case.objects.filter(pk__in=ids, state=State.SETTLED).count() == MEMBERS
    for case_id in ids:
        assert (
            CaseEvent.objects.filter(case_id=case_id, kind="transition.reach_agreement").count()
            == 1
        )
        assert CreditRecord.objects.filter(case_id=case_id, kind="resolved").count() == 1
        assert case_log_verify(case=Case.objects.get(pk=case_id)).ok
    assert set(AgreementShare.objects.filter(pk__in=shares).values_list("status", flat=True)) == {
        "applied"
    }
