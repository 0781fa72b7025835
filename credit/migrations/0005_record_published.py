# A record says whether the public may see it as an entry of its own (issue 19): the
# consumer's answer to the registration's publication question, copied from the case when
# the record is written and changed with it (the ``case.consent_changed`` handler). The
# records already written take their case's current answer.
#
# The PostgreSQL guard (0002) refuses every UPDATE but setting ``repaired_at`` once; it is
# replaced by one that also lets ``published`` change, and nothing else.

from django.db import migrations, models

GUARD = """
CREATE OR REPLACE FUNCTION credit_record_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING MESSAGE = 'credit records are append-only: delete of ' || OLD.id;
    END IF;
    IF (to_jsonb(NEW) - '{except}') IS DISTINCT FROM (to_jsonb(OLD) - '{except}')
       OR (OLD.repaired_at IS NOT NULL AND NEW.repaired_at IS DISTINCT FROM OLD.repaired_at)
    THEN
        RAISE EXCEPTION USING MESSAGE = 'credit records are append-only: update of ' || OLD.id;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
# ``jsonb - text[]`` takes several keys out; ``jsonb - text`` one.
GUARD_WITH_PUBLISHED = GUARD.replace("'{except}'", "ARRAY['repaired_at', 'published']")
GUARD_BEFORE = GUARD.replace("'{except}'", "'repaired_at'")


def _guard(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


def published_from_cases(apps, schema_editor):
    CreditRecord = apps.get_model("credit", "CreditRecord")
    Case = apps.get_model("cases", "Case")
    agreed = Case.objects.filter(agrees_to_publication=True).values("pk")
    CreditRecord.objects.filter(case_id__in=agreed, published=False).update(published=True)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0001_initial"),
        ("credit", "0004_record_corrects"),
    ]

    operations = [
        migrations.AddField(
            model_name="creditrecord",
            name="published",
            field=models.BooleanField(default=False, verbose_name="published"),
        ),
        migrations.RunPython(
            _guard(GUARD_WITH_PUBLISHED), _guard(GUARD_BEFORE), elidable=False
        ),
        migrations.RunPython(published_from_cases, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="creditrecord",
            index=models.Index(
                fields=["merchant", "published", "occurred_at", "id"], name="credit_rec_public"
            ),
        ),
    ]
