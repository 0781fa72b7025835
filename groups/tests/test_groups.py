"""Who sees and does what in a group, the pages and the API, joining at filing, and the
consent to delegated mediation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import MediationOrganisation
from accounts.tests import factories as af
from cases.models import Case, CaseEvent, ComplaintDraft, State
from cases.tests import factories as cf
from groups.models import AgreementShare, GroupMembership
from groups.selectors import access_group, group_roles
from groups.services import agreement as agreements
from groups.services import mediation, membership
from groups.tests import factories as gf
from odr.errors import DomainError, NotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    c = cf.cast()
    consumers = [af.consumer(display_name=f"SECRET-NAME-{n}") for n in range(3)]
    cases = [
        gf.member_case(
            c,
            consumer=u,
            complainant_name=f"SECRET-NAME-{n}",
            complainant_address=f"SECRET-ADDRESS-{n}",
        )
        for n, u in enumerate(consumers)
    ]
    group = gf.group_of(c, cases)
    return c, consumers, cases, group


def test_outsiders_cannot_see_or_act_on_the_group(world, client):
    c, _consumers, _cases, group = world
    colleague = af.mediator(c.organisation)
    for outsider in (
        c.other_consumer,
        c.other_merchant_staff,
        c.other_regulator,
        colleague,
        c.mediator,
    ):
        assert group_roles(group, outsider) == set()
        with pytest.raises(NotAllowed):
            access_group(user=outsider, ref=group.reference)
        af.login(client, outsider)
        page = client.get(reverse("groups:detail", args=[group.reference]))
        assert page.status_code == 403
        assert "SECRET" not in page.content.decode()
        api = client.get(reverse("api-group", args=[group.reference]))
        assert api.status_code == 403
        acted = client.post(reverse("groups:act", args=[group.reference, "close"]))
        assert acted.status_code == 403
        client.logout()
    group.refresh_from_db()
    assert group.status == "open"
    # Once the mediator is the group's, they see it.
    gf.in_mediation(c, group)
    assert "mediator" in group_roles(group, c.actor("mediator"))
    assert group_roles(group, colleague) == set()


def test_members_see_the_group_but_not_each_others_personal_data(world, client):
    c, consumers, cases, group = world
    af.login(client, consumers[0])
    page = client.get(reverse("groups:detail", args=[group.reference])).content.decode()
    assert group.reference in page and cases[0].reference in page
    for n in (1, 2):
        assert f"SECRET-NAME-{n}" not in page
        assert f"SECRET-ADDRESS-{n}" not in page
        assert cases[n].reference not in page
        assert cases[n].complainant_phone[-8:] not in page
    api = client.get(reverse("api-group", args=[group.reference])).json()
    text = str(api)
    assert "SECRET" not in text and cases[1].reference not in text
    # The case page shows the group's panel.
    case_page = client.get(reverse("cases:detail", args=[cases[0].reference])).content.decode()
    assert f'data-group="{group.reference}"' in case_page
    # The merchant sees numbers and states, no consumer's data.
    client.logout()
    af.login(client, c.merchant_staff)
    page = client.get(reverse("groups:detail", args=[group.reference])).content.decode()
    assert "SECRET" not in page and group.reference in page


def test_a_consumer_who_refused_delegated_mediation_is_not_put_before_an_association(world):
    c, _consumers, cases, group = world
    association = af.MediationOrganisationFactory(
        division_code="371300", kind=MediationOrganisation.Kind.ASSOCIATION
    )
    volunteer = af.mediator(association)
    Case.objects.filter(pk__in=[x.pk for x in cases[:2]]).update(agrees_to_delegated_mediation=True)
    assert str(volunteer.pk) not in dict(mediation.group_mediator_choices(group=group))
    with pytest.raises(DomainError) as refused:
        mediation.group_mediation_start(
            group=group, actor=c.actor("regulator"), mediator_id=str(volunteer.pk)
        )
    assert refused.value.code == "delegated_mediation_refused"
    assert "3" in refused.value.message
    assert Case.objects.filter(pk__in=[x.pk for x in cases], state=State.REVIEW).count() == 3
    # With the office's own mediator, all three are accepted.
    gf.in_mediation(c, group)
    assert Case.objects.filter(pk__in=[x.pk for x in cases], state=State.MEDIATION).count() == 3


def test_the_merchant_answers_once_on_every_case(client):
    c = cf.cast()
    cases = [gf.member_case(c, review=False) for _ in range(2)]
    assert all(x.state == State.NEGOTIATION for x in cases)
    group = gf.group_of(c, cases)
    mediation.group_answer(
        group=group, actor=c.actor("merchant_staff"), body="门店搬迁，可退余额。"
    )
    for x in cases:
        x.refresh_from_db()
        assert x.merchant_answered_at is not None
        assert CaseEvent.objects.filter(case=x, kind="negotiation.merchant_answered").count() == 1
        assert CaseEvent.objects.filter(case=x, kind="group.merchant_answered").count() == 1
    with pytest.raises(DomainError):
        mediation.group_answer(group=group, actor=c.actor("merchant_staff"), body="again")


def test_only_representatives_speak_and_shared_evidence_stays_inside(world, client):
    c, consumers, cases, group = world
    with pytest.raises(NotAllowed):
        mediation.group_message_post(group=group, actor=consumers[0], body="我来说")
    for u in consumers:
        membership.group_nominate(group=group, actor=u, nominee_number=1)
    membership.group_representatives_confirm(group=group, actor=c.actor("regulator"), numbers=[1])
    mediation.group_message_post(group=group, actor=consumers[0], body="代表发言")
    evidence = mediation.group_evidence_add(
        group=group, actor=consumers[0], upload=cf.upload("r.png", cf.png_bytes(), "image/png")
    )
    url = reverse("groups:evidence_file", args=[group.reference, evidence.pk])
    af.login(client, consumers[2])
    got = client.get(url)
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == cf.png_bytes()
    case_page = client.get(reverse("cases:detail", args=[cases[2].reference])).content.decode()
    assert url in case_page
    client.logout()
    for outsider in (c.other_consumer, c.other_merchant_staff, c.other_regulator):
        af.login(client, outsider)
        assert client.get(url).status_code == 403
        client.logout()
    assert client.get(url).status_code == 302  # signed out: to the login page


def test_joining_at_filing_is_offered_and_logged(world, client):
    c, _consumers, _cases, group = world
    newcomer = af.consumer()
    draft = ComplaintDraft.objects.create(
        consumer=newcomer,
        data={
            "merchant": c.merchant.pk,
            "merchant_name": c.merchant.name,
            "category": gf.CATEGORY,
            "facts": "预付卡门店关闭",
            "request": "退余额",
            "complainant_name": "新人",
            "complainant_phone": str(newcomer.phone),
            "complainant_address": "临沂",
            "knew_of_harm_on": cf.today().isoformat(),
            "purchase_date": cf.today().isoformat(),
            "amount": "100.00",
        },
    )
    af.login(client, newcomer)
    url = reverse("cases:wizard", args=[draft.pk, "review"])
    page = client.get(url).content.decode()
    assert f'value="{group.reference}"' in page
    answer = client.post(url, {"join_group": group.reference})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    case = Case.objects.get(consumer=newcomer)
    joined = GroupMembership.objects.get(case=case)
    assert joined.how == "joined"
    assert CaseEvent.objects.filter(case=case, kind="group.member_joined").count() == 1
    # A bad reference files nothing.
    assert client.post(url, {"join_group": "<x>"}).status_code in (302, 400, 404)


def test_an_objecting_member_leaves_and_keeps_their_case(world):
    c, consumers, cases, group = world
    gf.in_mediation(c, group)
    agreements.group_terms_propose(
        group=group, actor=c.actor("mediator"), description="退款", performance_due_on=gf.soon()
    )
    membership.group_leave(group=group, actor=consumers[1], reason="不同意")
    gone = GroupMembership.objects.get(case=cases[1])
    assert gone.left_at and gone.objected
    assert AgreementShare.objects.get(membership=gone).status == "objected"
    cases[1].refresh_from_db()
    assert cases[1].state == State.MEDIATION
    assert group_roles(group, consumers[1]) == set()
    # The case can join no group while... it can be grouped again later by the office.
    with pytest.raises(NotAllowed):
        agreements.group_terms_accept(group=group, actor=consumers[1])


def test_the_api_makes_a_group_and_acts(client):
    c = cf.cast()
    cases = [gf.member_case(c) for _ in range(2)]
    af.login(client, c.regulator)
    made = client.post(
        reverse("api-groups"),
        {"merchant": c.merchant.pk, "title": "批次质量问题", "cases": [x.reference for x in cases]},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    ref = made.json()["reference"]
    assert len(made.json()["member_list"]) == 2
    assert client.get(reverse("api-groups")).json()[0]["reference"] == ref
    bad = client.post(
        reverse("api-group-act", args=[ref]), {"action": "nope"}, content_type="application/json"
    )
    assert bad.status_code == 400
    accepted = client.post(
        reverse("api-group-act", args=[ref]),
        {"action": "accept", "mediator": c.mediator.pk},
        content_type="application/json",
    )
    assert accepted.status_code == 200, accepted.content
    schema = client.get(reverse("api-schema")).content.decode()
    assert "/api/v1/groups/{ref}/actions/" in schema
