"""What one chat message costs the database: a fixed number of queries, whatever the room
already holds (no query per earlier message, per reader or per participant)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.selectors import Action, access_case
from mediation.services import chat
from odr import outbox

pytestmark = pytest.mark.django_db


def test_sending_costs_a_fixed_number_of_queries(case, cast):
    def send(n: int) -> list[str]:
        with outbox.collected(), CaptureQueriesContext(connection) as queries:
            found = access_case(user=cast.consumer, ref=case.reference, action=Action.VIEW)
            chat.message_send(
                case=found, actor=cast.consumer, room="joint", body=f"第{n}条", client_id=f"q-{n}"
            )
        return [q["sql"] for q in queries.captured_queries]

    send(1)  # the actor's roles are cached on the user from here on
    # The case, a savepoint, the case lock, the room's last number and the retry's, the
    # party's standing, the insert, the release; SQLite first takes its write lock.
    expected = 8 if connection.vendor == "sqlite" else 7
    for n in range(2, 7):
        assert len(send(n)) == expected


def test_a_socket_send_loads_no_column_it_left_out(case, cast, monkeypatch):
    """The socket reads a few columns of the case (``SOCKET_CASE_FIELDS``); a send, a
    resume, a read receipt and a heartbeat's work read no other (each would be a query)."""
    from cases.models import Case
    from mediation import selectors
    from mediation.consumers import SOCKET_CASE_FIELDS
    from mediation.services import presence

    loads: list[object] = []
    refresh = Case.refresh_from_db

    def counted(self, *args, **kwargs):
        # How Django loads a deferred column: the instance refreshes that field.
        loads.append(kwargs.get("fields"))
        return refresh(self, *args, **kwargs)

    monkeypatch.setattr(Case, "refresh_from_db", counted)

    def socket_case():
        return access_case(
            user=cast.consumer,
            ref=case.reference,
            action=Action.VIEW,
            related=(),
            only=SOCKET_CASE_FIELDS,
        )

    with CaptureQueriesContext(connection) as looked_up:
        found = socket_case()
    assert found.get_deferred_fields()  # the rest of the row is left out
    # No related row either (select_related() with no names would join every one).
    [query] = [q["sql"] for q in looked_up.captured_queries if "cases_case" in q["sql"]]
    assert "JOIN" not in query, query
    with outbox.collected():
        sent = chat.message_send(
            case=found, actor=cast.consumer, room="joint", body="一条", client_id="s-1"
        )
        selectors.messages_after(case=found, room="joint", after_seq=0)
        chat.read_mark(case=found, actor=cast.consumer, room="joint", seq=sent.message.seq)
        presence.presence_beat(
            case_id=found.pk,
            mediator_id=found.mediator_id,
            user=cast.consumer,
            role="consumer",
            channel_name="test.channel",
        )
        assert found.is_terminal is False and found.reference == case.reference
    assert loads == []
    # The check can fail: reading a column left out is such a load.
    assert found.submitted_at is not None
    assert loads
