"""Risk alerts: the list, one alert with its evidence and handling, and the rules."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from odr.errors import Conflict, DomainError, NotFound
from supervision.forms import AlertRuleForm, AssignForm, NoteForm
from supervision.models import Alert, AlertRule, RuleKind
from supervision.selectors.alerts import (
    access_alert,
    alert_evidence,
    alerts_in,
    assignees_for,
    rules_for,
    unread_alert_ids,
)
from supervision.selectors.scope import access_scope
from supervision.services import alerts as services
from supervision.services.rules import rule_override, rule_update
from supervision.views.common import refusals_as_pages

PAGE_SIZE = 25


@login_required
@require_GET
@refusals_as_pages
def alert_list(request: HttpRequest) -> HttpResponse:
    scope = access_scope(user=request.user)
    status = request.GET.get("status", "")
    alerts = alerts_in(scope=scope, status=status)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/alerts.html",
        {
            "page": page,
            "alerts": page.object_list,
            "status": status if status in Alert.Status.values else "",
            "statuses": Alert.Status.choices,
            "unread": unread_alert_ids(user=request.user),
        },
    )


def _alert_context(request: HttpRequest, alert: Alert, **forms) -> dict:
    return {
        "alert": alert,
        "evidence": alert_evidence(alert=alert, scope=access_scope(user=request.user)),
        "actions": alert.actions.select_related("actor", "assignee"),
        "assign_form": forms.get("assign_form") or AssignForm(assignees=assignees_for(alert=alert)),
        "act_form": forms.get("act_form") or NoteForm(prefix="act"),
        "close_form": forms.get("close_form") or NoteForm(prefix="close"),
        "open": alert.status != Alert.Status.CLOSED,
    }


@login_required
@require_GET
@refusals_as_pages
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = access_alert(user=request.user, alert_id=alert_id)
    services.alert_mark_read(alert=alert, user=request.user)
    return render(request, "supervision/alert_detail.html", _alert_context(request, alert))


@login_required
@require_POST
@refusals_as_pages
def alert_step(request: HttpRequest, alert_id: int, step: str) -> HttpResponse:
    alert = access_alert(user=request.user, alert_id=alert_id)
    forms: dict = {}
    try:
        if step == "acknowledge":
            services.alert_acknowledge(alert=alert, actor=request.user)
            messages.success(request, _("Alert acknowledged."))
        elif step == "assign":
            form = AssignForm(request.POST, assignees=assignees_for(alert=alert))
            if not form.is_valid():
                forms["assign_form"] = form
            else:
                services.alert_assign(
                    alert=alert,
                    actor=request.user,
                    assignee=form.cleaned_data["assignee"],
                    note=form.cleaned_data["note"],
                )
                messages.success(request, _("Alert assigned."))
        elif step in ("act", "close"):
            form = NoteForm(request.POST, prefix=step)
            if not form.is_valid():
                forms[f"{step}_form"] = form
            elif step == "act":
                services.alert_act(alert=alert, actor=request.user, note=form.cleaned_data["note"])
                messages.success(request, _("Action recorded."))
            else:
                services.alert_close(
                    alert=alert, actor=request.user, note=form.cleaned_data["note"]
                )
                messages.success(request, _("Alert closed."))
        else:
            raise NotFound(_("There is no such step."))
    except Conflict as exc:
        messages.error(request, exc.message)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
    if forms:
        alert.refresh_from_db()
        return render(
            request,
            "supervision/alert_detail.html",
            _alert_context(request, alert, **forms),
            status=400,
        )
    return redirect("supervision:alert", alert_id=alert.pk)


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_pages
def rule_list(request: HttpRequest) -> HttpResponse:
    scope = access_scope(user=request.user)
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        jurisdiction = request.POST.get("jurisdiction", "")
        if kind not in RuleKind.values:
            messages.error(request, _("Choose a rule."))
            return redirect("supervision:rules")
        rule = rule_override(kind=kind, jurisdiction=jurisdiction, scope=scope, actor=request.user)
        return redirect("supervision:rule", rule_id=rule.pk)
    return render(
        request,
        "supervision/rules.html",
        {"rules": rules_for(scope=scope), "scope": scope, "kinds": RuleKind.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_pages
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    scope = access_scope(user=request.user)
    rule = rules_for(scope=scope).filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("There is no such rule."))
    services.check_rule_editable(rule=rule, scope=scope)
    form = AlertRuleForm(request.POST or None, instance=AlertRule.objects.get(pk=rule.pk))
    if request.method == "POST" and form.is_valid():
        rule_update(rule=rule, scope=scope, actor=request.user, values=form.cleaned_data)
        messages.success(request, _("Rule saved."))
        return redirect("supervision:rules")
    return render(
        request,
        "supervision/rule_edit.html",
        {"rule": rule, "form": form},
        status=400 if form.errors else 200,
    )
