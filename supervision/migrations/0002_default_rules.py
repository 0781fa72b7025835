"""The national default alert rules (issue 9); regulators tune or override them per area."""

from django.db import migrations

DEFAULTS = [
    # kind, severity, weeks, sigmas, min_count, days
    ("merchant_spike", "high", 8, 3, 5, 90),
    ("category_spike", "medium", 8, 3, 5, 90),
    ("platform_spike", "medium", 8, 3, 5, 90),
    ("repeated_breaches", "high", 8, 3, 2, 90),
    ("same_product", "medium", 8, 3, 10, 30),
]


def seed(apps, schema_editor):
    AlertRule = apps.get_model("supervision", "AlertRule")
    for kind, severity, weeks, sigmas, min_count, days in DEFAULTS:
        AlertRule.objects.get_or_create(
            kind=kind,
            jurisdiction="",
            defaults={
                "severity": severity,
                "weeks": weeks,
                "sigmas": sigmas,
                "min_count": min_count,
                "days": days,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
