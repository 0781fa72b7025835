"""Satisfaction: the consumer's rating page, follow-up visits, the index and its CSV."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases.selectors import access_case
from odr.divisions import division_label
from odr.errors import Conflict
from supervision import charts
from supervision.forms import FilterForm, RatingForm, VisitForm
from supervision.models import Rating
from supervision.selectors.satisfaction import (
    DIMENSIONS,
    overall,
    satisfaction_table,
    scores_in,
    visits_of,
)
from supervision.selectors.scope import access_scope
from supervision.services.satisfaction import (
    check_may_rate,
    check_may_visit,
    rating_submit,
    visit_record,
)
from supervision.views.common import csv_response, refusals_as_pages

DEFAULT_DAYS = 365


def _period(request: HttpRequest, scope) -> tuple[FilterForm, dt.date, dt.date, str]:
    form = FilterForm(request.GET, scope=scope)
    form.is_valid()
    today = timezone.localdate()
    ok = {n: form.cleaned_data.get(n) for n in ("start", "end") if n not in form.errors}
    end = ok.get("end") or today
    start = ok.get("start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = today - dt.timedelta(days=DEFAULT_DAYS - 1), today
    dimension = request.GET.get("by", "month")
    if dimension not in DIMENSIONS:
        dimension = "month"
    return form, start, end, dimension


def _key_label(key: str, dimension: str) -> str:
    """A group as people read it: a district by its name, not its code."""
    return division_label(key) if dimension == "district" and key else key


def _labels() -> dict[str, str]:
    return {
        "month": _("month"),
        "district": _("district"),
        "merchant": _("merchant"),
        "platform": _("platform"),
    }


@login_required
@require_GET
@refusals_as_pages
def satisfaction(request: HttpRequest) -> HttpResponse:
    scope = access_scope(user=request.user)
    form, start, end, dimension = _period(request, scope)
    scores = scores_in(scope=scope, start=start, end=end)
    rows = satisfaction_table(scores=scores, dimension=dimension)
    chart = charts.bar_chart(
        [(_key_label(r.key, dimension) or _("(none)"), r.index) for r in rows[:12]],
        title=_("Satisfaction index"),
    )
    return render(
        request,
        "supervision/satisfaction.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "dimension": dimension,
            "dimensions": [(d, _labels()[d]) for d in DIMENSIONS],
            "rows": rows,
            "labelled_rows": [(_key_label(r.key, dimension), r) for r in rows],
            "overall": overall(scores),
            "chart": chart,
        },
    )


@login_required
@require_GET
@refusals_as_pages
def satisfaction_csv(request: HttpRequest) -> HttpResponse:
    scope = access_scope(user=request.user)
    _form, start, end, dimension = _period(request, scope)
    rows = satisfaction_table(
        scores=scores_in(scope=scope, start=start, end=end), dimension=dimension
    )
    figures = [_("responses"), _("consumer ratings"), _("follow-up visits")]
    figures += [_("mean score"), _("satisfaction index")]
    by_district = dimension == "district"
    return csv_response(
        filename=f"satisfaction-{dimension}-{start.isoformat()}-{end.isoformat()}.csv",
        # By district: the code, then the name.
        columns=[_("division code"), _("district"), *figures]
        if by_district
        else [_labels()[dimension], *figures],
        rows=[
            [
                r.key,
                *([division_label(r.key)] if by_district else []),
                r.responses,
                r.ratings,
                r.visits,
                r.mean,
                r.index,
            ]
            for r in rows
        ],
    )


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_pages
def rate(request: HttpRequest, ref: str) -> HttpResponse:
    case = access_case(user=request.user, ref=ref)
    existing = Rating.objects.filter(case=case).first()
    try:
        check_may_rate(case=case, user=request.user)
    except Conflict as exc:
        return render(
            request,
            "supervision/rate.html",
            {"case": case, "closed": False, "message": exc.message},
            status=409,
        )
    form = RatingForm(request.POST or None)
    if request.method == "POST" and existing is not None:
        messages.error(request, _("You have already rated this case."))
        return redirect("supervision:rate", ref=case.reference)
    if request.method == "POST" and form.is_valid():
        try:
            rating_submit(
                case=case,
                consumer=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you for your rating."))
        return redirect("supervision:rate", ref=case.reference)
    return render(
        request,
        "supervision/rate.html",
        {"case": case, "closed": True, "form": form, "rating": existing},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_pages
def visits(request: HttpRequest, ref: str) -> HttpResponse:
    case = access_case(user=request.user, ref=ref)
    check_may_visit(case=case, user=request.user)
    form = VisitForm(request.POST or None, initial={"visited_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        visit_record(case=case, regulator=request.user, **form.cleaned_data)
        messages.success(request, _("Follow-up visit recorded."))
        return redirect("supervision:visits", ref=case.reference)
    return render(
        request,
        "supervision/visits.html",
        {
            "case": case,
            "form": form,
            "visits": visits_of(case=case),
            "rating": Rating.objects.filter(case=case).first(),
        },
        status=400 if form.errors else 200,
    )
