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
