"""Pages: the inbox, the unread badge (polled by htmx), channel preferences, and the
endpoint where Twilio reports message statuses."""

import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from notifications import selectors
from notifications.services import inbox as inbox_services
from notifications.services.status import KNOWN, twilio_status_record
from notifications.sources import other_unread
from odr.errors import NotFound

PAGE_SIZE = 30
# htmx stops polling when it gets this status (a signed-out visitor's badge).
HTMX_STOP_POLLING = 286
SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
# Twilio's error codes are numbers (30003: unreachable handset); anything else is dropped.
ERROR_CODE = re.compile(r"[0-9]{1,10}")


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "unread": selectors.unread_count(user=request.user),
            "others": [
                {
                    "name": source.name,
                    "text": source.describe(count),
                    "url": reverse(source.url_name),
                }
                for source, count in other_unread(request.user)
            ],
        },
    )


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        inbox_services.notification_mark_read(user=request.user, notification_id=notification_id)
    except NotFound:
        return render(request, "notifications/not_found.html", status=404)
    return redirect(_back_to_inbox(request))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = inbox_services.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect(_back_to_inbox(request))


def _back_to_inbox(request: HttpRequest) -> str:
    page = request.POST.get("page", "")
    target = reverse("notifications:inbox")
    return f"{target}?page={int(page)}" if page.isdigit() else target


@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    """The badge alone, for htmx to swap in place of the old one."""
    if not request.user.is_authenticated:
        return HttpResponse(status=HTMX_STOP_POLLING)
    response = render(
        request,
        "notifications/includes/badge.html",
        {
            "unread": selectors.unread_total(user=request.user),
            "poll_seconds": settings.NOTIFY_BADGE_POLL_SECONDS,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


class PreferenceForm(forms.Form):
    sms = forms.BooleanField(label=gettext_lazy("By SMS"), required=False)
    email = forms.BooleanField(label=gettext_lazy("By email"), required=False)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    preference = selectors.preference_of(request.user)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            inbox_services.preference_update(
                user=request.user,
                sms=form.cleaned_data["sms"],
                email=form.cleaned_data["email"],
            )
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:preferences")
    else:
        form = PreferenceForm(initial={"sms": preference.sms, "email": preference.email})
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "phone": request.user.phone,
            "email": request.user.email,
            "quiet_start": settings.NOTIFY_QUIET_HOURS_START,
            "quiet_end": settings.NOTIFY_QUIET_HOURS_END,
        },
    )


def _public_url(request: HttpRequest) -> str:
    """The URL Twilio called, as Twilio saw it (behind a proxy, the configured address)."""
    base = settings.NOTIFY_PUBLIC_BASE_URL.rstrip("/")
    if base:
        return base + request.get_full_path()
    return request.build_absolute_uri()


@csrf_exempt  # Twilio cannot send our CSRF token; its signature authenticates the request
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    """Twilio's status callback. A request without a valid signature changes nothing."""
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get(SIGNATURE_HEADER, "")
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER, ""))
    if (
        not token
        or not signature
        or not RequestValidator(token).validate(
            _public_url(request), request.POST, signature, algorithm
        )
    ):
        return HttpResponseForbidden("invalid signature")
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    status = (request.POST.get("MessageStatus") or request.POST.get("SmsStatus") or "").lower()
    if not SID.match(sid) or status not in KNOWN:
        return HttpResponse("unknown message or status", status=400)
    notification_id = request.GET.get("n", "")
    error_code = request.POST.get("ErrorCode") or ""
    twilio_status_record(
        sid=sid,
        status=status,
        error_code=error_code if ERROR_CODE.fullmatch(error_code) else "",
        notification_id=int(notification_id) if notification_id.isdigit() else None,
    )
    return HttpResponse(status=204)
