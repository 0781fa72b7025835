"""Races on real PostgreSQL: two referrals, or an accept and a decline, at the same moment."""

import pytest

from arbitration.models import Referral
from arbitration.services import actions, consent
from arbitration.tests import factories as f
from cases.models import Case, State
from cases.services.events import case_log_verify
from cases.tests import factories as cf
from cases.tests.test_concurrency import _outcome, together

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_referrals_at_once_make_one(on_postgres, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = cf.cast()
    f.profile(c.body)
    case = f.failed_case(c)
    f.sign_directly(f.propose(c, case), "consumer", "merchant", c=c)
    results = together(
        lambda: consent.case_refer(case=case, actor=c.actor("consumer")),
        lambda: consent.case_refer(case=case, actor=c.actor("mediator")),
    )
    outcomes = [_outcome(r) for r in results]
    assert sorted(outcomes, key=str) == sorted([("ok",), (409, "illegal_transition")], key=str)
    assert Referral.objects.filter(case=case).count() == 1
    assert Case.objects.get(pk=case.pk).state == State.REFERRED
    assert case_log_verify(case=case).ok


def test_accept_and_decline_at_once_one_wins(on_postgres, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = cf.cast()
    f.profile(c.body)

    class _NoCapture:
        def __call__(self, execute=False):
            import contextlib

            return contextlib.nullcontext()

    referral = f.referred(c, _NoCapture())
    staff = c.actor("arbitration_staff")
    results = together(
        lambda: actions.referral_accept(referral=referral, actor=staff),
        lambda: actions.referral_decline(
            referral=referral, actor=c.actor("arbitration_staff"), reason="否"
        ),
    )
    outcomes = [_outcome(r) for r in results]
    assert outcomes.count(("ok",)) == 1
    loser = next(o for o in outcomes if o != ("ok",))
    assert loser in ((409, "illegal_transition"), (409, "referral_closed"))
    referral.refresh_from_db()
    state = Case.objects.get(pk=referral.case_id).state
    if outcomes[0] == ("ok",):
        assert (referral.status, state) == (Referral.Status.ACCEPTED, State.ARBITRATING)
    else:
        assert (referral.status, state) == (Referral.Status.DECLINED, State.MEDIATION_FAILED)
    assert case_log_verify(case=referral.case).ok
