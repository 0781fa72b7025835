"""The dashboard's figures as named tables: what the page shows, the CSV downloads and the
API returns are these same rows, so the three never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from cases import rulesets
from cases.categories import CATEGORY_CHOICES
from cases.models import State
from odr.divisions import division_label
from supervision.selectors.dashboard import STAGES, Figures, Row

STAGE_LABELS = {
    "intake": gettext_lazy("intake"),
    "negotiation": pgettext_lazy("stage", "negotiation"),
    "review": gettext_lazy("regulator review"),
    "mediation": pgettext_lazy("stage", "mediation"),
    "arbitration": gettext_lazy("arbitration"),
    "performance": gettext_lazy("performance"),
    "ended": gettext_lazy("ended"),
}


def clock_label(key: str) -> str:
    """A clock's name as its rule set declares it, in the current language."""
    return rulesets.clock_label(key, get_language())


CATEGORY_LABELS = dict(CATEGORY_CHOICES)
FIGURES = (
    "summary",
    "by_state",
    "by_stage",
    "overdue",
    "median_time",
    "per_day",
    "by_category",
    "by_district",
    "by_platform",
    "by_merchant",
    "transfers",
)


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list]
    # (label, value) pairs for the chart; None: no chart for this table.
    chart: list[tuple[str, float | int | None]] | None = None
    unit: str = ""
    # Columns that hold codes (a state's, a division's): in the CSV and the API beside the
    # name, left off the page, where people read the names.
    codes: tuple[int, ...] = ()

    @property
    def page_columns(self) -> list[str]:
        return [c for i, c in enumerate(self.columns) if i not in self.codes]

    @property
    def page_rows(self) -> list[list]:
        return [[c for i, c in enumerate(row) if i not in self.codes] for row in self.rows]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _outcome_columns() -> list[str]:
    return [
        _("cases"),
        _("handled"),
        _("with an agreement"),
        _("settlement rate (%)"),
        _("performed"),
        _("breached"),
        _("performance rate (%)"),
    ]


def _outcome_cells(row: Row) -> list:
    return [
        row.cases,
        row.handled,
        row.agreed,
        _pct(row.settlement_rate),
        row.performed,
        row.breached,
        _pct(row.performance_rate),
    ]


def _breakdown(name: str, title: str, key_title: str, rows: list[Row], label) -> Table:
    return Table(
        name=name,
        title=title,
        columns=[key_title, *_outcome_columns()],
        rows=[[label(r), *_outcome_cells(r)] for r in rows],
        chart=[(label(r), r.cases) for r in rows[:12]],
    )


def figure_tables(figures: Figures) -> dict[str, Table]:
    state_labels = dict(State.choices)
    none = _("(none)")
    tables = [
        Table(
            name="summary",
            title=_("Summary"),
            columns=_outcome_columns(),
            rows=[_outcome_cells(figures.total)],
        ),
        Table(
            name="by_state",
            title=_("Cases by state"),
            columns=[_("state"), _("code"), _("cases")],
            rows=[[str(state_labels[s]), s, n] for s, n in figures.by_state.items()],
            chart=[(str(state_labels[s]), n) for s, n in figures.by_state.items() if n],
            codes=(1,),
        ),
        Table(
            name="by_stage",
            title=_("Cases by stage"),
            columns=[_("stage"), _("code"), _("cases")],
            rows=[[str(STAGE_LABELS[s]), s, n] for s, n in figures.by_stage.items()],
            chart=[(str(STAGE_LABELS[s]), n) for s, n in figures.by_stage.items()],
            codes=(1,),
        ),
        Table(
            name="overdue",
            title=_("Overdue cases by deadline"),
            columns=[_("deadline"), _("code"), _("cases")],
            rows=[[clock_label(c), c, n] for c, n in figures.overdue_by_clock.items()],
            chart=[(clock_label(c), n) for c, n in figures.overdue_by_clock.items()],
            codes=(1,),
        ),
        Table(
            name="median_time",
            title=_("Median time in each stage (hours)"),
            columns=[_("state"), _("code"), _("median hours")],
            rows=[
                [str(state_labels[s]), s, "" if h is None else f"{h:.1f}"]
                for s, h in figures.median_hours_by_state.items()
            ],
            chart=[
                (str(state_labels[s]), h)
                for s, h in figures.median_hours_by_state.items()
                if h is not None
            ],
            unit=" h",
            codes=(1,),
        ),
        Table(
            name="per_day",
            title=_("Complaints per day"),
            columns=[_("date"), _("cases")],
            rows=[[d.isoformat(), n] for d, n in figures.per_day],
        ),
        _breakdown(
            "by_category",
            _("By category"),
            _("category"),
            figures.by_category,
            lambda r: str(CATEGORY_LABELS.get(r.key, r.key)),
        ),
        Table(
            name="by_district",
            title=_("By district"),
            # The code stays the first column (the API's clients read it there).
            columns=[_("division code"), _("district"), *_outcome_columns()],
            rows=[[r.key, division_label(r.key), *_outcome_cells(r)] for r in figures.by_district],
            chart=[(division_label(r.key), r.cases) for r in figures.by_district[:12]],
            codes=(0,),
        ),
        _breakdown(
            "by_platform",
            _("By platform"),
            _("platform"),
            figures.by_platform,
            lambda r: r.key or none,
        ),
        _breakdown(
            "by_merchant",
            _("Merchants with most complaints"),
            _("merchant"),
            figures.by_merchant,
            lambda r: r.label or none,
        ),
        Table(
            name="transfers",
            title=_("Transfers between offices"),
            columns=[
                _("division code"),
                pgettext_lazy("transfers", "office"),
                pgettext_lazy("transfers", "sent"),
                pgettext_lazy("transfers", "received"),
                _("back and forth"),
            ],
            rows=[
                [r.office, division_label(r.office), r.sent, r.received, r.back_and_forth]
                for r in figures.transfers
            ],
            chart=[(division_label(r.office), r.sent + r.received) for r in figures.transfers[:12]],
            codes=(0,),
        ),
    ]
    assert tuple(t.name for t in tables) == FIGURES
    assert set(STAGES) == set(STAGE_LABELS)
    return {t.name: t for t in tables}
