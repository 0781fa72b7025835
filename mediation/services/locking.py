"""The case lock of the mediation services, and the write lock first on SQLite.

PostgreSQL locks the case row (``select_for_update``) and every other writer waits its
turn. SQLite, the embedded mode, has no row locks: ``select_for_update`` does nothing, and
a transaction that reads before it writes is refused at once ("database is locked", no
wait) when another connection is writing meanwhile, because SQLite cannot wait for a lock
it might deadlock on. A live room has many sockets writing at once (messages, presence,
read receipts), so on SQLite these transactions write first: a no-op UPDATE takes the
database's write lock, and the busy timeout then makes the others wait instead of fail.
"""

from django.db import connection

from cases.models import Case


def write_lock_first() -> None:
    """Inside ``transaction.atomic()``: on SQLite, take the write lock now (a no-op
    elsewhere, where row locks do the work)."""
    if connection.vendor != "sqlite" or not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        # Matches no row, but an UPDATE takes the write lock whatever it matches.
        cursor.execute("UPDATE mediation_presence SET role = role WHERE 0 = 1")


def case_lock(pk: int, *fields: str) -> Case:
    """The case row, locked until the transaction ends (the caller opened it)."""
    write_lock_first()
    query = Case.objects.select_for_update()
    if fields:
        query = query.only(*fields)
    return query.get(pk=pk)
