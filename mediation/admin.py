from django.contrib import admin

from mediation.models import MediationSession, PartyStanding, Proposal, ReadMark, RoomFile


@admin.register(MediationSession)
class MediationSessionAdmin(admin.ModelAdmin):
    list_display = ("case", "starts_at", "duration_minutes", "scheduled_by")
    list_select_related = ("case", "scheduled_by")
    raw_id_fields = ("case", "scheduled_by")


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ("case", "kind", "amount", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("case", "made_by")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # terms change only through the mediator's tools


@admin.register(PartyStanding)
class PartyStandingAdmin(admin.ModelAdmin):
    list_display = ("case", "party", "muted_until", "in_caucus")
    raw_id_fields = ("case",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReadMark)
class ReadMarkAdmin(admin.ModelAdmin):
    list_display = ("case", "room", "user", "last_read_seq", "updated_at")
    raw_id_fields = ("case", "user")

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RoomFile)
class RoomFileAdmin(admin.ModelAdmin):
    # Caucus files are confidential: listed for support, never opened from here.
    list_display = ("case", "room", "original_name", "kind", "size", "created_at")
    raw_id_fields = ("case", "message", "uploaded_by", "evidence")
    exclude = ("file",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False
