from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    ArbitrationBody,
    MediationOrganisation,
    Merchant,
    MerchantStore,
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


class MerchantStoreInline(admin.TabularInline):
    model = MerchantStore
    extra = 1
    fields = ["platform", "url"]


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "division_code", "odr_joined_on", "odr_left_on"]
    list_filter = ["odr_joined_on"]
    search_fields = ["name", "uscc", "stores__url_key"]
    inlines = [MerchantStoreInline]


@admin.register(MediationOrganisation)
class MediationOrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "division_code"]
    search_fields = ["name"]


@admin.register(ArbitrationBody)
class ArbitrationBodyAdmin(admin.ModelAdmin):
    list_display = ["name", "division_code"]
    search_fields = ["name"]


admin.site.site_header = _("ODR 12315 back office")
admin.site.site_title = _("ODR 12315")
