"""API conventions shared by every app: the error envelope and error codes.

Errors are JSON ``{"error": {"code": "...", "message": "...", "fields": {...}}}``.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from odr.errors import DomainError, RateLimited

_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        return _first_message(next(iter(detail.values())))
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        headers = {}
        if isinstance(exc, RateLimited) and exc.retry_after:
            headers["Retry-After"] = str(exc.retry_after)
        return Response(
            error_body(exc.code, exc.message, exc.fields or None),
            status=exc.status,
            headers=headers,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("too_large", _("The request is too large.")),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = _CODES.get(response.status_code, "error")
    detail = response.data
    if isinstance(exc, exceptions.APIException) and not isinstance(exc, exceptions.ValidationError):
        codes = exc.get_codes()
        if isinstance(codes, str) and codes not in ("invalid", "error"):
            code = codes
    if isinstance(exc, exceptions.ValidationError) and isinstance(detail, dict):
        fields = {
            k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()
        }
        message = _first_message(detail)
        non_field = fields.pop("non_field_errors", None)
        if non_field:
            message = non_field[0]
        response.data = error_body("invalid", message, fields or None)
    else:
        response.data = error_body(code, _first_message(detail))
    return response


# --- Pages ---------------------------------------------------------------------------------


def page_of(name: str, results: serializers.Serializer):
    """The schema of a page of ``results`` as :func:`paginated` answers it."""
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": results,
        },
    )


def paginated(request, view, queryset, serializer_class) -> Response:
    """One page of ``queryset`` (``?page=``, from 1; a page out of range is a 404)."""
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
