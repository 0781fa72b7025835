"""The registration's two choices: unticked, kept with their words, changeable by the
consumer until the office decides, and binding who may mediate (issue 19)."""

import re

import pytest
from django.utils import translation

from accounts.models import MediationOrganisation
from accounts.tests import factories as af
from cases.models import Case, CaseEvent, Consent, State
from cases.services.consents import consent_change, consent_wording
from cases.services.transitions import SPECS, case_transition, field_choices
from cases.tests import factories as cf
from odr.errors import Conflict, DomainError, NotAllowed

pytestmark = pytest.mark.django_db


def _association_mediator(c: cf.Cast):
    association = af.MediationOrganisationFactory(
        division_code="371300", kind=MediationOrganisation.Kind.ASSOCIATION, name="临沂市消费者协会"
    )
    return af.mediator(association)


# --- At registration -------------------------------------------------------------------


def test_both_answers_are_kept_with_their_words_language_and_channel():
    consumer = af.consumer()
    case = cf.submit(consumer=consumer, agrees_to_publication=True)
    rows = {c.question: c for c in Consent.objects.filter(case=case)}
    assert set(rows) == {"publication", "delegated_mediation"}
    assert (rows["publication"].answer, rows["delegated_mediation"].answer) == (True, False)
    for key, row in rows.items():
        assert row.wording == consent_wording(key, language="zh-hans")
        assert (row.language, row.channel, row.recorded_by_id) == ("zh-hans", "online", consumer.pk)
        assert row.recorded_at == case.submitted_at
    assert rows["delegated_mediation"].wording.startswith("我同意由消费者协会调解")
    submitted = CaseEvent.objects.get(case=case, kind="case.submitted")
    assert submitted.payload["consents"] == {"publication": True, "delegated_mediation": False}


def test_the_wording_is_kept_in_the_language_the_consumer_read():
    case = cf.submit(language="en")
    row = Consent.objects.get(case=case, question="delegated_mediation")
    assert row.language == "en"
    assert row.wording.startswith("I agree that a consumer association may mediate.")


def test_the_wizard_asks_both_questions_unticked_with_their_explanations(client):
    consumer = af.consumer()
    af.login(client, consumer)
    start = client.get("/cases/new/")
    draft_url = start["Location"].rsplit("/", 2)[0]
    page = client.get(f"{draft_url}/request/")
    assert page.status_code == 200
    for name in ("agrees_to_publication", "agrees_to_delegated_mediation"):
        box = re.search(rf'<input type="checkbox" name="{name}"[^>]*>', page.text)
        assert box, name
        assert "checked" not in box.group(0), name
    assert "绝不显示您的姓名、电话和地址" in page.text
    assert "由市场监管部门自己的调解员调解" in page.text


# --- Changing an answer ----------------------------------------------------------------


def test_the_consumer_changes_an_answer_and_it_is_kept_and_logged():
    c = cf.cast()
    case = cf.case_in(State.NEGOTIATION, c)
    consent_change(
        case=case,
        actor=c.actor("consumer"),
        question="delegated_mediation",
        answer=True,
        language="zh-hans",
    )
    case.refresh_from_db()
    assert case.agrees_to_delegated_mediation is True
    answers = list(
        Consent.objects.filter(case=case, question="delegated_mediation").values_list(
            "answer", flat=True
        )
    )
    assert answers == [False, True]
    event = CaseEvent.objects.filter(case=case, kind="case.consent_changed").get()
    assert (event.actor_id, event.actor_role) == (c.consumer.pk, "consumer")
    assert event.payload["question"] == "delegated_mediation"
    assert (event.payload["answer"], event.payload["previous"]) == (True, False)


def test_the_same_answer_again_changes_nothing():
    c = cf.cast()
    case = cf.case_in(State.NEGOTIATION, c)
    consent_change(
        case=case,
        actor=c.actor("consumer"),
        question="publication",
        answer=False,
        language="zh-hans",
    )
    assert not CaseEvent.objects.filter(case=case, kind="case.consent_changed").exists()
    assert Consent.objects.filter(case=case).count() == 2


@pytest.mark.parametrize("who", ["merchant_staff", "regulator", "mediator", "other_consumer"])
def test_nobody_but_the_consumer_changes_an_answer(who):
    c = cf.cast()
    case = cf.case_in(State.REVIEW, c)
    with pytest.raises(NotAllowed):
        consent_change(
            case=case, actor=c.actor(who), question="publication", answer=True, language="zh-hans"
        )
    case.refresh_from_db()
    assert case.agrees_to_publication is False
    assert not CaseEvent.objects.filter(case=case, kind="case.consent_changed").exists()
    assert Consent.objects.filter(case=case).count() == 2


@pytest.mark.parametrize("state", [State.MEDIATION, State.REJECTED])
def test_an_answer_is_settled_once_the_office_has_decided(state):
    c = cf.cast()
    case = cf.case_in(state, c)
    with pytest.raises(Conflict) as refused:
        consent_change(
            case=case,
            actor=c.actor("consumer"),
            question="delegated_mediation",
            answer=True,
            language="zh-hans",
        )
    assert refused.value.code == "consent_settled"
    assert "不能再更改" in refused.value.message
    assert Consent.objects.filter(case=case).count() == 2


def test_an_unknown_question_is_a_clear_refusal():
    c = cf.cast()
    case = cf.case_in(State.NEGOTIATION, c)
    with pytest.raises(DomainError) as refused:
        consent_change(
            case=case, actor=c.actor("consumer"), question="x", answer=True, language="zh-hans"
        )
    assert refused.value.status == 400


# --- Delegated mediation binds the office ----------------------------------------------


def test_a_consumer_association_is_not_offered_where_the_consumer_did_not_agree():
    c = cf.cast()
    association = _association_mediator(c)
    case = cf.case_in(State.REVIEW, c)
    spec = next(f for f in SPECS["accept"].fields if f.name == "mediator")
    offered = {value for value, _label in field_choices(case, spec)}
    assert str(c.mediator.pk) in offered
    assert str(association.pk) not in offered
    Case.objects.filter(pk=case.pk).update(agrees_to_delegated_mediation=True)
    case.refresh_from_db()
    assert str(association.pk) in {value for value, _label in field_choices(case, spec)}


def test_accepting_with_a_refused_association_mediator_is_refused_with_the_reason():
    c = cf.cast()
    association = _association_mediator(c)
    case = cf.case_in(State.REVIEW, c)
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        case_transition(
            case=case,
            name="accept",
            actor=c.actor("regulator"),
            data={"mediator": str(association.pk)},
        )
    assert refused.value.fields == {
        "mediator": ["投诉人不同意由消费者协会调解，请选择市场监管部门的调解员。"]
    }
    case.refresh_from_db()
    assert (case.state, case.mediator_id) == (State.REVIEW, None)


def test_once_the_consumer_agrees_the_association_may_mediate():
    c = cf.cast()
    association = _association_mediator(c)
    case = cf.case_in(State.REVIEW, c)
    consent_change(
        case=case,
        actor=c.actor("consumer"),
        question="delegated_mediation",
        answer=True,
        language="zh-hans",
    )
    case = case_transition(
        case=case, name="accept", actor=c.actor("regulator"), data={"mediator": str(association.pk)}
    )
    assert (case.state, case.mediator_id) == (State.MEDIATION, association.pk)
    assert case.mediation_organisation.kind == MediationOrganisation.Kind.ASSOCIATION


def test_the_api_refuses_a_refused_association_mediator_in_the_users_language(client):
    c = cf.cast()
    association = _association_mediator(c)
    case = cf.case_in(State.REVIEW, c)
    af.login(client, c.regulator)
    response = client.post(
        f"/api/v1/cases/{case.reference}/transitions/",
        {"name": "accept", "mediator": str(association.pk)},
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["fields"]["mediator"] == [
        "The consumer did not agree to mediation by a consumer association. Choose a mediator "
        "of the market regulation office."
    ]


def test_the_case_page_lists_only_the_offices_mediators_and_says_why(client):
    c = cf.cast()
    association = _association_mediator(c)
    case = cf.case_in(State.REVIEW, c)
    af.login(client, c.regulator)
    page = client.get(f"/cases/{case.reference}/")
    accept = re.search(r'<details class="action" id="action-accept".*?</details>', page.text, re.S)
    assert accept
    assert f'value="{c.mediator.pk}"' in accept.group(0)
    assert f'value="{association.pk}"' not in accept.group(0)
    assert 'data-delegated="refused"' in accept.group(0)
    response = client.post(
        f"/cases/{case.reference}/transition/accept/", {"mediator": str(association.pk)}
    )
    assert response.status_code == 400
    assert "投诉人不同意由消费者协会调解" in response.text
    case.refresh_from_db()
    assert case.state == State.REVIEW


# --- Pages and API ---------------------------------------------------------------------


def test_the_consumer_sees_and_changes_the_answers_on_the_case_page(client):
    c = cf.cast()
    case = cf.case_in(State.NEGOTIATION, c)
    af.login(client, c.consumer)
    page = client.get(f"/cases/{case.reference}/")
    assert 'id="consents"' in page.text
    assert 'data-consent="publication" data-answer="no"' in page.text
    response = client.post(
        f"/cases/{case.reference}/consents/", {"question": "publication", "answer": "yes"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.reference}/#consents"
    case.refresh_from_db()
    assert case.agrees_to_publication is True
    page = client.get(f"/cases/{case.reference}/")
    assert 'data-consent="publication" data-answer="yes"' in page.text
    assert "您的回答已保存。" in page.text


def test_a_bad_answer_comes_back_on_the_form_and_changes_nothing(client):
    c = cf.cast()
    case = cf.case_in(State.NEGOTIATION, c)
    af.login(client, c.consumer)
    response = client.post(
        f"/cases/{case.reference}/consents/", {"question": "publication", "answer": "maybe"}
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    case.refresh_from_db()
    assert case.agrees_to_publication is False


def test_after_the_decision_the_page_says_the_answers_are_settled(client):
    c = cf.cast()
    case = cf.case_in(State.MEDIATION, c)
    af.login(client, c.consumer)
    page = client.get(f"/cases/{case.reference}/")
    assert 'id="consents"' in page.text
    assert f'action="/cases/{case.reference}/consents/"' not in page.text
    assert "不能再更改" in page.text
    response = client.post(
        f"/cases/{case.reference}/consents/", {"question": "delegated_mediation", "answer": "yes"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.agrees_to_delegated_mediation is False


def test_the_merchant_sees_neither_the_answers_nor_their_form(client):
    c = cf.cast()
    case = cf.case_in(State.NEGOTIATION, c)
    af.login(client, c.merchant_staff)
    page = client.get(f"/cases/{case.reference}/")
    assert page.status_code == 200
    assert 'id="consents"' not in page.text
    response = client.post(
        f"/cases/{case.reference}/consents/", {"question": "publication", "answer": "yes"}
    )
    assert response.status_code in (302, 403)
    case.refresh_from_db()
    assert case.agrees_to_publication is False


def test_the_regulator_sees_the_answers_and_their_history(client):
    c = cf.cast()
    case = cf.case_in(State.REVIEW, c)
    consent_change(
        case=case,
        actor=c.actor("consumer"),
        question="publication",
        answer=True,
        language="zh-hans",
    )
    af.login(client, c.regulator)
    page = client.get(f"/cases/{case.reference}/")
    assert "投诉人的选择" in page.text
    history = re.search(r"<summary>全部回答记录</summary>(.*?)</details>", page.text, re.S)
    assert history
    assert history.group(1).count("<li>") == 3


def test_api_consents_for_the_consumer_and_staff_not_the_merchant(client):
    c = cf.cast()
    case = cf.case_in(State.NEGOTIATION, c)
    url = f"/api/v1/cases/{case.reference}/consents/"
    af.login(client, c.consumer)
    listed = client.get(url)
    assert listed.status_code == 200
    assert {(r["question"], r["answer"], r["channel"]) for r in listed.json()} == {
        ("publication", False, "online"),
        ("delegated_mediation", False, "online"),
    }
    changed = client.post(
        url, {"question": "delegated_mediation", "answer": True}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert changed.json()["agrees_to_delegated_mediation"] is True
    bad = client.post(url, {"question": "nope", "answer": True}, content_type="application/json")
    assert bad.status_code == 400
    client.logout()
    af.login(client, c.merchant_staff)
    assert client.get(url).status_code == 403
    assert (
        client.post(
            url, {"question": "publication", "answer": True}, content_type="application/json"
        ).status_code
        == 403
    )
    client.logout()
    af.login(client, c.regulator)
    assert len(client.get(url).json()) == 3


def test_api_refuses_a_change_after_the_decision_with_409(client):
    c = cf.cast()
    case = cf.case_in(State.MEDIATION, c)
    af.login(client, c.consumer)
    response = client.post(
        f"/api/v1/cases/{case.reference}/consents/",
        {"question": "publication", "answer": True},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "consent_settled"


def test_a_granted_recusal_cannot_hand_the_case_to_a_refused_association():
    from cases.services.recusal import recusal_decide, recusal_request

    c = cf.cast()
    association = _association_mediator(c)
    case = cf.case_in(State.MEDIATION, c)
    recusal_request(
        case=case, actor=c.actor("consumer"), ground="interest", reasons="调解员是商家老板的亲戚。"
    )
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        recusal_decide(
            case=case, actor=c.actor("regulator"), grant=True, new_mediator=association.pk
        )
    assert refused.value.fields == {
        "new_mediator": ["投诉人不同意由消费者协会调解，请选择市场监管部门的调解员。"]
    }
    case.refresh_from_db()
    assert case.mediator_id == c.mediator.pk
