"""The calendar in the back office, where an administrator enters each new year's schedule.

To enter a year the package lacks: add its days off and make-up working days as calendar
days, then add the calendar year, which switches them on; deadlines that were provisional
are recomputed on it.
"""

from django.contrib import admin
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import ExtractYear
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from odr.models import CalendarDay, CalendarSource, CalendarYear


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "is_working", "name", "source"]
    list_filter = ["is_working", "source"]
    date_hierarchy = "date"
    search_fields = ["name"]
    fields = ["date", "is_working", "name", "source"]
    readonly_fields = ["source"]

    @admin.display(description=_("weekday"))
    def weekday(self, day: CalendarDay) -> str:
        return str(WEEKDAYS[day.date.weekday()])

    def save_model(self, request: HttpRequest, obj: CalendarDay, form, change: bool) -> None:
        # An edited row is the administrator's: a later re-seed leaves it alone.
        obj.source = CalendarSource.ADMIN
        super().save_model(request, obj, form, change)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "source", "loaded_at", "day_count"]
    list_filter = ["source"]
    fields = ["year", "source", "loaded_at"]
    readonly_fields = ["source", "loaded_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarYear]:
        days = (
            CalendarDay.objects.annotate(year=ExtractYear("date"))
            .filter(year=OuterRef("year"))
            .order_by()
            .values("year")
            .annotate(count=Count("date"))
            .values("count")
        )
        return super().get_queryset(request).annotate(day_count=Subquery(days))

    @admin.display(description=_("schedule days"), ordering="day_count")
    def day_count(self, year: CalendarYear) -> int:
        return year.day_count or 0

    def save_model(self, request: HttpRequest, obj: CalendarYear, form, change: bool) -> None:
        obj.source = CalendarSource.ADMIN
        obj.loaded_at = timezone.now()
        super().save_model(request, obj, form, change)
