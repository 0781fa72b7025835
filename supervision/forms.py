"""Forms of the workspace. A filter that cannot be read is reported next to its field and
the dashboard falls back to the default for it: bad input is never a server error."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from cases.categories import CATEGORY_CHOICES
from odr.divisions import division_group, division_label, division_name, divisions_under
from supervision.models import AlertRule, FollowUpVisit, Rating
from supervision.selectors.dashboard import DEFAULT_DAYS, MAX_DAYS, Filters
from supervision.selectors.scope import Scope


class FilterForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False)
    end = forms.DateField(label=gettext_lazy("To"), required=False)
    # Chosen by name from the jurisdiction's divisions; the API passes a code.
    district = forms.RegexField(
        label=gettext_lazy("District"),
        regex=r"^\d{6}$",
        required=False,
        error_messages={"invalid": gettext_lazy("A division code is six digits.")},
        widget=forms.Select,
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"),
        required=False,
        choices=[("", gettext_lazy("All categories")), *CATEGORY_CHOICES],
    )
    merchant = forms.IntegerField(
        label=gettext_lazy("Merchant"), required=False, min_value=1, max_value=2**31 - 1
    )
    platform = forms.CharField(label=gettext_lazy("Platform"), required=False, max_length=100)

    def __init__(self, *args, scope: Scope, with_cases: Iterable[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        chosen = str(self.data.get("district") or "") if self.is_bound else ""
        self.fields["district"].widget.choices = district_choices(
            scope=scope, extra=[*with_cases, chosen]
        )

    def _clean_day(self, name: str) -> dt.date | None:
        day = self.cleaned_data.get(name)
        if day and not 2000 <= day.year <= 2100:
            raise forms.ValidationError(_("Give a date between 2000 and 2100."))
        return day

    def clean_start(self) -> dt.date | None:
        return self._clean_day("start")

    def clean_end(self) -> dt.date | None:
        return self._clean_day("end")

    def clean_district(self) -> str:
        code = self.cleaned_data.get("district") or ""
        if code and not self.scope.covers_area(code):
            raise forms.ValidationError(_("This district is outside your jurisdiction."))
        return code

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end of the period is before its start."))
        elif start and end and (end - start).days + 1 > MAX_DAYS:
            self.add_error("end", _("The period may be at most two years."))
        return data

    def filters(self) -> Filters:
        """The filters from the valid fields; each invalid one falls back to its default."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        today = timezone.localdate()
        ok = {name: data.get(name) for name in self.fields if name not in self.errors}
        end = ok.get("end") or today
        start = ok.get("start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if start > end or (end - start).days + 1 > MAX_DAYS:
            start, end = today - dt.timedelta(days=DEFAULT_DAYS - 1), today
        return Filters(
            start=start,
            end=end,
            district=ok.get("district") or "",
            category=ok.get("category") or "",
            merchant=ok.get("merchant"),
            platform=(ok.get("platform") or "").strip(),
        )


def district_choices(*, scope: Scope, extra: Iterable[str] = ()) -> list:
    """The districts a regulator may filter by, for a select: the listed divisions of the
    jurisdiction (for an administrator the provinces and cities), and the codes its cases
    carry, grouped by city (or province), each by name."""
    if scope.everything:
        codes = set(divisions_under(None, depth="city"))
    else:
        codes = {c for j in scope.jurisdictions for c in divisions_under(j)}
    codes |= {c for c in extra if re.fullmatch(r"\d{6}", c or "") and scope.covers_area(c)}
    groups: dict[str, list[tuple[str, str]]] = {}
    for code in sorted(codes):
        key = division_group(code)
        name = division_name(code) or code
        label = _("%(name)s (all)") % {"name": name} if code == key else name
        groups.setdefault(key, []).append((code, label))
    everywhere = _("Everywhere") if scope.everything else _("Whole jurisdiction")
    return [("", everywhere)] + [
        (division_label(key), options) for key, options in sorted(groups.items())
    ]


def filters_from(
    data, *, scope: Scope, with_cases: Iterable[str] = ()
) -> tuple[FilterForm, Filters]:
    form = FilterForm(data, scope=scope, with_cases=with_cases)
    form.is_valid()
    return form, form.filters()


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = ["enabled", "severity", "weeks", "sigmas", "min_count", "days"]


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=gettext_lazy("Assign to"), queryset=User.objects.none())
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class RatingForm(forms.ModelForm):
    score = forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you with how your complaint was handled?"),
        choices=[(i, str(i)) for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Rating
        fields = ["score", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 3, "maxlength": 1000})}


class VisitForm(forms.ModelForm):
    score = forms.TypedChoiceField(
        label=gettext_lazy("Consumer's satisfaction (1 to 5)"),
        choices=[("", "—"), *[(i, str(i)) for i in range(5, 0, -1)]],
        coerce=int,
        empty_value=None,
        required=False,
    )

    class Meta:
        model = FollowUpVisit
        fields = ["visited_on", "method", "reached", "score", "note"]
        widgets = {
            "visited_on": forms.DateInput(attrs={"type": "date"}),
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_visited_on(self) -> dt.date:
        day = self.cleaned_data["visited_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A visit cannot be in the future."))
        return day


class MonthForm(forms.Form):
    month = forms.RegexField(
        label=gettext_lazy("Month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        error_messages={"invalid": gettext_lazy("Give the month as YYYY-MM.")},
    )
    jurisdiction = forms.RegexField(label=gettext_lazy("Jurisdiction"), regex=r"^\d{6}$")

    def __init__(self, *args, scope: Scope | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if scope is not None and scope.jurisdictions:
            # A regulator picks one of their own jurisdictions by name; a code sent
            # otherwise is still read, and the service refuses one not theirs.
            field = self.fields["jurisdiction"]
            field.widget = forms.Select(
                choices=[(j, division_label(j)) for j in scope.jurisdictions]
            )
            field.widget.is_required = field.required

    def clean_month(self) -> str:
        value = self.cleaned_data["month"]
        if not 2000 <= int(value[:4]) <= 2100:
            raise forms.ValidationError(_("Give a month between 2000 and 2100."))
        return value

    def month_start(self) -> dt.date:
        year, month = self.cleaned_data["month"].split("-")
        return dt.date(int(year), int(month), 1)
