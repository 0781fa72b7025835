"""The handling office of a case (Case.office_code) and its transfers (ADR 0010).

Every existing case is handled by the office of its merchant's division, as the access
rule read it until now: office_code starts as a copy of division_code.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def copy_division_code(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Case.objects.update(office_code=F("division_code"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_identity_recusal"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="office_code",
            field=models.CharField(
                db_index=True, default="", max_length=6, verbose_name="handling office"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(copy_division_code, migrations.RunPython.noop, elidable=False),
        migrations.CreateModel(
            name="CaseTransfer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "from_office",
                    models.CharField(db_index=True, max_length=6, verbose_name="from office"),
                ),
                (
                    "to_office",
                    models.CharField(db_index=True, max_length=6, verbose_name="to office"),
                ),
                ("reason", models.CharField(max_length=30, verbose_name="reason")),
                ("reason_text", models.TextField(blank=True, verbose_name="explanation")),
                (
                    "transferred_at",
                    models.DateTimeField(db_index=True, verbose_name="transferred at"),
                ),
                (
                    "back_and_forth",
                    models.BooleanField(default=False, verbose_name="back and forth"),
                ),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="transfers",
                        to="cases.case",
                    ),
                ),
                (
                    "event",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="cases.caseevent",
                    ),
                ),
                (
                    "transferred_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "transfer",
                "verbose_name_plural": "transfers",
                "ordering": ["case", "transferred_at", "id"],
            },
        ),
    ]
