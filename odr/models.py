"""The working-day calendar that every statutory clock is counted on.

China's working days are weekdays, except the days off of the State Council's holiday
schedule, plus the weekend days it turns into make-up working days (调休上班). The schedule
is published year by year, so it lives in the database: seeded from the `chinesecalendar`
package for the years it covers, imported from each new State Council notice
(`calendar_import`), and computed from the statute for years whose notice is not out yet.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CalendarSource(models.TextChoices):
    """Where a day came from. A day with no row follows the weekend rule.

    A State Council notice (imported with `calendar_import`, or transcribed by the
    chinesecalendar package, or typed in the admin) confirms a year; the statute (the
    全国年节及纪念日放假办法, computed by the `holidays` package) gives the statutory days
    off and their compensatory days of a year whose notice is not out yet, and leaves it
    provisional. A re-seed refreshes the package's rows, never an admin's or a notice's.
    """

    NOTICE = "notice", _("State Council notice")
    CHINESECALENDAR = "chinesecalendar", _("chinesecalendar package")
    ADMIN = "admin", _("entered in the admin")
    STATUTE = "statute", _("statute (the holiday measures), not yet confirmed by a notice")


class CalendarDay(models.Model):
    """A day of the State Council schedule: a named day off, or a make-up working day.

    The rows are the schedule as the State Council publishes it: every day of a holiday
    period (including the weekend days inside it) and every make-up working weekend day.
    Any other day follows the weekend rule, so a year is a few dozen rows, an administrator
    can copy the annual notice line by line, and a calendar query over a deadline's range
    returns only the days that matter. A holiday row on a weekend restates the weekend rule
    and changes no count.
    """

    date = models.DateField(_("date"), primary_key=True)
    is_working = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_("Ticked for a make-up working day on a weekend; unticked for a day off."),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=CalendarSource.choices,
        default=CalendarSource.ADMIN,
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}".strip()


class CalendarYear(models.Model):
    """A year whose schedule is entered: confirmed by a notice, or the statute's alone.

    A year is confirmed when its State Council notice is in: imported (source 'notice',
    with the notice's title and number), transcribed by chinesecalendar (2004-2026), or
    entered in the admin. The years after chinesecalendar's are stored from the statute
    (2027-2035, migrations 0003 and 0004: source 'statute', not confirmed) until their
    notice is imported. Day rows of a year without this row are a draft and are ignored,
    so an administrator can enter a new year's schedule day by day and switch it on at
    once. A year with no row at all counts on the statute computed on the fly
    (odr/calendar.py), provisional like a stored statute year.
    """

    year = models.PositiveSmallIntegerField(
        _("year"),
        primary_key=True,
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
    )
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=CalendarSource.choices,
        default=CalendarSource.ADMIN,
    )
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)
    # False for a year counted on the statute alone: its deadlines are provisional and
    # carry the latest date a notice could move them to (docs/adr/0006).
    confirmed = models.BooleanField(_("confirmed by a notice"), default=True)
    notice = models.CharField(
        _("notice"),
        max_length=300,
        blank=True,
        help_text=_("The State Council notice's title and number."),
    )

    class Meta:
        ordering = ["year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self) -> str:
        return str(self.year)


class IdempotencyRecord(models.Model):
    """The answer to an API POST sent with an ``Idempotency-Key`` header, kept for retries.

    A retry with the same key from the same user gets the first answer again instead of
    doing the work twice (a second complaint, a second offer).
    """

    user_id = models.BigIntegerField()
    key = models.CharField(max_length=100)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
