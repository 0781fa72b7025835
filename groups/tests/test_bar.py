"""The issue's bar: 20 consumers' cases in one group with two representatives; the group's
mediation agreement yields 20 signed mediation agreements and 20 credit records, exactly
once each (the fan-out run again, and at the same time); a consumer who objects keeps an
individual case."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from accounts.tests import factories as af
from cases.models import Case, CaseEvent, State
from cases.services.events import case_log_verify
from cases.tests import factories as cf
from credit.models import CreditRecord
from documents.kinds import Kind
from documents.models import Document
from documents.services.confirm import confirmation_request, document_confirm
from documents.tests.poppler import pdfsig
from groups.models import AgreementShare, GroupMembership
from groups.services import agreement as agreements
from groups.services import membership
from groups.tasks import apply_share
from groups.tests import factories as gf

pytestmark = pytest.mark.django_db

MEMBERS = 20


def _code(sms_outbox) -> str:
    message = [m for m in sms_outbox if m.sensitive and re.search(r"-[A-Z]{2}\d-", m.body)][-1]
    return re.search(r"(?<![\d-])(\d{6})(?!\d)", message.body).group(1)


def _confirm(document, user, sms_outbox, capture):
    with capture(execute=True):
        confirmation_request(document=document, user=user, ip="203.0.113.9")
    document.refresh_from_db()
    with capture(execute=True):
        document_confirm(
            document=document,
            user=user,
            code=_code(sms_outbox),
            content_sha256=document.content_sha256,
            ip="203.0.113.9",
        )


def _resolved(case_ids) -> int:
    return CreditRecord.objects.filter(case_id__in=case_ids, kind="resolved").count()


def test_twenty_members_one_agreement_twenty_signed_documents_and_credit_records(
    signed, nss_db, sms_outbox, django_capture_on_commit_callbacks, tmp_path
):
    capture = django_capture_on_commit_callbacks
    c = cf.cast()
    consumers = [af.consumer() for _ in range(MEMBERS)]
    cases = [gf.member_case(c, consumer=u, amount=f"{300 + n}.00") for n, u in enumerate(consumers)]
    with capture(execute=True):
        group = gf.group_of(c, cases)
    members = {m.case_id: m for m in GroupMembership.objects.filter(group=group)}
    assert len(members) == MEMBERS and all(m.how == "linked" for m in members.values())
    assert all(
        CaseEvent.objects.filter(case=x, kind="group.member_added").count() == 1 for x in cases
    )

    # A 21st consumer files later and chooses to join; then objects and leaves.
    objector = af.consumer()
    own = gf.member_case(c, consumer=objector)
    joined = membership.group_join(group=group, case=own, actor=objector)
    assert joined.how == "joined" and joined.number == MEMBERS + 1

    # Nominations: each member nominates member 3 or member 7 (7 nominates themselves).
    numbers = {x.pk: members[x.pk].number for x in cases}
    for n, (user, _case) in enumerate(zip(consumers, cases, strict=True)):
        membership.group_nominate(group=group, actor=user, nominee_number=3 if n % 2 else 7)
    with capture(execute=True):
        assert membership.group_representatives_confirm(
            group=group, actor=c.actor("regulator"), numbers=[3, 7]
        ) == [3, 7]
    assert set(
        GroupMembership.objects.filter(group=group, is_representative=True).values_list(
            "number", flat=True
        )
    ) == {3, 7}

    # One mediation: every case under review accepted with the group's mediator.
    with capture(execute=True):
        gf.in_mediation(c, group)
    assert (
        Case.objects.filter(
            pk__in=[x.pk for x in cases], state=State.MEDIATION, mediator=c.mediator
        ).count()
        == MEMBERS
    )

    # The terms: one text, each member's own amount.
    amounts = {numbers[x.pk]: Decimal(f"{100 + numbers[x.pk]}.00") for x in cases}
    with capture(execute=True):
        proposed = agreements.group_terms_propose(
            group=group,
            actor=c.actor("mediator"),
            description="经营者于十日内按各投诉人预付卡余额全额退款。",
            performance_due_on=gf.soon(15),
            amounts=amounts,
        )
    assert proposed.shares.count() == MEMBERS + 1
    for user in consumers:
        agreements.group_terms_accept(group=group, actor=user)
    membership.group_leave(group=group, actor=objector, reason="我想单独处理")

    with capture(execute=True):
        agreements.group_agreement_record(group=group, actor=c.actor("mediator"))
    ids = [x.pk for x in cases]
    assert Case.objects.filter(pk__in=ids, state=State.SETTLED).count() == MEMBERS
    events = CaseEvent.objects.filter(case_id__in=ids, kind="transition.reach_agreement")
    assert events.count() == MEMBERS
    assert _resolved(ids) == MEMBERS

    # Run again: the sweep, and each task once more, as a retry would.
    shares = list(proposed.shares.all())
    with capture(execute=True):
        assert agreements.group_agreement_apply(agreement_id=proposed.pk) == {
            "applied": MEMBERS,
            "objected": 1,
        }
        for share in shares:
            apply_share.apply(args=[share.pk])
    assert events.count() == MEMBERS
    assert _resolved(ids) == MEMBERS
    for x in cases:
        x.refresh_from_db()
        assert x.settlement_terms["amount"] == str(amounts[numbers[x.pk]])

    # The one who objected keeps an individual case: not settled, still in mediation.
    own.refresh_from_db()
    assert own.state == State.MEDIATION
    assert AgreementShare.objects.get(membership=joined).status == "objected"
    assert not CaseEvent.objects.filter(case=own, kind="transition.reach_agreement").exists()
    assert CaseEvent.objects.filter(case=own, kind="group.member_left").count() == 1
    assert not CreditRecord.objects.filter(case=own, kind="resolved").exists()

    # Each member's own mediation agreement: confirmed by the consumer and the merchant,
    # then signed.
    documents = Document.objects.filter(case_id__in=ids, kind=Kind.MEDIATION_AGREEMENT)
    assert documents.count() == MEMBERS
    staff = c.actor("merchant_staff")
    for document in documents.select_related("case__consumer"):
        assert document.status == Document.Status.AWAITING_CONFIRMATION, document.last_error
        _confirm(document, document.case.consumer, sms_outbox, capture)
        _confirm(document, staff, sms_outbox, capture)
    assert documents.filter(status=Document.Status.VALID).exclude(sha256="").count() == MEMBERS
    assert Document.objects.filter(case=own, kind=Kind.MEDIATION_AGREEMENT).count() == 0
    first = documents.first()
    path = tmp_path / "agreement.pdf"
    with first.file.open("rb") as handle:
        path.write_bytes(handle.read())
    report = pdfsig(path, nss_db)
    assert "Signature is Valid" in report, report
    assert all(case_log_verify(case=x).ok for x in cases)
