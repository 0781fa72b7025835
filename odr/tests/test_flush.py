"""The test suite's flush (conftest.py): after a transactional test, DELETE empties every
table, the credit records included, and the triggers that guard them in production are
back on for the next transaction."""

import pytest
from django.core.management.color import no_style
from django.db import connection

from cases.tests import factories as cf
from credit.models import CreditRecord
from credit.tests import factories as credit_factories

pytestmark = pytest.mark.django_db(transaction=True)


def _row_counts() -> dict[str, int]:
    tables = connection.introspection.django_table_names(only_existing=True)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT '{t}', count(*) FROM {quote(t)}"  # noqa: S608 (introspected names)
                for t in tables
            )
        )
        return dict(cursor.fetchall())


def test_the_flush_empties_every_table_and_leaves_the_guards_on(on_postgres):
    cast = cf.cast()
    record = credit_factories.make_record(cast.merchant, CreditRecord.Kind.COMPLAINT)
    assert CreditRecord.objects.filter(pk=record.pk).exists()
    assert sum(_row_counts().values()) > 0
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    statements = connection.ops.sql_flush(no_style(), tables)
    if not statements[0].startswith("SET LOCAL session_replication_role"):
        pytest.skip("not a superuser here: Django's TRUNCATE flushes")
    connection.ops.execute_sql_flush(statements)
    assert {t: n for t, n in _row_counts().items() if n} == {}
    # The replica role was the flush's transaction's alone: triggers fire again.
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'credit_record_append_only'"
            " AND tgenabled = 'O'"
        )
        assert cursor.fetchone()[0] == 1
