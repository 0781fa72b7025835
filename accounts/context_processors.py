"""Template context: the signed-in user's roles, for the header, and the text size."""

from django.http import HttpRequest

from accounts.selectors import user_roles


def roles(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": []}
    return {"user_roles": user_roles(user=user)}


LARGE_TEXT_COOKIE = "odr_large_text"


def large_text_on(request: HttpRequest) -> bool:
    """Large text for this visitor: the account's choice, or the cookie before sign-in."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return bool(user.large_text)
    return request.COOKIES.get(LARGE_TEXT_COOKIE) == "1"


def display(request: HttpRequest) -> dict:
    return {"large_text": large_text_on(request)}
