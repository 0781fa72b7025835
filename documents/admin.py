"""Back office for documents: the register is read-only; a correction, a revocation and a
retry of a failed rendering each go through their one service."""

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from documents.models import ConfirmationCode, Document
from documents.services.issue import document_reissue, document_retry, document_revoke
from odr.errors import DomainError


class ConfirmationInline(admin.TabularInline):
    model = ConfirmationCode
    extra = 0
    can_delete = False
    fields = ["party", "user", "content_sha256", "confirmed_at", "confirmed_ip", "attempts"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(confirmed_at__isnull=False)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "case", "version", "status", "dated", "signed_at"]
    list_filter = ["status", "kind", "timestamped"]
    search_fields = ["number", "case__reference", "sha256", "content_sha256"]
    inlines = [ConfirmationInline]
    change_form_template = "admin/documents/document/change_form.html"
    actions = ["retry_failed"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Document._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Try again to prepare the selected failed documents"))
    def retry_failed(self, request, queryset):
        count = 0
        for document in queryset.filter(status=Document.Status.FAILED):
            document_retry(document=document)
            count += 1
        self.message_user(request, _("%(n)d documents queued again.") % {"n": count})

    def get_urls(self):
        return [
            path(
                "<int:document_id>/<str:action>/",
                self.admin_site.admin_view(self.action_view),
                name="documents_document_action",
            ),
            *super().get_urls(),
        ]

    def action_view(self, request: HttpRequest, document_id: int, action: str):
        document = get_object_or_404(Document.objects.select_related("case"), pk=document_id)
        services = {"reissue": document_reissue, "revoke": document_revoke}
        titles = {"reissue": _("Issue a corrected version"), "revoke": _("Revoke")}
        if action not in services:
            return HttpResponseRedirect(
                reverse("admin:documents_document_change", args=[document_id])
            )
        error = None
        if request.method == "POST":
            try:
                result = services[action](
                    document=document, actor=request.user, reason=request.POST.get("reason", "")
                )
            except DomainError as exc:
                error = exc.message
            else:
                self.message_user(
                    request, _("Done: %(n)s") % {"n": result.number}, messages.SUCCESS
                )
                return HttpResponseRedirect(
                    reverse("admin:documents_document_change", args=[result.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "document": document,
            "action": action,
            "error": error,
            "opts": self.model._meta,
            "title": titles[action],
        }
        return render(request, "admin/documents/document/action.html", context)
