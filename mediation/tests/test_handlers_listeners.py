"""After-commit echoes of case events: every state change reaches the case's sockets and the
mediator's console, whatever the presence rows say; other clocks' deadlines send nothing."""

import pytest

from cases.models import CaseEvent, State
from cases.services.events import event_append
from cases.tests import factories as f
from mediation import handlers
from mediation.services import broadcast

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, dict]]:
    """Every group send, recorded instead of sent."""
    recorded: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        broadcast, "send", lambda group, event: recorded.append((group, event)) or True
    )
    return recorded


def _event(case, kind: str = "transition.escalate", payload: dict | None = None) -> CaseEvent:
    return event_append(
        case=case,
        kind=kind,
        actor=None,
        actor_role="system",
        from_state=State.NEGOTIATION if kind.startswith("transition.") else "",
        to_state=case.state if kind.startswith("transition.") else "",
        payload=payload or {},
    )


def test_a_state_change_reaches_the_case_without_any_presence_row(sent):
    """A socket whose presence row expired and was cleared is still open: it must hear."""
    case = f.case_in(State.REVIEW, f.cast())
    handlers.on_case_event(_event(case))
    to_case = [event for group, event in sent if group == broadcast.case_group(case.pk)]
    assert {"type": "case.update", "data": {"type": "state", "state": "review"}} in to_case
    assert {"type": "case.recheck"} in to_case


def test_the_mediator_console_hears(sent):
    cast = f.cast()
    case = f.case_in(State.MEDIATION, cast)
    handlers.on_case_event(_event(case))
    assert (
        broadcast.console_group(cast.mediator.pk),
        {"type": "console.refresh", "case": case.pk},
    ) in sent


def test_another_clocks_deadline_only_nudges_the_case_pages(sent):
    """No room notice for a clock that does not post in the rooms; open case pages still
    fetch themselves again (the deadline shows there)."""
    case = f.case_in(State.NEGOTIATION, f.cast())
    handlers.on_case_event(
        _event(case, "deadline.reminder", {"clock": "negotiation_answer", "due_on": "2026-12-01"})
    )
    assert sent == [
        (
            broadcast.case_group(case.pk),
            {"type": "case.update", "data": {"type": "changed", "kind": "deadline.reminder"}},
        )
    ]


def test_every_event_nudges_the_open_case_pages(sent):
    case = f.case_in(State.NEGOTIATION, f.cast())
    handlers.on_case_event(_event(case, "offer.made", {"offer": 1}))
    assert (
        broadcast.case_group(case.pk),
        {"type": "case.update", "data": {"type": "changed", "kind": "offer.made"}},
    ) in sent


def test_what_is_said_in_a_caucus_nudges_no_page(sent):
    """The other party's sockets must not learn that a caucus is busy."""
    case = f.case_in(State.MEDIATION, f.cast())
    for room in ("caucus:consumer", "caucus:merchant", "joint"):
        handlers.on_case_event(_event(case, "message.posted", {"room": room, "seq": 1}))
    assert not [e for _g, e in sent if e.get("data", {}).get("type") == "changed"]
