"""Complaint intake: SAMR's required facts, limitation, numbering, duplicates, routing."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.tests import factories as af
from cases.models import Case, CaseEvent, CaseSequence, Deadline
from cases.services.intake import case_submit
from cases.tests import factories as cf
from odr.calendar import add_working_days
from odr.errors import DomainError

pytestmark = pytest.mark.django_db

D = dt.date
UTC = dt.UTC
NOW = cf.at(2026, 6, 1)
ORDER_121_MATERIALS_ZH = "《市场监督管理投诉举报处理办法》第十六条第五项"
ORDER_20_MATERIALS_ZH = "《市场监督管理投诉举报处理暂行办法》第十五条第五项"


def _refused(consumer=None, now=NOW, **overrides) -> DomainError:
    consumer = consumer or af.consumer()
    overrides.setdefault("merchant", cf.enrolled_merchant())
    overrides.setdefault("purchase_date", D(2026, 5, 20))
    with pytest.raises(DomainError) as refused:
        case_submit(consumer=consumer, data=cf.complaint(**overrides), now=now)
    assert refused.value.status == 400
    assert not Case.objects.filter(consumer=consumer).exists()
    assert not CaseEvent.objects.exists()
    # Nothing was numbered: a refused complaint uses up no reference.
    assert not CaseSequence.objects.exists()
    return refused.value


# --- Required facts (Order 121 art. 16(5); Order 20 art. 15(5)) ---------------------------


@pytest.mark.parametrize(
    ("field", "says"),
    [
        ("complainant_name", "请填写您的姓名。"),
        ("complainant_phone", "请填写您的联系电话。"),
        ("complainant_address", "请填写您的地址。"),
        ("facts", "请写明事情经过。"),
        ("request", "请写明您对经营者的诉求。"),
    ],
)
@pytest.mark.parametrize("blank", ["", "   \n\t"])
def test_a_missing_required_fact_is_refused_naming_the_rule_once(field, says, blank):
    error = _refused(**{field: blank})
    assert error.code == "missing_facts"
    assert list(error.fields) == [field]
    # The rule is cited once, in the message; the field says in plain words what to do.
    assert error.message == (
        f"依据{ORDER_121_MATERIALS_ZH}，投诉须写明这些信息才能受理，请补全后再提交。"
    )
    assert error.fields[field] == [says]


def test_every_missing_fact_is_named_at_once():
    error = _refused(
        complainant_name="",
        complainant_phone="",
        complainant_address="",
        facts="",
        request="",
        merchant=None,
        purchase_date=None,
        knew_of_harm_on=None,
    )
    assert error.code == "missing_facts"
    assert set(error.fields) == {
        "complainant_name",
        "complainant_phone",
        "complainant_address",
        "facts",
        "request",
        "merchant",
        "knew_of_harm_on",
    }
    assert error.fields["merchant"] == ["请选择被投诉的经营者，或填写其名称。"]
    assert error.message.count("第十六条") == 1
    assert not any("第十六条" in m for messages in error.fields.values() for m in messages)


def test_the_rule_named_is_that_of_the_rule_set_in_force():
    error = _refused(now=cf.at(2026, 4, 14), facts="", purchase_date=D(2026, 4, 1))
    assert ORDER_20_MATERIALS_ZH in error.message


def test_the_rule_is_named_in_english_for_an_english_complaint():
    with translation.override("en"):
        error = _refused(facts="", language="en")
    rule = "Measures for Handling Complaints and Reports on Market Regulation (SAMR Order No. 121), art. 16(5)"
    assert error.message == (
        f"Under {rule}, a complaint can be accepted only with these details: please "
        "complete them and submit again."
    )
    assert error.fields == {"facts": ["Please describe what happened."]}


def test_an_unlisted_merchant_needs_its_place():
    error = _refused(merchant=None, merchant_name="某网店", merchant_division_code="")
    assert error.code == "missing_facts"
    assert list(error.fields) == ["merchant_division_code"]
    error = _refused(merchant=None, merchant_name="某网店", merchant_division_code="37130X")
    assert list(error.fields) == ["merchant_division_code"]


def test_an_unknown_category_is_refused():
    error = _refused(category="goods.weapons")
    assert list(error.fields) == ["category"]


# --- Dates: limitation and the future ---------------------------------------------------


def _submitted_limitation(case: Case) -> dict:
    return CaseEvent.objects.get(case=case, kind="case.submitted").payload["limitation"]


def test_more_than_three_years_after_knowing_of_the_harm_is_filed_for_the_office_to_decide():
    # Whether the limit has passed (or was interrupted) is the regulator's decision on
    # art. 16(4), not the intake's: the complaint is filed and routed as any other.
    case = case_submit(
        consumer=af.consumer(),
        data=cf.complaint(
            merchant=af.MerchantFactory(),
            knew_of_harm_on=D(2023, 5, 31),
            purchase_date=D(2023, 5, 1),
        ),
        now=NOW,
    )
    assert case.state == "review"
    assert _submitted_limitation(case) == {
        "knew_of_harm_on": "2023-05-31",
        "claimed_on": None,
        "runs_from": "2023-05-31",
        "ends_on": "2026-05-31",
        "passed": True,
    }
    assert not Deadline.objects.filter(case=case, clock="limitation").exists()


def test_the_purchase_date_stands_for_the_day_of_knowledge_when_none_is_given():
    case = case_submit(
        consumer=af.consumer(),
        data=cf.complaint(
            merchant=af.MerchantFactory(), knew_of_harm_on=None, purchase_date=D(2023, 5, 31)
        ),
        now=NOW,
    )
    assert case.knew_of_harm_on == D(2023, 5, 31)
    assert _submitted_limitation(case)["passed"] is True


def test_a_claim_to_the_merchant_within_the_three_years_counts_them_again():
    case = case_submit(
        consumer=af.consumer(),
        data=cf.complaint(
            merchant=af.MerchantFactory(),
            knew_of_harm_on=D(2022, 3, 1),
            purchase_date=D(2022, 3, 1),
            claimed_from_merchant_on=D(2024, 9, 1),
        ),
        now=NOW,
    )
    assert case.claimed_from_merchant_on == D(2024, 9, 1)
    limitation = _submitted_limitation(case)
    assert (limitation["runs_from"], limitation["ends_on"], limitation["passed"]) == (
        "2024-09-01",
        "2027-09-01",
        False,
    )


def test_a_claim_made_after_the_limit_had_run_out_does_not_revive_it():
    case = case_submit(
        consumer=af.consumer(),
        data=cf.complaint(
            merchant=af.MerchantFactory(),
            knew_of_harm_on=D(2022, 3, 1),
            purchase_date=D(2022, 3, 1),
            claimed_from_merchant_on=D(2025, 6, 1),
        ),
        now=NOW,
    )
    limitation = _submitted_limitation(case)
    assert (limitation["runs_from"], limitation["ends_on"], limitation["passed"]) == (
        "2022-03-01",
        "2025-03-01",
        True,
    )


def test_a_claim_date_before_the_harm_or_in_the_future_is_refused():
    before = _refused(knew_of_harm_on=D(2026, 5, 1), claimed_from_merchant_on=D(2026, 4, 1))
    assert before.fields == {"claimed_from_merchant_on": ["这个日期早于您知道权益受损的日期。"]}
    future = _refused(knew_of_harm_on=D(2026, 5, 1), claimed_from_merchant_on=D(2026, 6, 2))
    assert list(future.fields) == ["claimed_from_merchant_on"]


def test_exactly_three_years_is_still_in_time():
    case = case_submit(
        consumer=af.consumer(),
        data=cf.complaint(
            merchant=cf.enrolled_merchant(),
            knew_of_harm_on=D(2023, 6, 1),
            purchase_date=D(2023, 5, 1),
        ),
        now=NOW,
    )
    assert case.knew_of_harm_on == D(2023, 6, 1)
    assert case.state == "negotiation"


def test_a_knowledge_date_in_the_future_is_refused():
    error = _refused(knew_of_harm_on=D(2026, 6, 2))
    assert error.code == "missing_facts"
    assert list(error.fields) == ["knew_of_harm_on"]


def test_a_purchase_date_in_the_future_is_refused():
    error = _refused(purchase_date=D(2026, 6, 2), knew_of_harm_on=D(2026, 5, 30))
    assert list(error.fields) == ["purchase_date"]


def test_the_future_is_judged_by_the_date_in_beijing():
    # 16:30 UTC on 1 June is 00:30 on 2 June in Beijing: 2 June is today, not the future.
    case = case_submit(
        consumer=af.consumer(),
        data=cf.complaint(merchant=cf.enrolled_merchant(), purchase_date=D(2026, 6, 2)),
        now=dt.datetime(2026, 6, 1, 16, 30, tzinfo=UTC),
    )
    assert case.purchase_date == D(2026, 6, 2)
    assert case.knew_of_harm_on == D(2026, 6, 2)


# --- Reference numbers ------------------------------------------------------------------


def test_references_are_numbered_in_sequence_per_year():
    first = cf.submit(now=cf.at(2026, 3, 1))
    second = cf.submit(now=cf.at(2026, 3, 2))
    older = cf.submit(now=cf.at(2025, 12, 31, 23, 59))
    third = cf.submit(now=cf.at(2026, 3, 3))
    for case in (first, second, older, third):
        assert re.fullmatch(r"LY-\d{4}-\d{6}", case.reference)
    assert (first.reference, second.reference, third.reference) == (
        "LY-2026-000001",
        "LY-2026-000002",
        "LY-2026-000003",
    )
    assert older.reference == "LY-2025-000001"
    assert dict(CaseSequence.objects.values_list("year", "last")) == {2025: 1, 2026: 3}


def test_the_year_of_the_reference_is_the_year_in_beijing():
    # 16:30 UTC on 31 December 2025 is already 2026 in Beijing.
    case = cf.submit(now=dt.datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
    assert case.reference == "LY-2026-000001"


# --- Possible duplicates ------------------------------------------------------------------


def test_same_order_from_the_same_consumer_within_30_days_is_a_possible_duplicate():
    consumer = af.consumer()
    merchant = cf.enrolled_merchant()
    first = cf.submit(consumer=consumer, merchant=merchant, order_number="TB123", now=NOW)
    assert first.possible_duplicate_of is None
    second = cf.submit(
        consumer=consumer,
        merchant=merchant,
        order_number=" TB123 ",
        now=NOW + dt.timedelta(days=29),
    )
    assert Case.objects.get(pk=second.pk).possible_duplicate_of_id == first.pk
    submitted = CaseEvent.objects.get(case=second, kind="case.submitted")
    assert submitted.payload["possible_duplicate_of"] == first.reference
    assert "possible_duplicate_of" not in CaseEvent.objects.get(case=first, seq=1).payload


def test_after_30_days_the_same_order_is_not_flagged():
    consumer = af.consumer()
    merchant = cf.enrolled_merchant()
    cf.submit(consumer=consumer, merchant=merchant, order_number="TB123", now=NOW)
    later = cf.submit(
        consumer=consumer, merchant=merchant, order_number="TB123", now=NOW + dt.timedelta(days=31)
    )
    assert Case.objects.get(pk=later.pk).possible_duplicate_of is None
    assert "possible_duplicate_of" not in CaseEvent.objects.get(case=later, seq=1).payload


def test_another_consumer_or_another_order_or_no_order_is_not_a_duplicate():
    consumer = af.consumer()
    merchant = cf.enrolled_merchant()
    cf.submit(consumer=consumer, merchant=merchant, order_number="TB123", now=NOW)
    cf.submit(consumer=consumer, merchant=merchant, order_number="", now=NOW)
    others = [
        cf.submit(consumer=af.consumer(), merchant=merchant, order_number="TB123", now=NOW),
        cf.submit(consumer=consumer, merchant=merchant, order_number="TB124", now=NOW),
        cf.submit(consumer=consumer, merchant=merchant, order_number="", now=NOW),
    ]
    for case in others:
        assert Case.objects.get(pk=case.pk).possible_duplicate_of is None


def test_a_duplicate_points_at_the_most_recent_earlier_case():
    consumer = af.consumer()
    merchant = cf.enrolled_merchant()
    cf.submit(consumer=consumer, merchant=merchant, order_number="TB9", now=NOW)
    second = cf.submit(
        consumer=consumer, merchant=merchant, order_number="TB9", now=NOW + dt.timedelta(days=2)
    )
    third = cf.submit(
        consumer=consumer, merchant=merchant, order_number="TB9", now=NOW + dt.timedelta(days=3)
    )
    assert Case.objects.get(pk=third.pk).possible_duplicate_of_id == second.pk


# --- Routing -------------------------------------------------------------------------------


def _deadlines(case) -> list[tuple[str, str, dt.date, bool]]:
    return list(
        Deadline.objects.filter(case=case).values_list("clock", "status", "due_on", "provisional")
    )


def test_an_enrolled_merchant_gets_the_complaint_first_with_ten_working_days():
    when = cf.at(2026, 9, 28)
    with cf.frozen(when):
        case = cf.submit(merchant=cf.enrolled_merchant(), now=when)
    assert case.state == "negotiation"
    assert case.ruleset == "samr-order-121"
    # 10 working days after Monday 28 September 2026, past the National Day holiday and
    # counting the make-up Saturday 10 October.
    assert add_working_days(D(2026, 9, 28), 10).date == D(2026, 10, 16)
    assert _deadlines(case) == [("negotiation_answer", "running", D(2026, 10, 16), False)]
    events = list(CaseEvent.objects.filter(case=case).order_by("seq"))
    assert [e.kind for e in events] == [
        "case.submitted",
        "transition.start_negotiation",
        "deadline.started",
    ]
    assert events[0].payload == {
        "ruleset": "samr-order-121",
        "merchant_on_platform": True,
        "consents": {"publication": False, "delegated_mediation": False},
        "limitation": {
            "knew_of_harm_on": "2026-09-25",
            "claimed_on": None,
            "runs_from": "2026-09-25",
            "ends_on": "2029-09-25",
            "passed": False,
        },
    }
    assert (events[0].actor_id, events[0].actor_role) == (case.consumer_id, "consumer")
    assert (events[1].from_state, events[1].to_state, events[1].actor_role) == (
        "submitted",
        "negotiation",
        "system",
    )
    assert events[1].actor_id is None
    assert events[2].payload == {
        "clock": "negotiation_answer",
        "due_on": "2026-10-16",
        "provisional": False,
        "latest_on": "2026-10-16",
    }


@pytest.mark.parametrize(
    "merchant_kwargs",
    [
        pytest.param({"odr_joined_on": None}, id="never-joined"),
        pytest.param({"odr_joined_on": D(2020, 1, 1), "odr_left_on": D(2026, 9, 1)}, id="left"),
        pytest.param({"odr_joined_on": D(2026, 10, 1)}, id="joins-later"),
    ],
)
def test_a_merchant_not_enrolled_that_day_sends_the_complaint_to_review(merchant_kwargs):
    when = cf.at(2026, 9, 28)
    merchant = af.MerchantFactory(**merchant_kwargs)
    with cf.frozen(when):
        case = cf.submit(merchant=merchant, now=when)
    assert case.state == "review"
    assert case.merchant_id == merchant.pk
    assert _deadlines(case) == [("acceptance_decision", "running", D(2026, 10, 13), False)]
    payload = CaseEvent.objects.get(case=case, seq=1).payload
    assert (payload["ruleset"], payload["merchant_on_platform"]) == ("samr-order-121", True)
    assert CaseEvent.objects.get(case=case, seq=2).kind == "transition.request_review"


def test_an_unknown_merchant_sends_the_complaint_to_review():
    when = cf.at(2026, 9, 28)
    with cf.frozen(when):
        case = cf.submit(
            merchant=None,
            merchant_name="某某水果网店",
            merchant_division_code="371302",
            merchant_store_url="https://shop.example.com/123",
            now=when,
        )
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == "review"
    assert fresh.merchant is None
    assert (fresh.merchant_name, fresh.division_code, fresh.merchant_store_url) == (
        "某某水果网店",
        "371302",
        "https://shop.example.com/123",
    )
    assert _deadlines(case) == [("acceptance_decision", "running", D(2026, 10, 13), False)]
    payload = CaseEvent.objects.get(case=case, seq=1).payload
    assert (payload["ruleset"], payload["merchant_on_platform"]) == ("samr-order-121", False)


def test_a_listed_merchant_fixes_name_address_and_place():
    merchant = cf.enrolled_merchant(division_code="371311", address="临沂市罗庄区")
    case = cf.submit(
        merchant=merchant, merchant_name="别的名字", merchant_division_code="110101", now=NOW
    )
    assert (case.merchant_name, case.merchant_address, case.division_code) == (
        merchant.name,
        "临沂市罗庄区",
        "371311",
    )


def test_what_is_recorded_is_stripped_and_complete():
    case = cf.submit(
        now=NOW,
        complainant_name="  张三 ",
        facts="  苹果腐烂  ",
        amount=Decimal("12.50"),
        order_number=" A1 ",
        platform=" 淘宝 ",
        agrees_to_publication=True,
        agrees_to_delegated_mediation=False,
    )
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.complainant_name, fresh.facts, fresh.order_number, fresh.platform) == (
        "张三",
        "苹果腐烂",
        "A1",
        "淘宝",
    )
    assert fresh.amount == Decimal("12.50")
    assert (fresh.agrees_to_publication, fresh.agrees_to_delegated_mediation) == (True, False)
    assert fresh.submitted_at == NOW


# --- The rule set is chosen by the submission date ---------------------------------------


@pytest.mark.parametrize(
    ("now", "ruleset"),
    [
        (cf.at(2026, 4, 14, 12), "samr-order-20"),
        (cf.at(2026, 4, 15, 9), "samr-order-121"),
        (cf.at(2026, 4, 14, 23, 59), "samr-order-20"),
        # 15:30 UTC on the 14th is 23:30 in Beijing; 16:30 UTC is 00:30 on the 15th.
        (dt.datetime(2026, 4, 14, 15, 30, tzinfo=UTC), "samr-order-20"),
        (dt.datetime(2026, 4, 14, 16, 30, tzinfo=UTC), "samr-order-121"),
        (cf.at(2024, 1, 1), "samr-order-20"),
    ],
)
def test_the_rule_set_in_force_on_the_submission_day_governs(now, ruleset):
    case = cf.submit(now=now)
    assert Case.objects.get(pk=case.pk).ruleset == ruleset
    assert CaseEvent.objects.get(case=case, seq=1).payload["ruleset"] == ruleset


def test_the_clocks_of_a_backdated_submission_run_from_its_receipt():
    case = cf.submit(merchant=af.MerchantFactory(), now=cf.at(2026, 9, 28))
    assert _deadlines(case) == [("acceptance_decision", "running", D(2026, 10, 13), False)]


# --- Through the API --------------------------------------------------------------------


def _post(client, body, **extra):
    return client.post("/api/v1/cases/", body, content_type="application/json", **extra)


def test_api_a_consumer_files_a_complaint(client):
    consumer = af.login(client, af.consumer())
    merchant = cf.enrolled_merchant()
    response = _post(client, cf.complaint_json(merchant, order_number="TB1"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"LY-\d{4}-\d{6}", body["reference"])
    assert (body["state"], body["merchant"], body["ruleset"]) == (
        "negotiation",
        merchant.uscc,
        "samr-order-121",
    )
    assert [d["clock"] for d in body["deadlines"]] == ["negotiation_answer"]
    case = Case.objects.get(reference=body["reference"])
    assert case.consumer_id == consumer.pk
    assert case.order_number == "TB1"


def test_api_the_language_of_the_request_is_the_complaints(client):
    af.login(client, af.consumer())
    response = _post(client, cf.complaint_json(cf.enrolled_merchant()), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201
    assert response.json()["language"] == "en"


@pytest.mark.parametrize("who", ["merchant_staff", "regulator", "mediator", "administrator"])
def test_api_only_consumers_file_complaints(client, who):
    user = getattr(af, who)()
    af.login(client, user)
    response = _post(client, cf.complaint_json(cf.enrolled_merchant()))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_a_consumer"
    assert not Case.objects.exists()


def test_api_anonymous_cannot_file(client):
    response = _post(client, cf.complaint_json(cf.enrolled_merchant()))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not Case.objects.exists()


def test_api_missing_facts_answer_400_naming_the_rule_and_fields(client):
    af.login(client, af.consumer())
    response = _post(
        client, cf.complaint_json(cf.enrolled_merchant(), facts="", complainant_address="")
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "missing_facts"
    assert error["fields"] == {
        "facts": ["请写明事情经过。"],
        "complainant_address": ["请填写您的地址。"],
    }
    assert error["message"].count(ORDER_121_MATERIALS_ZH) == 1
    assert not Case.objects.exists()


def test_api_files_a_complaint_past_the_limitation_and_shows_its_limit(client):
    af.login(client, af.consumer())
    old = cf.today() - dt.timedelta(days=3 * 366 + 1)
    response = _post(
        client,
        cf.complaint_json(
            cf.enrolled_merchant(), purchase_date=old.isoformat(), knew_of_harm_on=old.isoformat()
        ),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["limitation"]["passed"] is True
    assert body["limitation"]["knew_of_harm_on"] == old.isoformat()
    # Unticked unless the consumer says yes.
    assert (body["agrees_to_publication"], body["agrees_to_delegated_mediation"]) == (False, False)


BAD_INPUT = [
    ("amount", "abc"),
    ("amount", -1),
    ("amount", "-0.01"),
    ("amount", "1e20"),
    ("amount", "12.345"),
    ("amount", "NaN"),
    ("amount", "Infinity"),
    ("amount", [1]),
    ("category", "goods.weapons"),
    ("category", None),
    ("category", ""),
    ("category", 3),
    ("purchase_date", "yesterday"),
    ("purchase_date", 20260101),
    ("purchase_date", "2026-02-30"),
    ("knew_of_harm_on", {"y": 2026}),
    ("agrees_to_publication", "maybe"),
    ("merchant", "abc"),
    ("merchant", 999999999),
    ("merchant", True),
    ("merchant", -1),
    ("merchant_division_code", "1234567"),
    ("complainant_name", "张" * 101),
    ("complainant_phone", "1" * 21),
    ("order_number", "x" * 101),
    ("merchant_store_url", "x" * 501),
    ("facts", "事" * 10001),
    ("request", "要" * 4001),
    ("facts", None),
    ("facts", ["a"]),
    ("facts", {"a": 1}),
    ("facts", "null\x00byte"),
]


@pytest.mark.parametrize(
    ("field", "value"), BAD_INPUT, ids=[f"{f}-{i}" for i, (f, _v) in enumerate(BAD_INPUT)]
)
def test_api_bad_input_is_a_400_envelope_naming_the_field(client, field, value):
    af.login(client, af.consumer())
    body = cf.complaint_json(cf.enrolled_merchant())
    body[field] = value
    response = _post(client, body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert isinstance(error["message"], str) and error["message"]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "parse_error"),
        ("", "application/json", 400, "invalid"),
        ("[1, 2]", "application/json", 400, "invalid"),
        ('"text"', "application/json", 400, "invalid"),
        ("null", "application/json", 400, "invalid"),
        ("\xff\xfe", "application/json", 400, "parse_error"),
        ("complainant_name=x", "text/plain", 415, "unsupported_media_type"),
    ],
)
def test_api_unparseable_bodies_are_refused_not_500(client, body, content_type, status, code):
    af.login(client, af.consumer())
    response = client.post("/api/v1/cases/", body, content_type=content_type)
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert not Case.objects.exists()


def test_api_a_huge_string_is_a_400_envelope(client):
    af.login(client, af.consumer())
    response = _post(client, cf.complaint_json(cf.enrolled_merchant(), facts="x" * 1_000_000))
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"facts"}
    assert not Case.objects.exists()


def test_api_a_body_over_the_upload_limit_is_a_413_envelope(client):
    af.login(client, af.consumer())
    response = _post(client, cf.complaint_json(cf.enrolled_merchant(), facts="事" * 1_000_000))
    assert not Case.objects.exists()
    assert response["Content-Type"] == "application/json"
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_api_numbers_as_strings_are_coerced_but_stay_valid(client):
    af.login(client, af.consumer())
    response = _post(client, cf.complaint_json(cf.enrolled_merchant(), facts=123, amount=10))
    assert response.status_code == 201
    assert Case.objects.get().facts == "123"
    assert Case.objects.get().amount == Decimal("10.00")
