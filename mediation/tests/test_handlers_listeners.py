"""After-commit echoes of case events: sent to a case's sockets only when it has some.

A complaint being filed or a negotiation step happens with no socket open on the case;
sending to its groups would cost a channel-layer round trip inside the request for no one.
"""

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import CaseEvent, State
from cases.services.events import event_append
from cases.tests import factories as f
from mediation import handlers
from mediation.models import Presence
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


def _state_event(case) -> CaseEvent:
    return event_append(
        case=case,
        kind="transition.escalate",
        actor=None,
        actor_role="system",
        from_state=State.NEGOTIATION,
        to_state=case.state,
    )


def test_no_socket_no_group_send(sent):
    case = f.case_in(State.REVIEW, f.cast())
    handlers.on_case_event(_state_event(case))
    assert [group for group, _ in sent if group.startswith(f"case.{case.pk}")] == []


def test_an_open_socket_hears_the_state_and_checks_again(sent):
    cast = f.cast()
    case = f.case_in(State.REVIEW, cast)
    Presence.objects.create(
        case=case,
        user=cast.consumer,
        role="consumer",
        channel_name="specific.test!1",
        expires_at=timezone.now() + dt.timedelta(seconds=60),
    )
    handlers.on_case_event(_state_event(case))
    to_case = [event for group, event in sent if group == broadcast.case_group(case.pk)]
    assert {"type": "case.update", "data": {"type": "state", "state": "review"}} in to_case
    assert {"type": "case.recheck"} in to_case


def test_an_expired_row_still_counts_as_a_socket(sent):
    """A socket whose heartbeats lag still gets the nudge to check its access."""
    cast = f.cast()
    case = f.case_in(State.REVIEW, cast)
    Presence.objects.create(
        case=case,
        user=cast.merchant_staff,
        role="merchant",
        channel_name="specific.test!2",
        expires_at=timezone.now() - dt.timedelta(seconds=5),
    )
    handlers.on_case_event(_state_event(case))
    assert (broadcast.case_group(case.pk), {"type": "case.recheck"}) in sent


def test_the_mediator_console_hears_without_a_case_socket(sent):
    cast = f.cast()
    case = f.case_in(State.MEDIATION, cast)
    handlers.on_case_event(_state_event(case))
    assert (
        broadcast.console_group(cast.mediator.pk),
        {"type": "console.refresh", "case": case.pk},
    ) in sent
    assert not [group for group, _ in sent if group == broadcast.case_group(case.pk)]
