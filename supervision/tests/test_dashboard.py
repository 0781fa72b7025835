"""Dashboard figures against hand counts on the fixed fixture (factories.Fixture)."""

import datetime as dt

import pytest

from accounts.models import User
from odr.errors import NotAllowed
from supervision.selectors.dashboard import Filters, dashboard_figures
from supervision.selectors.scope import access_scope
from supervision.tests.factories import NOW

NOVEMBER = Filters(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))


def figures(user, filters=NOVEMBER):
    scope = access_scope(user=User.objects.get(pk=user.pk))
    return dashboard_figures(scope=scope, filters=filters, now=NOW)


def test_totals_and_states(fx):
    f = figures(fx.regulator)
    assert f.total.cases == 6
    assert {k: v for k, v in f.by_state.items() if v} == {
        "closed": 3,
        "mediation": 1,
        "review": 1,
        "withdrawn": 1,
    }
    assert f.by_stage == {
        "intake": 0,
        "negotiation": 0,
        "review": 1,
        "mediation": 1,
        "arbitration": 0,
        "performance": 0,
        "ended": 4,
    }
    # Handled: c1, c2, c4; with an agreement: c1, c2. Performed c1, breached c2.
    assert (f.total.handled, f.total.agreed) == (3, 2)
    assert f.total.settlement_rate == 66.7
    assert (f.total.performed, f.total.breached) == (1, 1)
    assert f.total.performance_rate == 50.0


def test_breakdowns(fx):
    f = figures(fx.regulator)
    assert [(r.key, r.cases, r.handled, r.agreed) for r in f.by_district] == [
        ("371302", 4, 2, 2),
        ("371311", 2, 1, 0),
    ]
    assert [(r.key, r.settlement_rate) for r in f.by_district] == [
        ("371302", 100.0),
        ("371311", 0.0),
    ]
    assert [(r.key, r.cases) for r in f.by_category] == [
        ("goods.food", 3),
        ("goods.electronics", 2),
        ("services.travel", 1),
    ]
    assert [(r.key, r.cases) for r in f.by_platform] == [("京东", 3), ("淘宝", 2), ("", 1)]
    assert [(r.label, r.cases, r.performed, r.breached) for r in f.by_merchant] == [
        ("临沂优品", 3, 1, 1),
        ("兰陵电器", 2, 0, 0),
        ("某小店", 1, 0, 0),
    ]


def test_overdue_by_clock(fx):
    # c3 mediation limit, c5 review acceptance (running, past due), c5 answer (passed).
    assert figures(fx.regulator).overdue_by_clock == {
        "mediation_limit": 1,
        "negotiation_answer": 1,
        "review_acceptance": 1,
    }


def test_median_hours_per_state(fx):
    medians = figures(fx.regulator).median_hours_by_state
    assert medians == {
        "negotiation": 29.0,  # 48 h (c1) and 10 h (c2)
        "review": 36.0,  # 24 h (c3), 48 h (c4); c5 is still there
        "mediation": 48.0,  # c4; c3 is still there
        "mediation_failed": 24.0,
        "referred": None,
        "arbitrating": None,
        "settled": 96.0,  # 144 h and 48 h
        "awarded": None,
    }


def test_cases_per_day(fx):
    per_day = figures(fx.regulator).per_day
    assert len(per_day) == 30
    assert sum(n for _d, n in per_day) == 6
    assert dict(per_day)[dt.date(2026, 11, 2)] == 1
    assert dict(per_day)[dt.date(2026, 11, 1)] == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"district": "371311"}, 2),
        ({"district": "371302"}, 4),
        ({"category": "goods.food"}, 3),
        ({"platform": "京东"}, 3),
        ({"start": dt.date(2026, 11, 6), "end": dt.date(2026, 11, 20)}, 2),  # c4, c5
        ({"start": dt.date(2026, 10, 1), "end": dt.date(2026, 11, 30)}, 7),
    ],
)
def test_filters(fx, change, expected):
    filters = Filters(**{**NOVEMBER.__dict__, **change})
    assert figures(fx.regulator, filters).total.cases == expected


def test_merchant_filter(fx):
    filters = Filters(**{**NOVEMBER.__dict__, "merchant": fx.m1.pk})
    assert figures(fx.regulator, filters).total.cases == 3


def test_jurisdiction_scoping(fx):
    # The district regulator sees their district only; Fuzhou sees only its own case.
    assert figures(fx.district_regulator).total.cases == 2
    fuzhou = figures(fx.other_regulator)
    assert fuzhou.total.cases == 1
    assert [r.key for r in fuzhou.by_district] == ["350102"]
    assert fuzhou.overdue_by_clock == {"review_acceptance": 1}


def test_only_regulators_have_a_workspace(fx):
    with pytest.raises(NotAllowed):
        access_scope(user=fx.consumer)


def test_transfers_per_office(fx):
    """The fixture's one transfer (Lanshan to Luozhuang, 5 November): sent by one office,
    received by the other, in the city's figures; a back-and-forth return is counted."""
    from cases.models import CaseTransfer
    from supervision.selectors.dashboard import Filters, dashboard_figures
    from supervision.selectors.scope import Scope
    from supervision.tables import figure_tables
    from supervision.tests.factories import at

    november = Filters(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))
    figures = dashboard_figures(scope=Scope(jurisdictions=("371300",)), filters=november)
    rows = {(r.office, r.sent, r.received, r.back_and_forth) for r in figures.transfers}
    assert rows == {("371302", 1, 0, 0), ("371311", 0, 1, 0)}
    CaseTransfer.objects.create(
        case=fx.c3,
        from_office="371311",
        to_office="371302",
        reason="place_of_business",
        transferred_by=fx.regulator,
        transferred_at=at(11, 7),
        back_and_forth=True,
    )
    figures = dashboard_figures(scope=Scope(jurisdictions=("371300",)), filters=november)
    rows = {(r.office, r.sent, r.received, r.back_and_forth) for r in figures.transfers}
    assert rows == {("371302", 1, 1, 1), ("371311", 1, 1, 1)}
    table = figure_tables(figures)["transfers"]
    assert [row[0] for row in table.rows] == ["371302", "371311"]
    # Fuzhou's office sees none of Linyi's transfers.
    fuzhou = dashboard_figures(scope=Scope(jurisdictions=("350100",)), filters=november)
    assert fuzhou.transfers == []
