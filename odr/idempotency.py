"""``Idempotency-Key`` for API POSTs: a retried request gets the first answer, once.

The key is scoped to the signed-in user. The first request reserves the key in its own
transaction; a concurrent duplicate gets 409 while the first is still running; a finished
one is answered from the stored response. Only 2xx answers are kept: a request that
failed may be retried with the same key.
"""

import functools
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from odr.api import error_body
from odr.models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY = 100


def idempotent(view_method: Callable) -> Callable:
    @functools.wraps(view_method)
    def wrapper(self, request: Request, *args, **kwargs) -> Response:
        key = request.META.get(HEADER, "").strip()
        if not key or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        if len(key) > MAX_KEY:
            return Response(
                error_body(
                    "invalid", _("Idempotency-Key is at most %(n)d characters.") % {"n": MAX_KEY}
                ),
                status=400,
            )
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user_id=request.user.pk, key=key, method=request.method, path=request.path[:300]
                )
        except IntegrityError:
            previous = IdempotencyRecord.objects.filter(user_id=request.user.pk, key=key).first()
            if previous is None or previous.path != request.path[:300]:
                return Response(
                    error_body(
                        "idempotency_key_reused",
                        _("This Idempotency-Key was used for another request."),
                    ),
                    status=409,
                )
            if previous.status is None:
                return Response(
                    error_body(
                        "request_in_progress", _("The same request is still being handled.")
                    ),
                    status=409,
                )
            response = Response(previous.body, status=previous.status)
            response["Idempotent-Replay"] = "true"
            return response
        try:
            response = view_method(self, request, *args, **kwargs)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if 200 <= response.status_code < 300:
            IdempotencyRecord.objects.filter(pk=record.pk).update(
                status=response.status_code, body=response.data
            )
        else:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return response

    return wrapper
