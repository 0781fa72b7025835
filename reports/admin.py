"""The back office for reports. The reporter's identity is masked in every list and
read-only; the office handles reports on its pages, through the services."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from reports.models import Report, ReporterIdentity, ReportEvent, ReportNotice, mask


class ReporterIdentityInline(admin.StackedInline):
    model = ReporterIdentity
    can_delete = False
    extra = 0
    fields = ("masked_name", "masked_phone", "masked_id_number")
    readonly_fields = fields

    @admin.display(description=_("name"))
    def masked_name(self, obj):
        return mask(obj.name)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask(obj.phone, keep=3)

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj):
        return mask(obj.id_number, keep=2) if obj.id_number else ""

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "state",
        "merchant_name",
        "violation_kind",
        "anonymous",
        "submitted_at",
    )
    list_filter = ("state", "violation_kind", "anonymous")
    search_fields = ("reference", "merchant_name")
    readonly_fields = [f.name for f in Report._meta.fields]
    inlines = [ReporterIdentityInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportEvent)
class ReportEventAdmin(admin.ModelAdmin):
    list_display = ("report", "seq", "kind", "actor_role", "created_at")
    readonly_fields = [f.name for f in ReportEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReportNotice)
class ReportNoticeAdmin(admin.ModelAdmin):
    list_display = ("report", "kind", "channel", "status", "masked_address", "sent_at")
    exclude = ("address", "body")
    readonly_fields = ("report", "event", "kind", "channel", "language", "status", "sent_at")

    @admin.display(description=_("address"))
    def masked_address(self, obj):
        return mask(obj.address, keep=3)

    def has_add_permission(self, request):
        return False
