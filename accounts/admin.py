"""The back office for users, their roles and the organisations roles name.

Roles are saved here through Django's forms, not through ``role_grant``/``role_revoke``,
so every save and delete that can change what a user may see ends by calling
``services.user_access_recheck``: the user's open case sockets check access again once
the change commits (they would otherwise keep their rooms until their next heartbeat).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import (
    ArbitrationBody,
    MediationOrganisation,
    Merchant,
    MerchantStore,
    RegulatorOffice,
    Role,
    User,
)


class RoleInline(admin.TabularInline):
    model = Role
    extra = 0
    autocomplete_fields = ["merchant", "mediation_organisation", "arbitration_body"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [RoleInline]
    list_display = ["username", "phone", "display_name", "is_active", "is_staff"]
    search_fields = ["username", "phone", "display_name"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Service"), {"fields": ("phone", "display_name", "language")}),
    )

    def save_related(self, request, form, formsets, change) -> None:
        """After the user and the roles inline are saved (one transaction): one push when
        the account was (de)activated or a role added, changed or deleted."""
        super().save_related(request, form, formsets, change)
        roles_changed = any(fs.model is Role and _formset_changed(fs) for fs in formsets)
        if change and ("is_active" in form.changed_data or roles_changed):
            services.user_access_recheck(user_ids=[form.instance.pk])

    def delete_model(self, request, obj) -> None:
        user_id = obj.pk
        super().delete_model(request, obj)
        services.user_access_recheck(user_ids=[user_id])

    def delete_queryset(self, request, queryset: QuerySet) -> None:
        user_ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        services.user_access_recheck(user_ids=user_ids)


def _formset_changed(formset) -> bool:
    """Whether saving the formset added, changed or deleted a row (set by ``save()``)."""
    return bool(formset.new_objects or formset.changed_objects or formset.deleted_objects)


class RolesCascadeAdmin(admin.ModelAdmin):
    """Deleting an organisation deletes the roles that name it (``on_delete=CASCADE``):
    their holders' sockets check access again. ``role_field`` is the Role field naming it."""

    role_field = ""

    def _holders(self, pks: list[int]) -> list[int]:
        lookup = {f"{self.role_field}__in": pks}
        return list(Role.objects.filter(**lookup).values_list("user_id", flat=True).distinct())

    def delete_model(self, request, obj) -> None:
        holders = self._holders([obj.pk])
        super().delete_model(request, obj)
        services.user_access_recheck(user_ids=holders)

    def delete_queryset(self, request, queryset: QuerySet) -> None:
        holders = self._holders(list(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)
        services.user_access_recheck(user_ids=holders)


class MerchantStoreInline(admin.TabularInline):
    model = MerchantStore
    extra = 1
    fields = ["platform", "url"]


@admin.register(Merchant)
class MerchantAdmin(RolesCascadeAdmin):
    role_field = "merchant"
    list_display = ["name", "uscc", "division_code", "odr_joined_on", "odr_left_on"]
    list_filter = ["odr_joined_on"]
    search_fields = ["name", "uscc", "stores__url_key"]
    inlines = [MerchantStoreInline]


@admin.register(MediationOrganisation)
class MediationOrganisationAdmin(RolesCascadeAdmin):
    role_field = "mediation_organisation"
    list_display = ["name", "kind", "division_code"]
    search_fields = ["name"]


@admin.register(RegulatorOffice)
class RegulatorOfficeAdmin(admin.ModelAdmin):
    list_display = ["division_code", "name", "name_en"]
    search_fields = ["division_code", "name", "name_en"]


@admin.register(ArbitrationBody)
class ArbitrationBodyAdmin(RolesCascadeAdmin):
    role_field = "arbitration_body"
    list_display = ["name", "division_code"]
    search_fields = ["name"]


admin.site.site_header = _("ODR 12315 back office")
admin.site.site_title = _("ODR 12315")
