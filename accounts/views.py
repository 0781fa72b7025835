"""Sign-in pages and each role's landing page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from accounts import services
from accounts.context_processors import LARGE_TEXT_COOKIE
from accounts.forms import CodeForm, PhoneForm, StaffLoginForm
from accounts.models import Role
from accounts.selectors import LANDING_URLS, otp_state, user_roles
from odr.api import error_body
from odr.errors import DomainError, RateLimited
from odr.http import client_ip


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@require_http_methods(["GET", "POST"])
def sms_login(request: HttpRequest) -> HttpResponse:
    """Step 1 asks for the number and sends a code; step 2 checks the code."""
    phone_form = PhoneForm(request.POST if request.POST.get("step") == "phone" else None)
    code_form = None
    resend_in = 0
    status = 200
    if request.method == "POST" and request.POST.get("step") == "phone":
        if phone_form.is_valid():
            phone = phone_form.cleaned_data["phone"]
            try:
                services.otp_request(phone=phone, ip=client_ip(request))
            except RateLimited as exc:
                # Asked again too soon: the code already sent still works, so the code box
                # stays, and the button says when a new one may be asked for.
                if otp_state(phone=phone).code_open:
                    code_form = CodeForm(initial={"phone": phone})
                    messages.info(
                        request, _("The code we sent earlier is still valid: enter it below.")
                    )
                    resend_in = exc.retry_after or 0
                    status = 429
                else:
                    phone_form.add_error("phone", exc.message)
            except DomainError as exc:
                phone_form.add_error("phone", exc.message)
            else:
                code_form = CodeForm(initial={"phone": phone})
                resend_in = settings.OTP_RESEND_SECONDS
                messages.success(request, _("We have sent a 6-digit code to your phone."))
    elif request.method == "POST" and request.POST.get("step") == "code":
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            try:
                user = services.otp_verify(
                    phone=code_form.cleaned_data["phone"],
                    code=code_form.cleaned_data["code"],
                    ip=client_ip(request),
                )
            except DomainError as exc:
                code_form.add_error("code", exc.message)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(_safe_next(request) or reverse("accounts:landing"))
        resend_in = otp_state(phone=request.POST.get("phone", "")).resend_in
    for form in (phone_form, code_form):
        if form is not None and form.is_bound and form.errors:
            status = 400
    return render(
        request,
        "accounts/sms_login.html",
        {
            "phone_form": phone_form,
            "code_form": code_form,
            "resend_in": resend_in,
            "next": _safe_next(request),
        },
        status=status,
    )


class StaffLoginView(auth_views.LoginView):
    template_name = "accounts/staff_login.html"
    authentication_form = StaffLoginForm
    redirect_authenticated_user = True


def lockout(request: HttpRequest, credentials: dict | None = None, *args, **kwargs) -> HttpResponse:
    """django-axes calls this when an account is locked after repeated failures."""
    if request.path.startswith("/api/"):
        body = error_body(
            "too_many_requests",
            _("Too many failed logins for this account. Please try again in an hour."),
        )
        return JsonResponse(body, status=429, headers={"Retry-After": "3600"})
    return render(request, "accounts/lockout.html", status=429)


@login_required
def landing(request: HttpRequest) -> HttpResponse:
    roles = user_roles(user=request.user)
    kinds = list(dict.fromkeys(role.kind for role in roles))
    if len(kinds) == 1:
        return redirect(LANDING_URLS[kinds[0]])
    entries = [(Role.Kind(kind).label, reverse(LANDING_URLS[kind])) for kind in kinds]
    return render(request, "accounts/landing.html", {"entries": entries})


def _role_page(kind: str, template: str):
    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        roles = [role for role in user_roles(user=request.user) if role.kind == kind]
        if not roles:
            raise PermissionDenied(_("This page is for another role."))
        return render(request, template, {"roles": roles})

    view.__name__ = f"{kind}_home"
    return view


consumer_home = _role_page(Role.Kind.CONSUMER, "accounts/home_consumer.html")
merchant_home = _role_page(Role.Kind.MERCHANT_STAFF, "accounts/home_merchant.html")
mediator_home = _role_page(Role.Kind.MEDIATOR, "accounts/home_mediator.html")
regulator_home = _role_page(Role.Kind.REGULATOR, "accounts/home_regulator.html")
arbitration_home = _role_page(Role.Kind.ARBITRATION_STAFF, "accounts/home_arbitration.html")


@require_POST
@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    """The large-text switch in every page's header: kept on the account when signed in,
    in a cookie before; back to the page it was pressed on."""
    on = request.POST.get("size") == "large"
    if request.user.is_authenticated:
        services.user_set_large_text(user=request.user, on=on)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    response = HttpResponseRedirect(back)
    response.set_cookie(
        LARGE_TEXT_COOKIE,
        "1" if on else "0",
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    return response


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, remembered on the account of a signed-in user."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and isinstance(response, HttpResponseRedirect):
        services.user_set_language(user=request.user, language=language)
    return response
