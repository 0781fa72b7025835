"""The back office: every notice and what became of it; failed ones stand out and can be
sent again (the retry asks Twilio first, as any retry after an unknown outcome does)."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.models import Notification, NotificationPreference, TwilioMessage
from notifications.services.delivery import notification_retry

_STATUS_COLOURS = {
    Notification.Status.FAILED: "#a4161a",
    Notification.Status.SENDING: "#9a6700",
    Notification.Status.PENDING: "#5b6670",
    Notification.Status.SENT: "#1e6b3a",
    Notification.Status.DELIVERED: "#1e6b3a",
}


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "case",
        "recipient",
        "channel",
        "kind",
        "status_badge",
        "attempts",
        "provider_id",
        "last_error",
    )
    list_filter = ("status", "channel", "audience", "language", "kind")
    search_fields = ("case__reference", "recipient__phone", "recipient__username", "provider_id")
    list_select_related = ("case", "recipient")
    date_hierarchy = "created_at"
    actions = ("retry_failed",)
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Notification):
        return format_html(
            '<strong style="color:{}">{}</strong>',
            _STATUS_COLOURS.get(obj.status, "#1d2329"),
            obj.get_status_display(),
        )

    @admin.action(description=_("Send the selected failed notifications again"))
    def retry_failed(self, request, queryset) -> None:
        count = sum(
            notification_retry(notification=n)
            for n in queryset.filter(status=Notification.Status.FAILED)
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d notification queued again.",
                "%(count)d notifications queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(TwilioMessage)
class TwilioMessageAdmin(admin.ModelAdmin):
    list_display = ("sid", "status", "error_code", "notification", "updated_at")
    list_filter = ("status",)
    search_fields = ("sid",)
    readonly_fields = ("sid", "notification", "status", "error_code", "history", "created_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "sms", "email", "updated_at")
    list_filter = ("sms", "email")
    search_fields = ("user__phone", "user__username")
    raw_id_fields = ("user",)
