"""Print a year's days off and make-up working days with where each came from.

    manage.py calendar_show 2027

So that an operator can hold the calendar against the State Council's published notice:
each line gives the date, its weekday as the notice writes it, whether it is a day off or a
make-up working day, its name and its source (the notice's title and number, the statute,
chinesecalendar's transcription of the notice, or the admin). The first line says whether
the year is confirmed or provisional; any weekday not listed is a working day and any
Saturday or Sunday not listed a day off.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from odr.calendar import ShownDay, ShownYear, calendar_year_show
from odr.models import CalendarSource

WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
STATUTE = "statute (全国年节及纪念日放假办法, computed by the holidays package)"


def _source(day: ShownDay, shown: ShownYear) -> str:
    if day.source == CalendarSource.NOTICE:
        return f"notice: {shown.notice}" if shown.notice else "notice"
    if day.source == CalendarSource.CHINESECALENDAR:
        return "notice (chinesecalendar)"
    if day.source == CalendarSource.STATUTE:
        return "statute (放假办法)"
    return "admin"


def _heading(shown: ShownYear) -> list[str]:
    if shown.source is None:
        lines = [
            f"{shown.year}: PROVISIONAL, no State Council notice entered: not stored, "
            f"counted on the {STATUTE}"
        ]
        if shown.draft:
            lines.append(
                f"  ({shown.draft} day rows entered as a draft are not counted until the "
                "year is switched on in the admin)"
            )
        return lines
    status = "confirmed" if shown.confirmed else "PROVISIONAL, no State Council notice entered"
    source = {
        CalendarSource.NOTICE: "State Council notice",
        CalendarSource.CHINESECALENDAR: "State Council notice, as transcribed by chinesecalendar",
        CalendarSource.STATUTE: STATUTE,
        CalendarSource.ADMIN: "entered in the admin",
    }.get(shown.source, shown.source)
    lines = [f"{shown.year}: {status}: {source}"]
    if shown.notice:
        lines.append(f"  notice: {shown.notice}")
    return lines


class Command(BaseCommand):
    help = "Show a year's days off and make-up working days, each with its source."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int)

    def handle(self, *args, **options) -> None:
        year = options["year"]
        if not 2000 <= year <= 2100:
            raise CommandError("the year must be from 2000 to 2100")
        shown = calendar_year_show(year)
        for line in _heading(shown):
            self.stdout.write(line)
        for day in shown.days:
            kind = "make-up working day" if day.working else "day off"
            self.stdout.write(
                f"  {day.date.isoformat()} {WEEKDAYS[day.date.weekday()]} {kind:<19} "
                f"{day.name:<12} {_source(day, shown)}"
            )
        self.stdout.write(
            f"{sum(not d.working for d in shown.days)} days off, "
            f"{sum(d.working for d in shown.days)} make-up working days"
        )
