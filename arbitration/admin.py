"""The back office: bodies' profiles and tokens; referrals, deliveries and awards to read."""

import secrets

from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arbitration.models import (
    Agreement,
    ApiToken,
    Award,
    BodyProfile,
    Referral,
    WebhookAttempt,
    WebhookDelivery,
)
from arbitration.services.tokens import token_create, token_revoke
from odr.errors import DomainError


@admin.register(BodyProfile)
class BodyProfileAdmin(admin.ModelAdmin):
    list_display = ["body", "accepts_referrals", "webhook_url"]
    search_fields = ["body__name"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        # A webhook needs a secret to sign with: made here if the administrator left it out.
        if obj.webhook_url and not obj.webhook_secret:
            obj.webhook_secret = "whsec_" + secrets.token_urlsafe(32)
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "body", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["body"]
    fields = ["body", "user", "name"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return ["body", "user", "name"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        try:
            row, token = token_create(body=obj.body, user=obj.user, name=obj.name)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        obj.pk = row.pk
        self.message_user(
            request,
            _("The token is shown once; copy it now: %(token)s") % {"token": token},
            messages.WARNING,
        )
        return None

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            token_revoke(token=token)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Agreement)
class AgreementAdmin(ReadOnly):
    list_display = ["case", "body", "status", "created_at"]


@admin.register(Referral)
class ReferralAdmin(ReadOnly):
    list_display = ["case", "body", "status", "delivered_at", "acknowledged_at", "decided_at"]
    list_filter = ["status", "body"]
    search_fields = ["case__reference"]


@admin.register(Award)
class AwardAdmin(ReadOnly):
    list_display = ["referral", "amount", "due_on", "recorded_at"]


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "at", "status_code", "error"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = ["referral", "topic", "status", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "body"]
    inlines = [AttemptInline]
