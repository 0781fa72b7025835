"""Store the statute's days off of 2031-2035 as well (0003 stored 2027-2030).

Each year is stored with source 'statute' and not confirmed, so that its deadlines are
provisional until its State Council notice is imported; a year already entered is left
alone. Later years are computed on the fly (odr/calendar.py).
"""

from django.db import migrations

STATUTE_YEARS = range(2031, 2036)


def store_statute(apps, schema_editor):
    from odr.calendar import store_statutory_years

    store_statutory_years(
        STATUTE_YEARS,
        day_model=apps.get_model("odr", "CalendarDay"),
        year_model=apps.get_model("odr", "CalendarYear"),
    )


def remove_statute(apps, schema_editor):
    day_model = apps.get_model("odr", "CalendarDay")
    year_model = apps.get_model("odr", "CalendarYear")
    years = list(
        year_model.objects.filter(year__in=STATUTE_YEARS, source="statute").values_list(
            "year", flat=True
        )
    )
    day_model.objects.filter(date__year__in=years, source="statute").delete()
    year_model.objects.filter(year__in=years).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("odr", "0003_calendar_provenance"),
    ]

    operations = [
        migrations.RunPython(store_statute, remove_statute),
    ]
