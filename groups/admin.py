from django.contrib import admin

from groups.models import CaseGroup, GroupAgreement, GroupMembership


class MembershipInline(admin.TabularInline):
    model = GroupMembership
    extra = 0
    fields = ("number", "case", "how", "is_representative", "joined_at", "left_at", "objected")
    readonly_fields = fields
    can_delete = False


@admin.register(CaseGroup)
class CaseGroupAdmin(admin.ModelAdmin):
    """Read-only: a group changes through its services (pages and API), which log each
    act on the member cases."""

    list_display = ("reference", "title", "merchant", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("reference", "title", "merchant__name")
    inlines = [MembershipInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(GroupAgreement)
class GroupAgreementAdmin(admin.ModelAdmin):
    list_display = ("group", "status", "proposed_at", "recorded_at")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
