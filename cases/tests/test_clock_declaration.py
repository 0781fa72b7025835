"""A clock is one declaration: one declared only in a test rule set works everywhere.

The clock below (the merchant confirms taking part in mediation within 3 working days; the
mediator hears when it passes) exists nowhere but here. It is started and ended by the
transitions it names, swept, labelled on the case page and in supervision, and notified,
with no code that knows it.
"""

import dataclasses
import datetime as dt

import pytest
from django.utils import timezone

from cases import event_kinds
from cases.models import Case, CaseEvent, Deadline
from cases.models import State as S
from cases.rulesets import ORDER_121, Clock, Notify, all_clocks, clock_label, registered
from cases.services import actions, clocks
from cases.services.transitions import SPECS, case_transition
from cases.tests import factories as cf
from notifications.models import Notification
from supervision.selectors.dashboard import Filters, dashboard_figures
from supervision.selectors.scope import Scope
from supervision.tables import figure_tables

pytestmark = pytest.mark.django_db

CONFIRM = Clock(
    "merchant_confirms",
    3,
    "working_days",
    "测试规则：被投诉人应当在三个工作日内确认参加调解",
    "Test rule: the merchant confirms taking part in mediation within 3 working days",
    label_zh="商家确认参加调解",
    label_en="The merchant's confirmation of mediation",
    starts=("accept",),
    ends=("reach_agreement",),
    cancels=("terminate",),
    notify=Notify(start=("merchant",), reminder=("merchant",), expiry=("mediator",)),
)


@pytest.fixture
def declared():
    ruleset = dataclasses.replace(
        ORDER_121, key="test-declared-clock", clocks={**ORDER_121.clocks, CONFIRM.key: CONFIRM}
    )
    with registered(ruleset):
        yield ruleset


def _in_review_under(ruleset, c):
    case = cf.case_in(S.REVIEW, c)
    Case.objects.filter(pk=case.pk).update(ruleset=ruleset.key)
    case.refresh_from_db()
    return case


def test_a_clock_declared_only_in_a_rule_set_is_started_swept_labelled_notified_and_ended(
    client, declared
):
    c = cf.cast()
    case = _in_review_under(declared, c)
    case_transition(
        case=case, name="accept", actor=c.actor("regulator"), data=cf.transition_data(c, "accept")
    )
    deadline = Deadline.objects.get(case=case, clock=CONFIRM.key)
    started_on = timezone.localdate(deadline.started_at)
    assert deadline.status == "running"
    assert (
        deadline.due_on
        == clocks.due_date(case=case, clock_key=CONFIRM.key, start=deadline.started_at).date
    )
    assert deadline.due_on > started_on
    # Told to the merchant at its start, in the generic words with the declared name.
    started = CaseEvent.objects.get(case=case, kind="deadline.started", payload__clock=CONFIRM.key)
    told = Notification.objects.filter(event=started)
    assert {n.audience for n in told} == {"merchant"}
    assert any("商家确认参加调解" in n.body for n in told)

    # Labelled on the case page, for the merchant.
    cf_client = client
    cf_client.force_login(c.merchant_staff)
    page = cf_client.get(f"/cases/{case.reference}/")
    assert page.status_code == 200
    assert f'data-clock="{CONFIRM.key}"' in page.text
    assert "商家确认参加调解" in page.text
    assert CONFIRM.citation_zh in page.text

    # Swept once it has passed: flagged (its declared expiry), and the mediator is told.
    after = deadline.due_at + dt.timedelta(minutes=5)
    report = clocks.deadlines_sweep(now=after)
    assert case.reference in report.flagged
    overdue = CaseEvent.objects.get(case=case, kind="deadline.overdue", payload__clock=CONFIRM.key)
    assert {n.audience for n in Notification.objects.filter(event=overdue)} == {"mediator"}

    # In supervision's overdue table, under its declared name.
    with cf.frozen(after):
        figures = dashboard_figures(
            scope=Scope(jurisdictions=("371300",)),
            filters=Filters.default(today=timezone.localdate(after)),
            now=after,
        )
    assert figures.overdue_by_clock.get(CONFIRM.key) == 1
    table = figure_tables(figures)["overdue"]
    assert ["商家确认参加调解", CONFIRM.key, 1] in [list(row) for row in table.rows]

    # Ended by the step it names: late, since the time had passed.
    with cf.frozen(after):
        case_transition(
            case=case,
            name="reach_agreement",
            actor=c.actor("mediator"),
            data=cf.terms(),
        )
    assert Deadline.objects.get(case=case, clock=CONFIRM.key).status == "late"


def test_a_declared_clock_is_cancelled_by_the_step_that_cancels_it(declared):
    c = cf.cast()
    case = _in_review_under(declared, c)
    case_transition(
        case=case, name="accept", actor=c.actor("regulator"), data=cf.transition_data(c, "accept")
    )
    case_transition(
        case=case,
        name="terminate",
        actor=c.actor("mediator"),
        data={"ground": "absent_or_refused", "reason": "商家拒不到场"},
    )
    assert Deadline.objects.get(case=case, clock=CONFIRM.key).status == "cancelled"


def test_the_label_comes_from_the_declaration_in_both_languages(declared):
    assert clock_label(CONFIRM.key, "zh-hans") == "商家确认参加调解"
    assert clock_label(CONFIRM.key, "en") == "The merchant's confirmation of mediation"
    assert CONFIRM.key in all_clocks()


def test_every_step_a_clock_names_is_a_transition_or_an_action():
    steps = set(SPECS) | set(actions.ACTIONS)
    for key, clock in all_clocks().items():
        named = {*clock.starts, *clock.ends, *clock.fails, *clock.cancels}
        assert named <= steps, (key, named - steps)
        if clock.escalate_with:
            assert clock.escalate_with in SPECS


def test_every_action_event_is_declared_and_changes_no_state():
    for action in actions.ACTIONS.values():
        declared = event_kinds.kind(action.event_kind)
        assert declared is not None, action.event_kind
        assert declared.changes_state is False


def test_a_declaration_that_contradicts_itself_is_refused():
    with pytest.raises(ValueError, match="escalate_with"):
        dataclasses.replace(CONFIRM, on_expiry="escalate")
    with pytest.raises(ValueError, match="label"):
        dataclasses.replace(CONFIRM, label_en="")
    with pytest.raises(ValueError, match="unknown audience"):
        Notify(start=("neighbour",))
    with pytest.raises(ValueError, match="already known"), registered(ORDER_121):
        pass
