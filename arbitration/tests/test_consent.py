"""The parties' agreement and the referral it allows."""

import pytest

from arbitration.models import Agreement, Referral
from arbitration.services import consent
from arbitration.tests import factories as f
from cases.models import Case, CaseEvent, State
from cases.services.transitions import case_transition
from documents.kinds import Kind
from documents.models import Document
from odr.errors import Conflict, DomainError, NotAllowed

pytestmark = pytest.mark.django_db


def test_bodies_offered_are_those_taking_the_category_and_region(c):
    case = f.failed_case(c)
    f.profile(c.other_body, categories=["services"])
    far = f.profile(f.cf.af.ArbitrationBodyFactory(division_code="350100"), webhook_secret="").body
    names = [b.pk for b in consent.bodies_eligible(case=case)]
    assert c.body.pk in names
    assert c.other_body.pk not in names  # takes services only; the case is goods.food
    assert far.pk not in names  # Fuzhou does not cover 371302


def test_proposal_records_an_event_and_one_open_agreement(c, django_capture_on_commit_callbacks):
    case = f.failed_case(c)
    first = f.propose(c, case)
    second = f.propose(c, case, by="merchant_staff")
    first.refresh_from_db()
    assert first.status == Agreement.Status.WITHDRAWN
    assert second.status == Agreement.Status.PROPOSED
    event = CaseEvent.objects.get(pk=second.event_id)
    assert event.kind == "arbitration.agreement_proposed"
    assert event.actor_role == "merchant"
    assert event.payload == {"body": c.body.pk, "body_name": c.body.name}


def test_only_a_party_proposes_and_only_a_listed_body(c):
    case = f.failed_case(c)
    with pytest.raises(NotAllowed):
        consent.agreement_propose(case=case, actor=c.actor("mediator"), body_id=c.body.pk)
    f.profile(c.other_body, accepts_referrals=False)
    with pytest.raises(DomainError) as info:
        consent.agreement_propose(case=case, actor=c.actor("consumer"), body_id=c.other_body.pk)
    assert "body" in info.value.fields
    with pytest.raises(DomainError):
        consent.agreement_propose(case=case, actor=c.actor("consumer"), body_id="x")
    assert not Agreement.objects.exists()


def test_no_proposal_before_mediation_fails(c):
    case = f.cf.case_in(State.MEDIATION, c)
    with pytest.raises(Conflict):
        f.propose(c, case)


@pytest.mark.parametrize(
    ("signed", "code", "who"),
    [
        ((), "consent_missing", "Neither"),
        (("consumer",), "merchant_consent_missing", "merchant"),
        (("merchant",), "consumer_consent_missing", "consumer"),
    ],
)
def test_referral_refused_naming_the_missing_signature(c, signed, code, who, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    case = f.failed_case(c)
    agreement = f.propose(c, case)
    f.sign_directly(agreement, *signed, c=c)
    with translation.override("en"), pytest.raises(Conflict) as info:
        consent.case_refer(case=case, actor=c.actor("consumer"))
    assert info.value.code == code
    assert who in info.value.message
    case.refresh_from_db()
    assert case.state == State.MEDIATION_FAILED
    assert not case.arbitration_consented
    assert not Referral.objects.exists()


def test_referral_refused_in_chinese_names_the_merchant(c):
    case = f.failed_case(c)
    f.sign_directly(f.propose(c, case), "consumer", c=c)
    with pytest.raises(Conflict) as info:
        consent.case_refer(case=case, actor=c.actor("consumer"))
    assert info.value.code == "merchant_consent_missing"


def test_referral_refused_without_any_agreement(c):
    case = f.failed_case(c)
    with pytest.raises(Conflict) as info:
        consent.case_refer(case=case, actor=c.actor("consumer"))
    assert info.value.code == "no_agreement"


def test_referral_accepted_with_both_signatures(c, django_capture_on_commit_callbacks):
    case = f.failed_case(c)
    agreement = f.propose(c, case)
    f.sign_directly(agreement, "consumer", "merchant", c=c)
    with django_capture_on_commit_callbacks(execute=False):
        referral = consent.case_refer(case=case, actor=c.actor("consumer"))
    case.refresh_from_db()
    assert case.state == State.REFERRED
    assert case.arbitration_body_id == c.body.pk
    assert referral.body_id == c.body.pk
    assert referral.agreement_id == agreement.pk
    assert referral.status == Referral.Status.PREPARING
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.USED
    assert case.deadlines.filter(clock="arbitration_acceptance", status="running").count() == 1


def test_the_merchant_cannot_refer(c):
    case = f.failed_case(c)
    f.sign_directly(f.propose(c, case), "consumer", "merchant", c=c)
    with pytest.raises(NotAllowed):
        consent.case_refer(case=case, actor=c.actor("merchant_staff"))
    assert Case.objects.get(pk=case.pk).state == State.MEDIATION_FAILED


def test_generic_transition_cannot_refer_without_consent(c):
    case = f.failed_case(c)
    f.sign_directly(f.propose(c, case), "consumer", c=c)
    with pytest.raises(Conflict):
        case_transition(
            case=case,
            name="refer_to_arbitration",
            actor=c.actor("consumer"),
            data={"body": str(c.body.pk)},
        )


def test_generic_transition_to_another_body_than_agreed_is_refused(c):
    case = f.failed_case(c)
    f.sign_directly(f.propose(c, case), "consumer", "merchant", c=c)
    Case.objects.filter(pk=case.pk).update(arbitration_consented=True)
    case.refresh_from_db()
    with pytest.raises(Conflict) as info:
        case_transition(
            case=case,
            name="refer_to_arbitration",
            actor=c.actor("consumer"),
            data={"body": str(c.other_body.pk)},
        )
    assert info.value.code == "not_the_agreed_body"
    assert Case.objects.get(pk=case.pk).state == State.MEDIATION_FAILED
    assert not Referral.objects.exists()


def test_signatures_by_sms_code_on_the_exact_draft(
    c, sms_outbox, django_capture_on_commit_callbacks
):
    """The real confirmation flow of documents, on the agreement's draft."""
    case = f.failed_case(c)
    agreement = f.propose(c, case)
    draft = f.issue_stand_in(
        case=case, kind=Kind.ARBITRATION_AGREEMENT, event=agreement.event, draft=True
    )
    f.sign_by_sms(draft, c.actor("consumer"), sms_outbox, django_capture_on_commit_callbacks)
    assert consent.agreement_signatures(agreement) == {"consumer": True, "merchant": False}
    confirmed = CaseEvent.objects.filter(case=case, kind="document.confirmed").get()
    assert confirmed.payload["sha256"] == draft.content_sha256
    assert confirmed.payload["party"] == "consumer"
    with pytest.raises(Conflict) as info:
        consent.case_refer(case=case, actor=c.actor("consumer"))
    assert info.value.code == "merchant_consent_missing"
    f.sign_by_sms(draft, c.actor("merchant_staff"), sms_outbox, django_capture_on_commit_callbacks)
    assert consent.agreement_signatures(agreement) == {"consumer": True, "merchant": True}
    with django_capture_on_commit_callbacks(execute=False):
        consent.case_refer(case=case, actor=c.actor("consumer"))
    assert Case.objects.get(pk=case.pk).state == State.REFERRED


def test_a_new_proposal_after_a_decline_needs_new_signatures(c, django_capture_on_commit_callbacks):
    referral = f.referred(c, django_capture_on_commit_callbacks)
    from arbitration.services import actions

    actions.referral_decline(referral=referral, actor=c.actor("arbitration_staff"), reason="不受理")
    case = Case.objects.get(pk=referral.case_id)
    assert case.state == State.MEDIATION_FAILED
    f.propose(c, case, body=c.other_body)
    with pytest.raises(Conflict) as info:
        consent.case_refer(case=case, actor=c.actor("consumer"))
    assert info.value.code == "consent_missing"
    assert Document.objects.filter(kind=Kind.ARBITRATION_AGREEMENT).count() == 1
