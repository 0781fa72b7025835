"""A body that declined has no part in the case any more: the case loses it (no case role,
no live reading), and its portal page keeps its own frozen referral only, never another
body's requests or the case's later evidence."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from arbitration.services import actions, consent
from arbitration.services.referral_file import referral_file_build
from arbitration.tests import factories as f
from documents.kinds import Kind

pytestmark = pytest.mark.django_db


def _declined(c, capture):
    referral = f.referred(c, capture)
    with capture(execute=True):
        actions.referral_decline(referral=referral, actor=c.arbitration_staff, reason="不受理")
    referral.refresh_from_db()
    referral.case.refresh_from_db()
    return referral


def test_the_declining_body_loses_the_case(c, django_capture_on_commit_callbacks):
    referral = _declined(c, django_capture_on_commit_callbacks)
    case = referral.case
    assert case.arbitration_body_id is None
    assert referral.status == referral.Status.DECLINED
    event = case.events.get(kind="transition.arbitration_decline")
    assert event.actor_role == "arbitration"
    api = APIClient()
    api.force_authenticate(c.arbitration_staff)
    for tail in ("", "arbitration/", "messages/?room=joint", "events/", "evidence/"):
        assert api.get(f"/api/v1/cases/{case.reference}/{tail}").status_code in (403, 404), tail


def test_the_declining_body_does_not_see_the_next_bodys_requests(
    c, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    referral_a = _declined(c, capture)
    case = referral_a.case
    agreement = f.propose(c, case, body=c.other_body)
    f.sign_directly(agreement, "consumer", "merchant", c=c)
    with capture(execute=False):
        referral_b = consent.case_refer(case=case, actor=c.actor("consumer"))
    f.issue_stand_in(case=case, kind=Kind.ARBITRATION_REFERRAL, event=referral_b.event)
    with capture(execute=True):
        referral_file_build(referral_id=referral_b.pk)
    referral_b.refresh_from_db()
    with capture(execute=True):
        actions.referral_request_info(
            referral=referral_b, actor=c.other_arbitration_staff, message="SECRET-B-QUESTION"
        )
    web = Client()
    web.force_login(c.arbitration_staff)
    page = web.get(f"/arbitration/referrals/{case.reference}/")
    assert page.status_code == 200
    assert "SECRET-B-QUESTION" not in page.content.decode()
    web.force_login(c.other_arbitration_staff)
    assert (
        "SECRET-B-QUESTION" in web.get(f"/arbitration/referrals/{case.reference}/").content.decode()
    )
