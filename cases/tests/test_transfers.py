"""Transfers (转办) between offices: who may, where to, the clock, the log, the flag, and who
sees the case before and after (cases/services/transfers.py, ADR 0010)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import RegulatorOffice
from accounts.tests import factories as af
from cases.models import Case, CaseEvent, CaseRole, CaseTransfer, Deadline, State, case_roles
from cases.selectors import access_case, case_timeline, cases_visible_to, review_queue
from cases.services.transfers import case_transfer, is_back_and_forth
from cases.tests import factories as cf
from notifications.models import Notification
from odr.calendar import CHINA_TZ
from odr.errors import Conflict, DomainError, NotAllowed

pytestmark = pytest.mark.django_db

LANSHAN, LUOZHUANG, LINYI, FUZHOU = "371302", "371311", "371300", "350100"


@pytest.fixture
def offices():
    for code, name, name_en in (
        (LINYI, "临沂市市场监督管理局", "Linyi Market Regulation Administration"),
        (LANSHAN, "临沂市兰山区市场监督管理局", "Lanshan District Market Regulation Bureau"),
        (LUOZHUANG, "临沂市罗庄区市场监督管理局", "Luozhuang District Market Regulation Bureau"),
        (FUZHOU, "福州市市场监督管理局", "Fuzhou Market Regulation Administration"),
    ):
        RegulatorOffice.objects.create(division_code=code, name=name, name_en=name_en)


@pytest.fixture
def c(offices):
    return cf.cast()


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def _review(c) -> Case:
    case = cf.case_in(State.REVIEW, c)
    assert case.office_code == case.division_code == LANSHAN
    return case


def test_intake_sets_the_handling_office_to_the_merchants_division(c):
    case = cf.case_in(State.NEGOTIATION, c)
    assert case.office_code == LANSHAN


def test_a_regulator_of_the_office_transfers_with_the_reason_and_the_case_keeps_its_file(c):
    case = _review(c)
    evidence = cf.upload("a.png", cf.png_bytes(), "image/png")
    from cases.services import evidence as evidence_services

    evidence_services.evidence_add(uploaded_by=c.consumer, upload=evidence, case=case)
    events_before = case.events.count()
    lanshan = af.regulator(LANSHAN)

    transfer = case_transfer(
        case=case, actor=_fresh(lanshan), to_office=FUZHOU, reason="place_of_business"
    )

    case.refresh_from_db()
    assert (case.reference, case.state, case.office_code) == (
        case.reference,
        State.REVIEW,
        FUZHOU,
    )
    assert case.division_code == LANSHAN  # the merchant's place is unchanged
    assert case.evidence.count() == 1
    assert (transfer.from_office, transfer.to_office, transfer.back_and_forth) == (
        LANSHAN,
        FUZHOU,
        False,
    )
    event = case.events.get(kind="case.transferred")
    assert transfer.event_id == event.pk
    assert event.payload["from_office_zh"] == "临沂市兰山区市场监督管理局"
    assert event.payload["to_office_zh"] == "福州市市场监督管理局"
    assert event.payload["to_office_en"] == "Fuzhou Market Regulation Administration"
    assert event.payload["reason"] == "place_of_business"
    assert event.payload["clocks"] == {"acceptance_decision": "started"}
    assert event.actor_role == CaseRole.REGULATOR
    assert case.events.count() > events_before
    # The log is still one chain.
    from cases.services.events import case_log_verify

    assert case_log_verify(case=case).ok


def test_the_acceptance_clock_restarts_from_the_receiving_offices_receipt_across_a_holiday(c):
    case = _review(c)
    first = Deadline.objects.get(case=case, clock="acceptance_decision")
    at = dt.datetime(2026, 9, 28, 10, 0, tzinfo=CHINA_TZ)
    case_transfer(
        case=case,
        actor=c.actor("regulator"),
        to_office=FUZHOU,
        reason="other",
        reason_text="商家实际在福州经营",
        at=at,
    )
    first.refresh_from_db()
    assert first.status == Deadline.Status.CANCELLED
    running = Deadline.objects.get(
        case=case, clock="acceptance_decision", status=Deadline.Status.RUNNING
    )
    assert running.started_at == at
    # The National Day holiday: 7 working days after 28 September 2026 is 13 October.
    assert running.due_on == dt.date(2026, 10, 13)


def test_only_a_regulator_of_the_handling_office_may_transfer(c):
    case = _review(c)
    for outsider in (
        c.actor("other_regulator"),
        c.actor("consumer"),
        c.actor("merchant_staff"),
        c.actor("mediator"),
        _fresh(af.regulator(LUOZHUANG)),
    ):
        with pytest.raises(NotAllowed):
            case_transfer(case=case, actor=outsider, to_office=FUZHOU, reason="registered_place")
    assert not CaseTransfer.objects.exists()
    case.refresh_from_db()
    assert case.office_code == LANSHAN


@pytest.mark.parametrize(
    ("to_office", "reason", "text", "field"),
    [
        ("999999", "registered_place", "", "to_office"),  # no such office
        ("110105", "registered_place", "", "to_office"),  # a division, but no office on record
        ("abc", "registered_place", "", "to_office"),
        (LANSHAN, "registered_place", "", "to_office"),  # the same office
        (FUZHOU, "nope", "", "reason"),
        (FUZHOU, "other", "   ", "reason_text"),  # another reason needs an explanation
        (FUZHOU, "registered_place", "x\x00", "reason_text"),
    ],
)
def test_a_transfer_that_cannot_be_is_refused_with_a_clear_message(
    c, to_office, reason, text, field
):
    case = _review(c)
    with pytest.raises(DomainError) as refused:
        case_transfer(
            case=case,
            actor=c.actor("regulator"),
            to_office=to_office,
            reason=reason,
            reason_text=text,
        )
    assert refused.value.status == 400
    assert field in refused.value.fields
    assert not CaseTransfer.objects.exists()


def test_the_same_office_is_named_in_the_refusal(c):
    case = _review(c)
    from django.utils import translation

    with translation.override("en"), pytest.raises(DomainError, match="already with this office"):
        case_transfer(
            case=case, actor=c.actor("regulator"), to_office=LANSHAN, reason="registered_place"
        )
    with pytest.raises(DomainError, match="平台上没有代码为 999999 的部门"):
        case_transfer(
            case=case, actor=c.actor("regulator"), to_office="999999", reason="registered_place"
        )


def test_no_transfer_once_the_office_has_decided(c):
    case = cf.case_in(State.MEDIATION, c)
    with pytest.raises(Conflict):
        case_transfer(
            case=case, actor=c.actor("regulator"), to_office=FUZHOU, reason="registered_place"
        )


def test_access_before_and_after_a_transfer_to_another_province(c):
    case = _review(c)
    lanshan, fuzhou, linyi = (_fresh(af.regulator(code)) for code in (LANSHAN, FUZHOU, LINYI))
    assert CaseRole.REGULATOR in case_roles(case, lanshan)
    assert CaseRole.REGULATOR in case_roles(case, linyi)
    assert not case_roles(case, fuzhou)
    assert case not in review_queue(user=fuzhou)

    case_transfer(case=case, actor=lanshan, to_office=FUZHOU, reason="registered_place")
    case.refresh_from_db()
    lanshan, fuzhou, linyi = (_fresh(u) for u in (lanshan, fuzhou, linyi))

    for sender in (lanshan, linyi):
        assert not case_roles(case, sender)
        with pytest.raises(NotAllowed):
            access_case(user=sender, ref=case.reference)
        assert not cases_visible_to(user=sender).filter(pk=case.pk).exists()
        assert not review_queue(user=sender).filter(pk=case.pk).exists()
        with pytest.raises(NotAllowed):
            case_transfer(case=case, actor=sender, to_office=LANSHAN, reason="registered_place")
    assert CaseRole.REGULATOR in case_roles(case, fuzhou)
    assert access_case(user=fuzhou, ref=case.reference) == case
    assert cases_visible_to(user=fuzhou).filter(pk=case.pk).exists()
    # The parties keep the case.
    assert access_case(user=c.actor("consumer"), ref=case.reference) == case
    assert access_case(user=c.actor("merchant_staff"), ref=case.reference) == case


def test_a_city_office_keeps_a_case_moved_between_its_counties(c):
    case = _review(c)
    lanshan, luozhuang, linyi = (_fresh(af.regulator(x)) for x in (LANSHAN, LUOZHUANG, LINYI))
    assert not case_roles(case, luozhuang)
    case_transfer(case=case, actor=lanshan, to_office=LUOZHUANG, reason="place_of_business")
    case.refresh_from_db()
    lanshan, luozhuang, linyi = (_fresh(u) for u in (lanshan, luozhuang, linyi))
    assert not case_roles(case, lanshan)
    assert CaseRole.REGULATOR in case_roles(case, luozhuang)
    assert CaseRole.REGULATOR in case_roles(case, linyi)
    assert review_queue(user=linyi).filter(pk=case.pk).exists()
    assert review_queue(user=luozhuang).filter(pk=case.pk).exists()


def test_the_receiving_queue_marks_the_incoming_transfer(c):
    case = _review(c)
    case_transfer(
        case=case, actor=c.actor("regulator"), to_office=FUZHOU, reason="platform_domicile"
    )
    row = review_queue(user=c.actor("other_regulator")).get(pk=case.pk)
    assert (row.incoming_from, row.incoming_reason, row.transfer_flagged) == (
        LANSHAN,
        "platform_domicile",
        False,
    )


def test_back_and_forth_is_flagged(c):
    case = _review(c)
    fuzhou = af.regulator(FUZHOU)
    first = case_transfer(
        case=case, actor=c.actor("regulator"), to_office=FUZHOU, reason="registered_place"
    )
    back = case_transfer(
        case=case, actor=_fresh(fuzhou), to_office=LANSHAN, reason="place_of_business"
    )
    assert (first.back_and_forth, back.back_and_forth) == (False, True)
    row = review_queue(user=c.actor("regulator")).get(pk=case.pk)
    assert row.transfer_flagged and row.incoming_from == FUZHOU
    assert case.events.get(pk=back.event_id).payload["back_and_forth"] is True


def test_the_flag_rule():
    a_to_b = CaseTransfer(from_office="A", to_office="B")
    b_to_c = CaseTransfer(from_office="B", to_office="C")
    assert not is_back_and_forth(previous=[], to_office="B")
    assert not is_back_and_forth(previous=[a_to_b], to_office="C")
    assert is_back_and_forth(previous=[a_to_b], to_office="A")
    assert is_back_and_forth(previous=[a_to_b, b_to_c], to_office="D")  # a third transfer


def test_the_log_shows_the_transfer_to_the_parties_with_both_offices(c):
    case = _review(c)
    case_transfer(
        case=case, actor=c.actor("regulator"), to_office=FUZHOU, reason="registered_place"
    )
    kinds = [e.kind for e in case_timeline(case=case, user=c.actor("consumer"))]
    assert "case.transferred" in kinds
    page = c.actor("consumer")
    from django.test import Client

    client = Client()
    client.force_login(page)
    html = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "data-transfer-event" in html
    assert "临沂市兰山区市场监督管理局" in html and "福州市市场监督管理局" in html


def test_the_parties_are_told_and_the_receiving_office_gets_the_new_deadline(
    c, django_capture_on_commit_callbacks
):
    case = _review(c)
    fuzhou = af.regulator(FUZHOU)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        case_transfer(
            case=case, actor=c.actor("regulator"), to_office=FUZHOU, reason="registered_place"
        )
    event = case.events.get(kind="case.transferred")
    told = set(Notification.objects.filter(event=event).values_list("audience", flat=True))
    assert told == {"consumer", "merchant"}
    recipients = set(Notification.objects.filter(event=event).values_list("recipient", flat=True))
    assert c.regulator.pk not in recipients
    consumer_note = Notification.objects.filter(
        event=event, recipient=c.consumer, channel=Notification.Channel.INAPP
    ).get()
    assert "福州市市场监督管理局" in consumer_note.body
    started = CaseEvent.objects.filter(case=case, kind="deadline.started").order_by("-seq").first()
    to_regulators = set(
        Notification.objects.filter(event=started, audience="regulator").values_list(
            "recipient", flat=True
        )
    )
    assert fuzhou.pk in to_regulators
    assert c.regulator.pk not in to_regulators


# --- Pages and API ----------------------------------------------------------------------


def _client(user, language: str = "zh-hans"):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_the_case_page_offers_the_transfer_to_the_office_only(c):
    case = _review(c)
    url = reverse("cases:detail", args=[case.reference])
    html = _client(c.regulator).get(url).content.decode()
    assert 'id="transfer-form"' in html and 'value="350100"' in html
    assert 'value="371302"' not in html.split('id="transfer-form"')[1].split("</form>")[0]
    for party in (c.consumer, c.merchant_staff):
        assert 'id="transfer-form"' not in _client(party).get(url).content.decode()


def test_transfer_by_page_sends_the_sender_back_to_the_queue(c):
    case = _review(c)
    lanshan = af.regulator(LANSHAN)
    response = _client(lanshan).post(
        reverse("cases:transfer", args=[case.reference]),
        {"to_office": FUZHOU, "reason": "registered_place"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:review_queue")
    case.refresh_from_db()
    assert case.office_code == FUZHOU
    assert _client(lanshan).get(reverse("cases:detail", args=[case.reference])).status_code == 403


def test_a_refused_transfer_shows_the_form_again(c):
    case = _review(c)
    url = reverse("cases:transfer", args=[case.reference])
    # Another reason without an explanation: the service refuses, next to the field.
    response = _client(c.regulator).post(url, {"to_office": FUZHOU, "reason": "other"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="transfer-form"' in html and 'class="error"' in html
    # An office not in the list: the form refuses it.
    unknown = _client(c.regulator).post(url, {"to_office": "999999", "reason": "registered_place"})
    assert unknown.status_code == 400
    assert not CaseTransfer.objects.exists()


def test_the_receiving_queue_shows_the_incoming_transfer_with_the_new_deadline(c):
    case = _review(c)
    at = dt.datetime(2026, 9, 28, 10, 0, tzinfo=CHINA_TZ)
    case_transfer(
        case=case, actor=c.actor("regulator"), to_office=FUZHOU, reason="registered_place", at=at
    )
    for language in ("zh-hans", "en"):
        html = _client(c.other_regulator, language).get(reverse("cases:review_queue"))
        html = html.content.decode()
        assert case.reference in html
        assert 'data-flag="transfer-in"' in html
        assert "2026-10-13" in html
    html = _client(c.other_regulator).get(reverse("cases:review_queue")).content.decode()
    assert "临沂市兰山区市场监督管理局" in html


def test_the_api_lists_and_makes_transfers(c):
    from rest_framework.test import APIClient

    case = _review(c)
    api = APIClient()
    api.force_authenticate(c.regulator)
    url = reverse("api-case-transfers", args=[case.reference])
    state = api.get(url).json()
    assert state["office"] == LANSHAN
    assert {o["value"] for o in state["offices"]} == {LINYI, LUOZHUANG, FUZHOU}
    assert "registered_place" in {r["value"] for r in state["reasons"]}
    refused = api.post(url, {"to_office": LANSHAN, "reason": "registered_place"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["to_office"]
    made = api.post(url, {"to_office": LUOZHUANG, "reason": "registered_place"}, format="json")
    assert made.status_code == 201
    assert made.json()["to_office"] == LUOZHUANG and made.json()["back_and_forth"] is False
    # The city office still sees it; the consumer sees the transfer, not where it may go.
    assert api.get(url).json()["transfers"][0]["from_office"] == LANSHAN
    api.force_authenticate(c.consumer)
    mine = api.get(url).json()
    assert mine["offices"] == [] and mine["flagged"] is False and len(mine["transfers"]) == 1
    api.force_authenticate(c.other_regulator)
    assert api.get(url).status_code == 403
    assert api.post(url, {"to_office": FUZHOU, "reason": "registered_place"}).status_code == 403
