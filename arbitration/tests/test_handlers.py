"""The referral row follows the case, whichever edge moved it."""

import pytest

from arbitration.models import Referral, WebhookDelivery
from arbitration.services.webhooks import delivery_create
from arbitration.tests import factories as f
from cases.models import Case, State
from cases.services.transitions import case_transition

pytestmark = pytest.mark.django_db


def test_withdrawal_while_referred_withdraws_the_referral(c, django_capture_on_commit_callbacks):
    referral = f.referred(c, django_capture_on_commit_callbacks)
    case_transition(case=referral.case, name="withdraw", actor=c.actor("consumer"), data={})
    referral.refresh_from_db()
    assert referral.status == Referral.Status.WITHDRAWN


def test_accept_through_the_case_transitions_moves_the_referral(
    c, django_capture_on_commit_callbacks
):
    referral = f.referred(c, django_capture_on_commit_callbacks)
    case_transition(
        case=referral.case, name="arbitration_accept", actor=c.actor("arbitration_staff"), data={}
    )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert Case.objects.get(pk=referral.case_id).state == State.ARBITRATING


def test_a_referral_made_without_an_agreement_waits_and_is_not_shown(
    c, django_capture_on_commit_callbacks
):
    """The cases factories refer with the consent flag set directly (no agreement row)."""
    case = f.cf.case_in(State.REFERRED, c)
    referral = Referral.objects.get(case=case)
    assert referral.agreement_id is None
    assert referral.status == Referral.Status.PREPARING


def test_one_delivery_per_referral_and_topic(c, django_capture_on_commit_callbacks):
    f.profile(c.body, webhook_url="http://127.0.0.1:9/")
    with django_capture_on_commit_callbacks(execute=False):
        referral = f.referred(c, django_capture_on_commit_callbacks)
    first = WebhookDelivery.objects.get(referral=referral)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = delivery_create(referral=referral, topic="referral.delivered")
    assert again.pk == first.pk
    assert callbacks == []
