"""The back office sees credit files read-only: records are append-only, and decisions
(repair, the negative list) are taken on the regulator's pages through the services."""

from django.contrib import admin

from credit.models import (
    CreditOutbox,
    CreditRecord,
    CreditReply,
    MerchantCreditIndex,
    NegativeListEntry,
    RepairApplication,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CreditRecord)
class CreditRecordAdmin(ReadOnlyAdmin):
    list_display = ("id", "occurred_at", "kind", "merchant", "case_reference", "repaired_at")
    list_filter = ("kind",)
    search_fields = ("case_reference", "merchant__uscc", "merchant__name")
    list_select_related = ("merchant",)
    raw_id_fields = ("merchant", "case", "source_event", "repairs")
    show_full_result_count = False


@admin.register(CreditReply)
class CreditReplyAdmin(ReadOnlyAdmin):
    list_display = ("record", "created_at")
    raw_id_fields = ("record", "author")


@admin.register(RepairApplication)
class RepairApplicationAdmin(ReadOnlyAdmin):
    list_display = ("id", "merchant", "status", "applied_at", "decided_at")
    list_filter = ("status",)
    raw_id_fields = ("record", "merchant", "applied_by", "decided_by")


@admin.register(NegativeListEntry)
class NegativeListEntryAdmin(ReadOnlyAdmin):
    list_display = ("merchant", "confirmed_at", "review_on", "removed_at")
    raw_id_fields = ("merchant", "confirmed_by", "removed_by")


@admin.register(MerchantCreditIndex)
class MerchantCreditIndexAdmin(ReadOnlyAdmin):
    list_display = ("merchant", "score", "grade", "complaints_12m", "computed_at")
    list_filter = ("grade",)
    raw_id_fields = ("merchant",)
    show_full_result_count = False


@admin.register(CreditOutbox)
class CreditOutboxAdmin(ReadOnlyAdmin):
    list_display = ("record", "attempts", "next_attempt_at", "sent_at", "gave_up_at", "last_status")
    raw_id_fields = ("record",)
