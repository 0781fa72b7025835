"""Proof of identity (SAMR form 4): the office asks the complainant by a date, the
complainant uploads it, the clock ends met or late, and once it has passed without proof
the office is offered the refusal on art. 16(6), never given it automatically."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import CaseEvent, Deadline, IdentityProof, IdentityRequest, State
from cases.rulesets import ORDER_20, ORDER_121
from cases.services import identity
from cases.services.clocks import deadlines_sweep
from cases.tests import factories as cf
from odr.errors import Conflict, DomainError, NotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def c():
    return cf.cast()


def _png(name: str = "id.png"):
    return cf.upload(name, cf.png_bytes(), "image/png")


def _ask(c, case):
    return identity.identity_request(
        case=case, actor=c.actor("regulator"), materials="居民身份证正反面照片"
    )


def test_the_rule_set_declares_the_clock_with_its_citation_and_what_is_unconfirmed():
    clock = ORDER_121.clock("identity_proof")
    assert (clock.amount, clock.unit, clock.on_expiry) == (5, "working_days", "flag")
    assert "第十条第三款" in clock.citation_zh and "第十六条第六项" in clock.citation_zh
    assert "arts. 10(3) and 16(6)" in clock.citation_en
    assert "待与正式文本核对" in clock.note_zh and "not a rule" in clock.note_en
    assert clock.starts == ("identity_request",) and clock.ends == ("identity_provide",)
    # Order 20 has no refusal for identity, so no such request.
    assert "identity_proof" not in ORDER_20.clocks


def test_request_starts_the_clock_and_tells_the_consumer(c):
    case = cf.case_in(State.REVIEW, c)
    request = _ask(c, case)
    deadline = Deadline.objects.get(case=case, clock="identity_proof")
    assert deadline.status == Deadline.Status.RUNNING
    assert request.due_on == deadline.due_on
    event = CaseEvent.objects.get(case=case, kind="identity.requested")
    assert event.actor_role == "regulator"
    assert event.payload["due_on"] == deadline.due_on.isoformat()
    assert event.payload["clocks"] == {"identity_proof": "started"}
    from notifications.models import Notification

    notices = Notification.objects.filter(
        case=case, kind="deadline.started:identity_proof", channel="inapp"
    )
    assert [n.recipient_id for n in notices] == [c.consumer.pk]


def test_one_open_request_at_a_time_and_only_by_the_regulator(c):
    case = cf.case_in(State.REVIEW, c)
    for kind in ("consumer", "merchant_staff", "mediator", "other_regulator"):
        with pytest.raises(NotAllowed):
            identity.identity_request(case=case, actor=c.actor(kind), materials="身份证")
    _ask(c, case)
    with pytest.raises(Conflict) as exc:
        _ask(c, case)
    assert exc.value.code == "identity_request_open"
    with pytest.raises(DomainError):
        identity.identity_request(case=case, actor=c.actor("regulator"), materials="  ")


def test_not_in_negotiation_nor_under_order_20(c):
    with pytest.raises(Conflict):
        _ask(c, cf.case_in(State.NEGOTIATION, c))
    old = cf.submit(
        consumer=c.consumer, merchant=c.merchant, now=cf.at(2026, 3, 2), language="zh-hans"
    )
    assert old.ruleset == ORDER_20.key


def test_upload_ends_the_clock_met_and_stays_with_staff(c):
    case = cf.case_in(State.REVIEW, c)
    request = _ask(c, case)
    identity.identity_provide(case=case, actor=c.actor("consumer"), uploads=[_png()])
    request.refresh_from_db()
    assert request.status == IdentityRequest.Status.PROVIDED
    assert Deadline.objects.get(case=case, clock="identity_proof").status == "met"
    proof = IdentityProof.objects.get(request=request)
    assert proof.file.name.startswith("identity/")
    assert not case.evidence.exists()  # never among the evidence the merchant sees
    event = CaseEvent.objects.get(case=case, kind="identity.provided")
    assert event.payload["clocks"] == {"identity_proof": "met"}
    assert identity.identity_consequence(case=case) is None


def test_only_the_consumer_uploads_and_only_a_real_file(c):
    case = cf.case_in(State.REVIEW, c)
    with pytest.raises(Conflict):
        identity.identity_provide(case=case, actor=c.actor("consumer"), uploads=[_png()])
    _ask(c, case)
    with pytest.raises(NotAllowed):
        identity.identity_provide(case=case, actor=c.actor("merchant_staff"), uploads=[_png()])
    with pytest.raises(DomainError):
        identity.identity_provide(
            case=case,
            actor=c.actor("consumer"),
            uploads=[cf.upload("x.png", cf.elf_bytes(), "image/png")],
        )
    assert not IdentityProof.objects.exists()


def test_passed_without_proof_offers_the_refusal_and_does_nothing_itself(c):
    case = cf.case_in(State.REVIEW, c)
    _ask(c, case)
    deadline = Deadline.objects.get(case=case, clock="identity_proof")
    after = deadline.due_at + dt.timedelta(hours=1)
    report = deadlines_sweep(now=after)
    assert case.reference in report.flagged
    case.refresh_from_db()
    assert case.state == State.REVIEW  # never refused by the service
    with cf.frozen(after):
        offered = identity.identity_consequence(case=case)
    assert offered is not None
    assert (offered.transition, offered.ground) == ("reject", "identity")
    from notifications.models import Notification

    told = Notification.objects.filter(case=case, kind="deadline.overdue:identity_proof")
    assert {n.recipient_id for n in told} == {c.regulator.pk}
    # A late upload still counts, judged late; nothing is offered any more.
    with cf.frozen(after):
        identity.identity_provide(case=case, actor=c.actor("consumer"), uploads=[_png()])
        assert identity.identity_consequence(case=case) is None
    assert Deadline.objects.get(case=case, clock="identity_proof").status == "late"


def test_in_mediation_the_consequence_is_the_end_of_mediation(c):
    case = cf.case_in(State.MEDIATION, c)
    _ask(c, case)
    deadline = Deadline.objects.get(case=case, clock="identity_proof")
    with cf.frozen(deadline.due_at + dt.timedelta(days=1)):
        offered = identity.identity_consequence(case=case)
    assert (offered.transition, offered.ground) == ("terminate", "refusal_ground_found")
    assert identity.identity_consequence(case=case, now=timezone.now()) is None
