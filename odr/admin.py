"""The calendar in the back office, where an administrator enters each new year's schedule.

A new year's State Council notice is imported from its JSON file ("Import a State Council
notice" on the calendar years' list): the page shows every day that changes and every
deadline that would move before anything is written. Days can also be entered one by one,
then switched on by adding the calendar year.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import ExtractYear
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from odr.calendar import CalendarImportError, calendar_import
from odr.models import CalendarDay, CalendarSource, CalendarYear

MAX_NOTICE_BYTES = 100_000


class NoticeUploadForm(forms.Form):
    file = forms.FileField(label=_("Notice file (JSON)"), required=False)
    # The checked file, carried from the preview to the confirmation.
    data = forms.CharField(widget=forms.HiddenInput, required=False)

    def notice(self) -> object:
        """The notice's JSON, from the upload or from the preview; ValidationError if none."""
        upload = self.cleaned_data.get("file")
        text = self.cleaned_data.get("data") or ""
        if upload is not None:
            if upload.size > MAX_NOTICE_BYTES:
                raise forms.ValidationError(_("A notice file is at most 100 KB."))
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError as error:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from error
        if not text:
            raise forms.ValidationError(_("Choose the notice's JSON file."))
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("The file is not valid JSON: %(error)s") % {"error": error}
            ) from error


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
    list_display = ["year", "source", "confirmed", "notice", "loaded_at", "day_count"]
    list_filter = ["source", "confirmed"]
    fields = ["year", "source", "confirmed", "notice", "loaded_at"]
    readonly_fields = ["source", "confirmed", "loaded_at"]
    change_list_template = "admin/odr/calendaryear/change_list.html"

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="odr_calendaryear_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a notice, see what it changes (a dry run), then confirm the import."""
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        posted = request.method == "POST"
        form = NoticeUploadForm(request.POST if posted else None, request.FILES if posted else None)
        preview = errors = None
        data_text = ""
        if posted and form.is_valid():
            try:
                data = form.notice()
                confirm = request.POST.get("confirm") == "1" and not form.cleaned_data["file"]
                result = calendar_import(data, dry_run=not confirm)
            except forms.ValidationError as error:
                errors = error.messages
            except CalendarImportError as error:
                errors = error.errors
            else:
                if confirm:
                    self.message_user(
                        request,
                        gettext(
                            "Imported %(year)d: %(days)d days changed, %(moves)d deadlines moved."
                        )
                        % {
                            "year": result.year,
                            "days": len(result.changes),
                            "moves": len(result.moves),
                        },
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:odr_calendaryear_changelist"))
                preview = result
                data_text = json.dumps(data, ensure_ascii=False)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a State Council notice"),
            "form": form,
            "errors": errors,
            "preview": preview,
            "data_text": data_text,
        }
        return render(request, "admin/odr/calendaryear/import.html", context)

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
