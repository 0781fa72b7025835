"""The baseline for HTTP benchmarks: the cheapest JSON view Django can serve.

Mounted at ``/bench/bare/`` only when ``ODR_BENCH_ENDPOINTS`` is on (never in production).
It runs the same middleware stack as the API and is a sync view like the API's, so the
difference between the two is the API's own work (auth, validation, the database), not
the server or the framework.
"""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # the load generator POSTs the same body as to the API, which is CSRF-exempt too
def bare_view(request: HttpRequest) -> JsonResponse:
    """No database, no parsing: the server and framework cost of one request."""
    return JsonResponse({"ok": True})
