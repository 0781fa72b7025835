"""Print a year's days off and make-up working days with where each came from.

    manage.py calendar_show 2027

So that an operator can hold the calendar against the State Council's published notice.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dates import WEEKDAYS_ABBR

from odr.calendar import calendar_year_show
from odr.models import CalendarSource

SOURCES = {
    CalendarSource.NOTICE.value: "notice",
    CalendarSource.CHINESECALENDAR.value: "notice (chinesecalendar)",
    CalendarSource.ADMIN.value: "admin",
    CalendarSource.STATUTE.value: "statute (放假办法, holidays package)",
}


class Command(BaseCommand):
    help = "Show a year's days off and make-up working days, each with its source."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int)

    def handle(self, *args, **options) -> None:
        year = options["year"]
        if not 2000 <= year <= 2100:
            raise CommandError("the year must be from 2000 to 2100")
        source, confirmed, notice, days = calendar_year_show(year)
        if source == "computed":
            self.stdout.write(
                f"{year}: not entered; counted on the statute (放假办法), computed: PROVISIONAL"
            )
        elif confirmed:
            self.stdout.write(f"{year}: confirmed ({SOURCES.get(source, source)})")
            if notice:
                self.stdout.write(f"  notice: {notice}")
        else:
            self.stdout.write(f"{year}: {SOURCES.get(source, source)}: PROVISIONAL")
        for day in days:
            kind = "make-up working day" if day.working else "day off"
            weekday = str(WEEKDAYS_ABBR[day.date.weekday()])
            self.stdout.write(
                f"  {day.date.isoformat()} {weekday:<4} {kind:<19} {day.name:<12} "
                f"{SOURCES.get(day.source, day.source)}"
            )
        self.stdout.write(
            f"{sum(not d.working for d in days)} days off, "
            f"{sum(d.working for d in days)} make-up working days"
        )
