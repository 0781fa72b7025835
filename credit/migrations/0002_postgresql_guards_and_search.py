"""PostgreSQL only: credit records are append-only in the database itself, and the public
disclosure search by part of a name or store address has trigram indexes.

The trigger refuses DELETE, and any UPDATE other than setting ``repaired_at`` once (the
mark an approved repair puts on a record). TRUNCATE (test database flushes) is not a row
operation and is not affected.

The indexes are on the accounts tables because the disclosure search reads them; they
match the expressions Django writes for ``name__icontains`` (UPPER(name::text) LIKE ...)
and ``url_key__contains``. SQLite (development) skips all of this.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    CREATE OR REPLACE FUNCTION credit_record_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION USING MESSAGE = 'credit records are append-only: delete of ' || OLD.id;
        END IF;
        IF (to_jsonb(NEW) - 'repaired_at') IS DISTINCT FROM (to_jsonb(OLD) - 'repaired_at')
           OR (OLD.repaired_at IS NOT NULL AND NEW.repaired_at IS DISTINCT FROM OLD.repaired_at)
        THEN
            RAISE EXCEPTION USING MESSAGE = 'credit records are append-only: update of ' || OLD.id;
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER credit_record_append_only
    BEFORE UPDATE OR DELETE ON credit_creditrecord
    FOR EACH ROW EXECUTE FUNCTION credit_record_append_only()
    """,
    "CREATE INDEX IF NOT EXISTS credit_merchant_name_trgm ON accounts_merchant "
    "USING gin ((UPPER(name::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS credit_store_url_trgm ON accounts_merchantstore "
    "USING gin (url_key gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS credit_store_url_trgm",
    "DROP INDEX IF EXISTS credit_merchant_name_trgm",
    "DROP TRIGGER IF EXISTS credit_record_append_only ON credit_creditrecord",
    "DROP FUNCTION IF EXISTS credit_record_append_only()",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
