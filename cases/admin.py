"""Back office for cases: read the record, take transitions through the one service."""

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseEvent, Deadline, Evidence, Message, Offer
from cases.services.transitions import SPECS, case_transition, field_choices, transitions_available
from odr.errors import DomainError


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = CaseEvent
    fields = [
        "seq",
        "kind",
        "actor",
        "actor_role",
        "from_state",
        "to_state",
        "ground",
        "created_at",
    ]
    readonly_fields = fields
    ordering = ["seq"]


class DeadlineInline(ReadOnlyInline):
    model = Deadline
    fields = ["clock", "due_on", "provisional", "status", "reminded_at", "flagged_at"]
    readonly_fields = fields


class OfferInline(ReadOnlyInline):
    model = Offer
    fields = ["side", "kind", "amount", "description", "valid_until", "status"]
    readonly_fields = fields


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ["original_name", "kind", "size", "sha256", "uploaded_by", "created_at"]
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["reference", "state", "merchant_name", "division_code", "submitted_at"]
    list_filter = ["state", "ruleset", "category"]
    search_fields = ["reference", "merchant_name", "complainant_name", "order_number"]
    inlines = [DeadlineInline, OfferInline, EvidenceInline, EventInline]
    change_form_template = "admin/cases/case/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # The record is changed only through transitions; only the merchant link is editable.
        return [f.name for f in Case._meta.fields if f.name not in ("merchant",)]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "<int:case_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="cases_case_transition",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = get_object_or_404(Case, pk=object_id)
        extra_context = {
            **(extra_context or {}),
            "transitions": transitions_available(case=case, actor=request.user),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request: HttpRequest, case_id: int, name: str):
        case = get_object_or_404(Case, pk=case_id)
        spec = SPECS.get(name)
        if spec is None:
            return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case_id]))
        fields = [(f, field_choices(case, f)) for f in spec.fields]
        error = None
        if request.method == "POST":
            data = {f.name: request.POST.get(f.name, "") for f in spec.fields}
            try:
                case_transition(case=case, name=name, actor=request.user, data=data)
            except DomainError as exc:
                error = exc.message
            else:
                self.message_user(
                    request, _("Done: %(action)s") % {"action": spec.label}, messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case_id]))
        context = {
            **self.admin_site.each_context(request),
            "case": case,
            "spec": spec,
            "fields": fields,
            "error": error,
            "opts": self.model._meta,
            "title": spec.label,
        }
        return render(request, "admin/cases/case/transition.html", context)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["case", "room", "seq", "author_role", "created_at"]
    readonly_fields = [
        "case",
        "room",
        "seq",
        "author",
        "author_role",
        "body",
        "client_id",
        "created_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False
