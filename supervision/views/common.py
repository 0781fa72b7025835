"""What every workspace page shares: refusals as pages, CSV responses."""

from __future__ import annotations

import csv
import functools

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from odr.errors import DomainError, NotAllowed, NotFound


def refusals_as_pages(view):
    """A NotAllowed or NotFound from a selector or service becomes the 403/404 page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (NotFound, NotAllowed) as exc:
            return refused(request, exc)

    return wrapper


def refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(
        request,
        "supervision/refused.html",
        {"message": exc.message, "status": exc.status},
        status=exc.status,
    )


def _cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_response(*, filename: str, columns: list[str], rows: list[list]) -> HttpResponse:
    """UTF-8 with a byte-order mark, so that Excel reads the Chinese correctly."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_cell(c) for c in columns])
    for row in rows:
        writer.writerow([_cell(c) for c in row])
    return response
