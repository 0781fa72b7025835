"""Small request helpers shared by views and APIs."""

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address as the server saw it.

    Behind a proxy, daphne's --proxy-headers fills it from X-Forwarded-For.
    """
    return request.META.get("REMOTE_ADDR") or None
