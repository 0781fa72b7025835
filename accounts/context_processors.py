"""Template context: the signed-in user's roles, for the header."""

from django.http import HttpRequest

from accounts.selectors import user_roles


def roles(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": []}
    return {"user_roles": user_roles(user=user)}
