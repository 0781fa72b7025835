"""Site-wide pages: home, help, privacy, health, and the page for a form sent after it expired."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from odr.health import health_report


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    ok, report = health_report()
    down = [name for name, c in report.items() if c["status"] == "down"]
    body = {"status": "ok" if ok else "down", "components": report, "down": down}
    return JsonResponse(body, status=200 if ok else 503)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@require_GET
def help_page(request: HttpRequest) -> HttpResponse:
    """How a complaint goes, its deadlines, verifying a document, the hotline: for anyone,
    signed in or not."""
    return render(request, "help.html")


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent from a page that expired (or after a sign-out) gets a
    page in the user's language that says what happened and leads back, not Django's
    developer page."""
    back = request.META.get("HTTP_REFERER", "")
    safe = url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return render(request, "403_csrf.html", {"back": back if safe else ""}, status=403)
