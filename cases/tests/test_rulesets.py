"""The rule sets: which one governs, their clocks, their grounds, and that they cannot change."""

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cases.rulesets import (
    ALL_RULESETS,
    CLOCK_KEYS,
    ORDER_20,
    ORDER_121,
    Article,
    Clock,
    ground,
    ruleset_by_key,
    ruleset_for,
)

D = dt.date


# --- Which rule set governs --------------------------------------------------------------


def test_order_20_governs_complaints_submitted_up_to_14_april_2026():
    assert ruleset_for(D(2026, 4, 14)) is ORDER_20
    assert ruleset_for(D(2020, 1, 1)) is ORDER_20


def test_order_121_governs_complaints_submitted_from_15_april_2026():
    assert ruleset_for(D(2026, 4, 15)) is ORDER_121
    assert ruleset_for(D(2040, 1, 1)) is ORDER_121


def test_no_rule_set_before_order_20():
    with pytest.raises(ValueError, match="no rule set governs complaints submitted on 2019-12-31"):
        ruleset_for(D(2019, 12, 31))


def test_rule_sets_follow_each_other_without_gap_or_overlap():
    assert ALL_RULESETS == (ORDER_20, ORDER_121)
    assert ORDER_20.in_force_until + dt.timedelta(days=1) == ORDER_121.in_force_from
    assert ORDER_121.in_force_until is None


def test_rule_sets_by_key():
    assert ruleset_by_key("samr-order-20") is ORDER_20
    assert ruleset_by_key("samr-order-121") is ORDER_121
    with pytest.raises(KeyError, match="unknown rule set 'samr-order-99'; known: samr-order-20"):
        ruleset_by_key("samr-order-99")


# --- Clocks ------------------------------------------------------------------------------


def _clock_values(ruleset):
    return {key: (c.amount, c.unit) for key, c in ruleset.clocks.items()}


def test_order_20_clocks():
    assert _clock_values(ORDER_20) == {
        "negotiation_answer": (10, "working_days"),
        "acceptance_decision": (7, "working_days"),
        "mediation_limit": (45, "working_days"),
        "termination_notice": (7, "working_days"),
        "arbitration_acceptance": (5, "calendar_days"),
        "limitation": (3, "years"),
        "performance": (0, "agreed"),
        "recusal_window": (3, "calendar_days"),
    }


def test_order_121_clocks():
    assert _clock_values(ORDER_121) == {
        "negotiation_answer": (10, "working_days"),
        "acceptance_decision": (7, "working_days"),
        "mediation_limit": (60, "calendar_days"),
        "termination_notice": (7, "working_days"),
        "arbitration_acceptance": (5, "calendar_days"),
        "limitation": (3, "years"),
        "performance": (0, "agreed"),
        "recusal_window": (3, "calendar_days"),
        "identity_proof": (5, "working_days"),
    }


def test_every_clock_carries_its_citation_in_both_languages():
    for ruleset in ALL_RULESETS:
        # The clocks code names come first; a rule set may declare more (recusal, identity).
        assert tuple(ruleset.clocks)[: len(CLOCK_KEYS)] == CLOCK_KEYS
        for key, clock in ruleset.clocks.items():
            assert clock.key == key
            assert clock.citation_zh and clock.citation_en
    assert ORDER_20.clock("mediation_limit").citation_zh.startswith(
        "《市场监督管理投诉举报处理暂行办法》第二十一条第一款第五项"
    )
    assert ORDER_121.clock("mediation_limit").citation_en.startswith(
        "SAMR Order 121, art. 23(1)(5)"
    )
    # What is not yet confirmed against the gazette is a note beside the citation, so
    # that a signed document never prints it (documents/services/render.py).
    assert "假定沿用" in ORDER_121.clock("acceptance_decision").note_zh
    assert "assumed unchanged" in ORDER_121.clock("acceptance_decision").note_en
    for ruleset in (ORDER_20, ORDER_121):
        for clock in ruleset.clocks.values():
            assert "核对" not in clock.citation_zh and "confirmed" not in clock.citation_en
    assert "不计入" in ORDER_20.clock("negotiation_answer").citation_zh
    assert "仲裁法》第二十四条" in ORDER_121.clock("arbitration_acceptance").citation_zh


def test_an_unknown_clock_is_a_clear_key_error():
    with pytest.raises(KeyError, match="samr-order-20' has no clock 'appeal'; it has negotiation"):
        ORDER_20.clock("appeal")


@pytest.mark.django_db
def test_every_clock_gives_a_deadline_on_the_calendar():
    from odr.calendar import Deadline, clock_deadline, seed_from_package

    seed_from_package([2026])
    start = dt.datetime(2026, 9, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    deadlines = {
        (ruleset.key, key): clock_deadline(clock, start)
        for ruleset in ALL_RULESETS
        for key, clock in ruleset.clocks.items()
        if clock.counted
    }
    assert deadlines[("samr-order-20", "acceptance_decision")] == Deadline(D(2026, 10, 13), False)
    assert deadlines[("samr-order-121", "negotiation_answer")] == Deadline(D(2026, 10, 16), False)
    assert deadlines[("samr-order-20", "mediation_limit")] == Deadline(D(2026, 12, 4), False)
    # 60 days after 28 September is Friday 27 November.
    assert deadlines[("samr-order-121", "mediation_limit")] == Deadline(D(2026, 11, 27), False)
    # 5 days after is Saturday 3 October, inside National Day: Thursday 8th.
    assert deadlines[("samr-order-121", "arbitration_acceptance")] == Deadline(
        D(2026, 10, 8), False
    )
    # 28 September 2029 is a Friday in a year without a schedule yet.
    assert deadlines[("samr-order-121", "limitation")] == Deadline(D(2029, 9, 28), True)


# --- Grounds -----------------------------------------------------------------------------


def test_number_of_grounds_per_rule_set():
    counts = {r.key: (len(r.refusal_grounds), len(r.termination_grounds)) for r in ALL_RULESETS}
    assert counts == {"samr-order-20": (6, 7), "samr-order-121": (7, 8)}


def test_grounds_are_numbered_as_the_articles_list_them():
    assert [g.article for g in ORDER_20.refusal_grounds] == [
        Article(15, None, item) for item in range(1, 7)
    ]
    assert [g.article for g in ORDER_121.refusal_grounds] == [
        Article(16, None, item) for item in range(1, 8)
    ]
    assert [g.article for g in ORDER_20.termination_grounds] == [
        Article(21, 1, item) for item in range(1, 8)
    ]
    assert [g.article for g in ORDER_121.termination_grounds] == [
        Article(23, 1, item) for item in range(1, 9)
    ]


def test_ground_codes_in_the_order_of_the_law():
    assert [g.code for g in ORDER_20.refusal_grounds] == [
        "outside_remit",
        "already_handled",
        "not_consumer_dispute",
        "limitation",
        "materials",
        "other",
    ]
    assert [g.code for g in ORDER_121.refusal_grounds] == [
        "outside_remit",
        "already_handled",
        "not_consumer_dispute",
        "limitation",
        "materials",
        "identity",
        "other",
    ]
    assert [g.code for g in ORDER_20.termination_grounds] == [
        "withdrawn_or_settled",
        "testing_no_agreement",
        "absent_or_refused",
        "agreement_impossible",
        "time_limit",
        "refusal_ground_found",
        "other",
    ]
    assert [g.code for g in ORDER_121.termination_grounds] == [
        "withdrawn_or_settled",
        "absent_or_refused",
        "agreement_impossible",
        "testing_no_agreement",
        "time_limit",
        "refusal_ground_found",
        "party_ceased",
        "other",
    ]


def test_a_ground_by_code_and_its_citation():
    limitation = ground(ORDER_121, "limitation")
    assert limitation.article == Article(16, None, 4)
    assert (limitation.article.zh, limitation.article.en, str(limitation.article)) == (
        "第十六条第四项",
        "art. 16(4)",
        "art. 16(4)",
    )
    assert ORDER_121.cite_zh(limitation) == "《市场监督管理投诉举报处理办法》第十六条第四项"
    assert ORDER_20.cite_en(ground(ORDER_20, "limitation")) == (
        "Interim Measures for Handling Complaints and Reports on Market Regulation "
        "(SAMR Order No. 20 of 2019, amended 2022), art. 15(4)"
    )
    time_limit = ground(ORDER_20, "time_limit", kind="termination")
    assert time_limit.article.zh == "第二十一条第一款第五项"
    assert "四十五个工作日" in time_limit.text_zh
    assert "60 days" in ground(ORDER_121, "time_limit", kind="termination").text_en


def test_the_grounds_that_order_121_adds_or_changes():
    assert "虚假" in ground(ORDER_121, "materials").text_zh
    assert "虚假" not in ground(ORDER_20, "materials").text_zh
    assert ground(ORDER_121, "identity").text_zh == (
        "冒用他人名义投诉，或者拒绝配合市场监督管理部门核实身份的"
    )
    assert "第四十二条" in ground(ORDER_121, "refusal_ground_found", "termination").text_zh


def test_unknown_grounds_are_clear_errors():
    with pytest.raises(KeyError, match="samr-order-20 has no refusal ground 'identity'; it has"):
        ground(ORDER_20, "identity")
    with pytest.raises(KeyError, match="has no termination ground 'limitation'"):
        ground(ORDER_121, "limitation", kind="termination")
    with pytest.raises(ValueError, match="ground kind must be 'refusal' or 'termination'"):
        ground(ORDER_121, "limitation", kind="appeal")


# --- Immutability and purity -------------------------------------------------------------


def test_rule_sets_cannot_be_changed():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ORDER_20.key = "x"
    with pytest.raises(TypeError):
        ORDER_20.clocks["limitation"] = ORDER_20.clocks["negotiation_answer"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ORDER_20.clocks["limitation"].amount = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        ORDER_20.refusal_grounds[0].text_zh = "x"
    assert isinstance(ORDER_20.refusal_grounds, tuple)
    assert hash(ORDER_20) != hash(ORDER_121)


def test_a_clock_with_a_bad_unit_or_amount_is_refused():
    with pytest.raises(ValueError, match="unknown unit 'months'"):
        Clock("x", 1, "months", "", "")
    with pytest.raises(ValueError, match="amount must be positive, not 0"):
        Clock("x", 0, "working_days", "", "")


def test_rulesets_import_without_django():
    code = (
        "import sys, cases.rulesets as r; "
        "assert r.ruleset_for(__import__('datetime').date(2026, 4, 15)).key == 'samr-order-121'; "
        "assert not any(name.startswith('django') for name in sys.modules), 'django imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
