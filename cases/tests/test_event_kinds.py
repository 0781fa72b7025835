"""Every kind of event the code appends is declared, with what it means."""

import re
from pathlib import Path

import pytest

from cases import event_kinds
from cases.models import Case, CaseEvent
from cases.models import State as S
from cases.services.transitions import SPECS
from cases.tests import factories as cf
from supervision.selectors.dashboard import median_hours_by_state

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "accounts",
    "arbitration",
    "cases",
    "credit",
    "documents",
    "groups",
    "mediation",
    "notifications",
    "odr",
    "supervision",
)
# A kind is a quoted "<area>.<name>": every such string in a module that appends events
# (a conditional `kind="a.b" if x else "a.c"` names two).
KIND = re.compile(
    r'"((?:case|deadline|transition|offer|message|evidence|note|document|mediation|'
    r'arbitration|negotiation|group)\.[a-z_]+)"'
)


def _appended_kinds() -> set[str]:
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            if "event_append(" not in text and "ActionSpec(" not in text:
                continue
            found.update(k for k in KIND.findall(text) if not k.endswith(".json"))
    return found


def test_every_kind_the_code_appends_is_declared():
    appended = _appended_kinds()
    assert "case.submitted" in appended and "deadline.started" in appended  # the scan works
    undeclared = {k for k in appended if event_kinds.kind(k) is None}
    assert not undeclared, undeclared


def test_state_changes_are_the_transitions_and_the_submission():
    assert set(event_kinds.state_changing()) == {f"transition.{n}" for n in SPECS} | {
        "case.submitted"
    }
    assert event_kinds.kind("negotiation.merchant_answered").changes_state is False


@pytest.mark.django_db
def test_an_action_is_not_read_as_a_state_change_by_the_dashboard():
    """An event that changes no state (with a to_state someone wrote anyway) does not cut a
    stay short: the dashboard reads the declaration, not the event's fields."""
    c = cf.cast()
    case = cf.case_in(S.NEGOTIATION, c)
    stays_before = median_hours_by_state(cases=Case.objects.filter(pk=case.pk))
    last = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    CaseEvent.objects.filter(pk=last.pk).update(
        kind="negotiation.merchant_answered", to_state=S.REVIEW
    )
    assert median_hours_by_state(cases=Case.objects.filter(pk=case.pk)) == stays_before


def test_staff_only_kinds_are_hidden_from_the_parties_timeline():
    assert "note.staff" in event_kinds.hidden_from_timeline(staff=False)
    assert "note.staff" not in event_kinds.hidden_from_timeline(staff=True)
